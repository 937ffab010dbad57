"""Per cell and clock hour: traffic that a GOIP box or a fraud den changes (base-station anomaly)."""

from __future__ import annotations

from fanzha.analytics.features.registry import feature
from fanzha.analytics.features.sql import Span

FAMILY = "cell"


def _f(name, zh, en, fill=None, dtype=None):
    feature(name, FAMILY, "cell_hour", zh, en, fill, dtype)


_f("hour_ts", "小时起点", "start of the clock hour (epoch s)", dtype="int")
_f("region_code", "小区所在区县", "region code of the cell (from cells)", dtype="str")
_f("cell_calls", "小区通话次数", "voice calls served by the cell in the hour", 0)
_f("cell_lines", "小区活跃号码数", "distinct lines with a call in the cell in the hour", 0)
_f("cell_imeis", "小区终端数", "distinct IMEIs with a call in the cell in the hour", 0)
_f("cell_out_share", "小区主叫占比", "share of the cell's calls that are outgoing")
_f("cell_short_call_share", "小区短通话占比", "share of the cell's outgoing calls lasting 10 s or less")
_f("cell_sms", "小区短信数", "SMS through the cell in the hour", 0)


def cell_hour_sql(*, span: Span) -> str:
    """One row per (cell_id, hour_ts) with activity in the span (the records are counted first, then
    each cell-hour looks up its cell's region: one lookup per cell-hour, not per record)."""
    return f"""
WITH e AS (
  SELECT cell_id, msisdn, imei, direction, duration_s, ts, 1 AS is_call FROM cdr WHERE {span.where()} AND cell_id IS NOT NULL
  UNION ALL
  SELECT cell_id, msisdn, imei, direction, NULL AS duration_s, ts, 0 AS is_call FROM sms WHERE {span.where()} AND cell_id IS NOT NULL
)
SELECT h.cell_id, h.hour_ts, c.region_code, h.cell_calls, h.cell_lines, h.cell_imeis, h.cell_out_share,
       h.cell_short_call_share, h.cell_sms
FROM (
  SELECT e.cell_id, (e.ts // 3600) * 3600 AS hour_ts,
       SUM(e.is_call) AS cell_calls,
       COUNT(DISTINCT CASE WHEN e.is_call = 1 THEN e.msisdn END) AS cell_lines,
       COUNT(DISTINCT CASE WHEN e.is_call = 1 THEN e.imei END) AS cell_imeis,
       CAST(SUM(CASE WHEN e.is_call = 1 AND e.direction = 'out' THEN 1 ELSE 0 END) AS DOUBLE) / NULLIF(SUM(e.is_call), 0) AS cell_out_share,
       CAST(SUM(CASE WHEN e.is_call = 1 AND e.direction = 'out' AND e.duration_s <= 10 THEN 1 ELSE 0 END) AS DOUBLE)
         / NULLIF(SUM(CASE WHEN e.is_call = 1 AND e.direction = 'out' THEN 1 ELSE 0 END), 0) AS cell_short_call_share,
       SUM(1 - e.is_call) AS cell_sms
  FROM e GROUP BY e.cell_id, (e.ts // 3600) * 3600
) h
LEFT JOIN (SELECT cell_id, MAX(region_code) AS region_code FROM cells GROUP BY cell_id) c ON c.cell_id = h.cell_id
"""
