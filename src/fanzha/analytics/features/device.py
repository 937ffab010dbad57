"""Devices per line: IMEIs, device models (TAC = first 8 digits of the IMEI), sharing of IMEIs."""

from __future__ import annotations

from fanzha.analytics.features.registry import feature
from fanzha.analytics.features.sql import Span, events

FAMILY = "device"


def _f(name, zh, en, fill=None, dtype=None):
    feature(name, FAMILY, "line", zh, en, fill, dtype)


_f("imeis", "终端(IMEI)数", "distinct IMEIs the line used", 0)
_f("tacs", "终端型号(TAC)数", "distinct device models (TAC) the line used", 0)
_f("main_tac", "主要终端型号", "TAC the line used most (ties: smallest)", dtype="str")
_f("max_lines_on_imei", "同终端号码数(最大)", "most lines seen on any one of this line's IMEIs in the window (GOIP/SIM bank sign)", 0)


def ctes(*, span: Span, history: Span, night: tuple[int, int], tag: str) -> tuple[list[tuple[str, str]], str]:
    li, il, out = f"dli_{tag}", f"dil_{tag}", f"device_{tag}"
    parts = [
        (li, f"SELECT msisdn, imei, COUNT(*) AS n FROM ({events(span)}) e WHERE imei IS NOT NULL GROUP BY msisdn, imei"),
        (il, f"SELECT imei, COUNT(*) AS lines FROM {li} GROUP BY imei"),
        (
            f"dtac_{tag}",
            f"""SELECT msisdn, tac AS main_tac FROM (
                SELECT msisdn, SUBSTR(imei, 1, 8) AS tac, SUM(n) AS n FROM {li} GROUP BY msisdn, SUBSTR(imei, 1, 8)) x
            QUALIFY ROW_NUMBER() OVER (PARTITION BY msisdn ORDER BY n DESC, tac) = 1""",
        ),
        (
            out,
            f"""SELECT l.msisdn, COUNT(*) AS imeis, COUNT(DISTINCT SUBSTR(l.imei, 1, 8)) AS tacs,
                MAX(t.main_tac) AS main_tac, MAX(i.lines) AS max_lines_on_imei
            FROM {li} l JOIN {il} i ON i.imei = l.imei LEFT JOIN dtac_{tag} t ON t.msisdn = l.msisdn
            GROUP BY l.msisdn""",
        ),
    ]
    return parts, out


# ---- per IMEI (entity "imei") -------------------------------------------------------------------

def _i(name, zh, en, fill=None, dtype=None):
    feature(name, "imei", "imei", zh, en, fill, dtype)


_i("imei_tac", "终端型号(TAC)", "device model code: first 8 digits of the IMEI", dtype="str")
_i("imei_lines", "终端上号码数", "distinct lines (SIMs) seen on the IMEI", 0)
_i("imei_records", "终端话单数", "calls and SMS seen on the IMEI", 0)
_i("imei_out_share", "终端主叫占比", "share of the IMEI's records that are outgoing")
_i("imei_short_call_share", "终端短通话占比", "share of the IMEI's outgoing calls lasting 10 s or less")
_i("imei_sim_switches", "换卡次数", "times the line on the IMEI changed between consecutive records (SIM rotation)", 0)
_i("imei_first_ts", "首次出现", "first record time on the IMEI (epoch s)", dtype="int")
_i("imei_last_ts", "最后出现", "last record time on the IMEI (epoch s)", dtype="int")


def imei_sql(*, span: Span) -> str:
    """One row per IMEI seen in the span."""
    return f"""
WITH e AS (
  SELECT msisdn, imei, direction, ts, duration_s FROM cdr WHERE {span.where()} AND imei IS NOT NULL
  UNION ALL SELECT msisdn, imei, direction, ts, NULL AS duration_s FROM sms WHERE {span.where()} AND imei IS NOT NULL
),
sw AS (
  SELECT imei, CASE WHEN LAG(msisdn) OVER (PARTITION BY imei ORDER BY ts, msisdn) <> msisdn THEN 1 ELSE 0 END AS switched
  FROM e
)
SELECT a.imei, SUBSTR(a.imei, 1, 8) AS imei_tac, a.imei_lines, a.imei_records, a.imei_out_share,
       a.imei_short_call_share, s.imei_sim_switches, a.imei_first_ts, a.imei_last_ts
FROM (
  SELECT imei, COUNT(DISTINCT msisdn) AS imei_lines, COUNT(*) AS imei_records,
         CAST(SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS imei_out_share,
         CAST(SUM(CASE WHEN direction = 'out' AND duration_s <= 10 THEN 1 ELSE 0 END) AS DOUBLE)
           / NULLIF(SUM(CASE WHEN direction = 'out' AND duration_s IS NOT NULL THEN 1 ELSE 0 END), 0) AS imei_short_call_share,
         MIN(ts) AS imei_first_ts, MAX(ts) AS imei_last_ts
  FROM e GROUP BY imei
) a JOIN (SELECT imei, SUM(switched) AS imei_sim_switches FROM sw GROUP BY imei) s ON s.imei = a.imei
"""
