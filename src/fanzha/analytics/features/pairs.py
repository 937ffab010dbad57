"""Per pair of numbers (the line and a peer), for the association graph and tracing."""

from __future__ import annotations

from fanzha.analytics.features.registry import feature
from fanzha.analytics.features.sql import Span

FAMILY = "pair"


def _f(name, zh, en, fill=None, dtype=None):
    feature(name, FAMILY, "pair", zh, en, fill, dtype)


_f("pair_calls_out", "主叫次数", "calls from msisdn to peer", 0)
_f("pair_calls_in", "被叫次数", "calls from peer to msisdn", 0)
_f("pair_sms_out", "发短信数", "SMS from msisdn to peer", 0)
_f("pair_sms_in", "收短信数", "SMS from peer to msisdn", 0)
_f("pair_dur_total", "通话总时长(秒)", "total call duration between the two, s", 0)
_f("pair_first_ts", "首次联系", "first contact in the window (epoch s)", dtype="int")
_f("pair_last_ts", "最后联系", "last contact in the window (epoch s)", dtype="int")
_f("pair_peer_is_line", "对端为本网用户", "1 if the peer is one of the operator's subscribers", 0)


def pair_sql(*, span: Span) -> str:
    """One row per (msisdn, peer) as seen from msisdn's records (a call between two own lines
    appears once from each side)."""
    return f"""
WITH e AS (
  SELECT msisdn, peer, direction, duration_s, ts, 1 AS is_call FROM cdr WHERE {span.where()}
  UNION ALL SELECT msisdn, peer, direction, NULL AS duration_s, ts, 0 AS is_call FROM sms WHERE {span.where()}
)
SELECT e.msisdn, e.peer,
       SUM(CASE WHEN is_call = 1 AND direction = 'out' THEN 1 ELSE 0 END) AS pair_calls_out,
       SUM(CASE WHEN is_call = 1 AND direction = 'in' THEN 1 ELSE 0 END) AS pair_calls_in,
       SUM(CASE WHEN is_call = 0 AND direction = 'out' THEN 1 ELSE 0 END) AS pair_sms_out,
       SUM(CASE WHEN is_call = 0 AND direction = 'in' THEN 1 ELSE 0 END) AS pair_sms_in,
       COALESCE(SUM(CAST(duration_s AS BIGINT)), 0) AS pair_dur_total,
       MIN(ts) AS pair_first_ts, MAX(ts) AS pair_last_ts,
       MAX(CASE WHEN s.msisdn IS NULL THEN 0 ELSE 1 END) AS pair_peer_is_line
FROM e LEFT JOIN (SELECT DISTINCT msisdn FROM subscribers) s ON s.msisdn = e.peer
GROUP BY e.msisdn, e.peer
"""
