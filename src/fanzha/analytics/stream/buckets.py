"""SQL over hourly buckets (DuckDB dialect). Each new batch of records adds *fragments* to the bucket
tables; a window is composed by summing the fragments of its hours, so a new file costs its own rows,
never a recomputation of the window.

Bucket tables (``hour_ts`` = start of the clock hour, epoch s):

- ``line_hour``: per line and hour — call counts by direction, duration sums (and squares, for the
  variance), short/unanswered outgoing calls, first/last call time and the sum of squared gaps between
  consecutive calls inside the fragment; SMS counts and first/last SMS time.
- ``pair_hour``: per line, peer, hour and kind (``c`` call, ``s`` SMS) — counts by direction, call
  duration (total and longest), last contact: peers, reciprocity, entropy, victims to warn.
- ``line_imei_hour``: per line, IMEI, hour — records and outgoing calls (devices, SIM banks).
- ``line_cell_hour``: per line, cell, hour — calls and outgoing calls (SIM banks: lines together in a cell-hour).
- ``pair_first``: first call between a line and a peer (new-peer share).

History tables, kept ``HISTORY_S`` (a week and a day) because their detectors compare with earlier days:

- ``cell_hour``: per cell and hour — calls and outgoing calls (cell_anomaly: the same hour on earlier days).
- ``line_block``: per line and 6-hour block — records, last time, position sums over located records and
  their bounding box, outgoing and international contacts (resold_card: where the line used to be).
- ``line_block_attr``: per line, block and value — records per IMEI (``attr='imei'``), per cell region
  (``attr='region'``), per peer (``'peer'``) and per cell (``'cell'``): the devices a line used, the
  region it was mostly in, who it was in contact with and where (resold_card's contacts turnover).

Composed features equal the batch features (:mod:`fanzha.analytics.features.calling`/``device``) for a
window ending at a clock hour, except: ``gap_std``/``burstiness`` are exact when the records of a line
arrive in time order (an out-of-order file adds its gaps as if appended), and "new peer" looks back
over everything the monitor still holds (``pair_first`` keeps 30 days) instead of a fixed 30 days.
"""

from __future__ import annotations

from fanzha.analytics.features import onset
from fanzha.analytics.features.calling import victim_facts_sql
from fanzha.analytics.features.sql import carrier, entropy, is_night, local_day, peer_kind, ratio

HOUR = 3600
DAY = 86400
NIGHT = (22, 6)
BLOCK_S = 6 * HOUR  # resold_card's block (detectors.resold_card.BLOCK_S)
HISTORY_S = 8 * DAY
INTL = "(peer LIKE '+%' OR peer LIKE '00%')"

TABLES = {
    "line_hour": """msisdn VARCHAR, hour_ts BIGINT, calls BIGINT, calls_out BIGINT, calls_in BIGINT,
        calls_fwd BIGINT, dur BIGINT, dur2 HUGEINT, dur_max BIGINT, n_short BIGINT, n_unans BIGINT,
        c_first BIGINT, c_last BIGINT, c_gap2 DOUBLE, sms BIGINT, sms_out BIGINT, sms_in BIGINT,
        s_first BIGINT, s_last BIGINT""",
    "pair_hour": """msisdn VARCHAR, peer VARCHAR, hour_ts BIGINT, kind VARCHAR, n BIGINT, n_out BIGINT,
        n_in BIGINT, dur BIGINT, dur_max BIGINT, last_ts BIGINT""",
    "line_imei_hour": "msisdn VARCHAR, imei VARCHAR, hour_ts BIGINT, n BIGINT, n_out BIGINT, first_ts BIGINT, last_ts BIGINT",
    "line_cell_hour": "msisdn VARCHAR, cell_id VARCHAR, hour_ts BIGINT, n BIGINT, n_out BIGINT",
}


HISTORY_TABLES = {  # name → (columns, time column)
    "cell_hour": ("cell_id VARCHAR, hour_ts BIGINT, calls BIGINT, n_out BIGINT", "hour_ts"),
    "line_block": ("""msisdn VARCHAR, block_ts BIGINT, records BIGINT, last_ts BIGINT, lat_sum DOUBLE, lon_sum DOUBLE,
        n_geo BIGINT, lat_min DOUBLE, lat_max DOUBLE, lon_min DOUBLE, lon_max DOUBLE, out_n BIGINT, intl_n BIGINT""",
                   "block_ts"),
    "line_block_attr": ("msisdn VARCHAR, block_ts BIGINT, attr VARCHAR, value VARCHAR, n BIGINT", "block_ts"),
}


def _h(col: str = "ts") -> str:
    return f"(({col} // {HOUR}) * {HOUR})"


def fragment_sql(table: str, kind: str, src: str) -> str:
    """SELECT adding ``src``'s records (stored columns of CDR or SMS) as fragments of bucket ``table``."""
    if table == "line_hour":
        if kind == "cdr":
            return f"""
            SELECT msisdn, hour_ts, COUNT(*), SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END),
              SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END), SUM(CASE WHEN direction = 'fwd' THEN 1 ELSE 0 END),
              SUM(CAST(duration_s AS BIGINT)), SUM(CAST(duration_s AS HUGEINT) * duration_s), MAX(duration_s),
              SUM(CASE WHEN direction = 'out' AND duration_s <= 10 THEN 1 ELSE 0 END),
              SUM(CASE WHEN direction = 'out' AND duration_s = 0 THEN 1 ELSE 0 END),
              MIN(ts), MAX(ts), COALESCE(SUM(gap * gap), 0), 0, 0, 0, NULL, NULL
            FROM (SELECT *, {_h()} AS hour_ts,
                         CAST(ts - LAG(ts) OVER (PARTITION BY msisdn, {_h()} ORDER BY ts) AS DOUBLE) AS gap
                  FROM {src}) r
            GROUP BY msisdn, hour_ts"""
        return f"""
            SELECT msisdn, {_h()} AS hour_ts, 0, 0, 0, 0, 0, 0, NULL, 0, 0, NULL, NULL, 0, COUNT(*),
              SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END), SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END),
              MIN(ts), MAX(ts)
            FROM {src} GROUP BY msisdn, {_h()}"""
    if table == "pair_hour":
        dur = ("SUM(CAST(duration_s AS BIGINT)), MAX(duration_s)" if kind == "cdr" else "0, 0")
        return f"""
            SELECT msisdn, peer, {_h()}, '{kind[0]}' AS kind, COUNT(*),
              SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END), SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END),
              {dur}, MAX(ts)
            FROM {src} GROUP BY msisdn, peer, {_h()}"""
    if table == "line_imei_hour":
        return f"""
            SELECT msisdn, imei, {_h()}, COUNT(*),
              SUM(CASE WHEN direction = 'out' AND '{kind}' = 'cdr' THEN 1 ELSE 0 END), MIN(ts), MAX(ts)
            FROM {src} WHERE imei IS NOT NULL GROUP BY msisdn, imei, {_h()}"""
    if table == "line_cell_hour":
        if kind != "cdr":
            return ""
        return f"""
            SELECT msisdn, cell_id, {_h()}, COUNT(*), SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END)
            FROM {src} WHERE cell_id IS NOT NULL GROUP BY msisdn, cell_id, {_h()}"""
    if table == "cell_hour":
        if kind != "cdr":
            return ""
        return f"""
            SELECT cell_id, {_h()}, COUNT(*), SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END)
            FROM {src} WHERE cell_id IS NOT NULL GROUP BY cell_id, {_h()}"""
    block = f"((s.ts // {BLOCK_S}) * {BLOCK_S})"
    if table == "line_block":  # calls and SMS alike, as resold_card.blocks reads both
        return f"""
            SELECT s.msisdn, {block}, COUNT(*), MAX(s.ts), SUM(CAST(c.lat AS DOUBLE)), SUM(CAST(c.lon AS DOUBLE)),
              COUNT(c.lat), MIN(CAST(c.lat AS DOUBLE)), MAX(CAST(c.lat AS DOUBLE)), MIN(CAST(c.lon AS DOUBLE)),
              MAX(CAST(c.lon AS DOUBLE)), SUM(CASE WHEN s.direction = 'out' THEN 1 ELSE 0 END),
              SUM(CASE WHEN s.direction = 'out' AND {INTL.replace('peer', 's.peer')} THEN 1 ELSE 0 END)
            FROM {src} s LEFT JOIN cells c ON c.cell_id = s.cell_id GROUP BY s.msisdn, {block}"""
    if table == "line_block_attr":
        return f"""
            SELECT s.msisdn, {block}, 'imei', s.imei, COUNT(*) FROM {src} s WHERE s.imei IS NOT NULL
            GROUP BY s.msisdn, {block}, s.imei
            UNION ALL
            SELECT s.msisdn, {block}, 'region', c.region_code, COUNT(*) FROM {src} s JOIN cells c ON c.cell_id = s.cell_id
            WHERE c.region_code IS NOT NULL GROUP BY s.msisdn, {block}, c.region_code
            UNION ALL
            SELECT s.msisdn, {block}, 'peer', s.peer, COUNT(*) FROM {src} s WHERE s.peer IS NOT NULL
            GROUP BY s.msisdn, {block}, s.peer
            UNION ALL
            SELECT s.msisdn, {block}, 'cell', s.cell_id, COUNT(*) FROM {src} s WHERE s.cell_id IS NOT NULL
            GROUP BY s.msisdn, {block}, s.cell_id"""
    raise ValueError(table)


def compact_sql(table: str, where: str = "true") -> str:
    """One row per bucket key of the rows matching ``where``: the fragments summed (gaps joined in time
    order for ``line_hour``)."""
    if table == "line_hour":
        return f"""
        SELECT msisdn, hour_ts, SUM(calls), SUM(calls_out), SUM(calls_in), SUM(calls_fwd), SUM(dur), SUM(dur2),
          MAX(dur_max), SUM(n_short), SUM(n_unans), MIN(c_first), MAX(c_last),
          SUM(c_gap2) + COALESCE(SUM(POWER(c_first - prev_last, 2)), 0), SUM(sms), SUM(sms_out), SUM(sms_in),
          MIN(s_first), MAX(s_last)
        FROM (SELECT *, LAG(c_last) OVER (PARTITION BY msisdn, hour_ts ORDER BY c_first NULLS LAST, c_last) AS prev_last
              FROM line_hour WHERE {where}) f
        GROUP BY msisdn, hour_ts"""
    if table == "pair_hour":
        return f"""SELECT msisdn, peer, hour_ts, kind, SUM(n), SUM(n_out), SUM(n_in), SUM(dur), MAX(dur_max), MAX(last_ts)
                  FROM pair_hour WHERE {where} GROUP BY msisdn, peer, hour_ts, kind"""
    if table == "line_imei_hour":
        return f"""SELECT msisdn, imei, hour_ts, SUM(n), SUM(n_out), MIN(first_ts), MAX(last_ts)
                  FROM line_imei_hour WHERE {where} GROUP BY msisdn, imei, hour_ts"""
    if table == "line_cell_hour":
        return (f"SELECT msisdn, cell_id, hour_ts, SUM(n), SUM(n_out) FROM line_cell_hour WHERE {where} "
                "GROUP BY msisdn, cell_id, hour_ts")
    if table == "cell_hour":
        return f"SELECT cell_id, hour_ts, SUM(calls), SUM(n_out) FROM cell_hour WHERE {where} GROUP BY cell_id, hour_ts"
    if table == "line_block":
        return f"""SELECT msisdn, block_ts, SUM(records), MAX(last_ts), SUM(lat_sum), SUM(lon_sum), SUM(n_geo),
                  MIN(lat_min), MAX(lat_max), MIN(lon_min), MAX(lon_max), SUM(out_n), SUM(intl_n)
                  FROM line_block WHERE {where} GROUP BY msisdn, block_ts"""
    if table == "line_block_attr":
        return f"""SELECT msisdn, block_ts, attr, value, SUM(n) FROM line_block_attr WHERE {where}
                  GROUP BY msisdn, block_ts, attr, value"""
    raise ValueError(table)


def window_where(lo: int, hi: int) -> str:
    """Buckets of the window (lo, hi]; lo and hi are clock-hour boundaries."""
    return f"hour_ts >= {int(lo)} AND hour_ts < {int(hi)}"


def candidates_sql(lo: int, hi: int, min_calls_out: int, upto: int | None = None, touched: str | None = None) -> str:
    """Lines touched (the query ``touched``; default: dirty up to apply transaction ``upto``) that could
    alert: at least ``min_calls_out`` outgoing calls in the window."""
    if touched is None:
        touched = "SELECT msisdn FROM dirty" + (f" WHERE COALESCE(seq, 0) <= {int(upto)}" if upto is not None else "")
    return f"""SELECT msisdn FROM line_hour WHERE {window_where(lo, hi)} AND msisdn IN ({touched})
               GROUP BY msisdn HAVING SUM(calls_out) >= {int(min_calls_out)}"""


def line_features_sql(lo: int, hi: int, cand: str, w: str = "24h", subs: str = "subscribers") -> str:
    """Per candidate line (table ``cand``), the calling, device and onset features over (lo, hi], named
    ``<feature>_<w>`` as :func:`fanzha.analytics.features.line_features_sql` names them. ``subs``: the
    subscribers (msisdn, id_no, occupation) for the victims' profile; the onset baseline comes from the
    ``line_block`` history."""
    win = window_where(lo, hi)
    night = is_night(NIGHT, "hour_ts")
    out_peer = "q.n_out > 0"
    cols = {
        "calls": "la.calls", "calls_out": "la.calls_out", "calls_in": "la.calls_in", "calls_fwd": "la.calls_fwd",
        "out_share": ratio("la.calls_out", "la.calls"),
        "peers": "COALESCE(pa.peers, 0)", "peers_out": "COALESCE(pa.peers_out, 0)",
        "new_peer_share": "pa.new_peer_share", "own_new_peers": "COALESCE(pa.own_new_peers, 0)",
        "own_new_peer_share": "pa.own_new_peer_share", "elderly_peer_share": "pa.elderly_peer_share",
        "student_peer_share": "pa.student_peer_share", "calls_per_peer": "pa.calls_per_peer",
        "contact_entropy": "pa.contact_entropy", "reciprocal_peer_share": "pa.reciprocal_peer_share",
        "callback_share": "pa.callback_share", "other_carrier_peer_share": "pa.other_carrier_peer_share",
        "fixed_peer_share": "pa.fixed_peer_share", "intl_peer_share": "pa.intl_peer_share",
        "dur_total": "la.dur", "dur_mean": ratio("la.dur", "la.calls"),
        "dur_std": "CASE WHEN la.calls > 0 THEN SQRT(GREATEST(CAST(la.dur2 AS DOUBLE) / la.calls - "
                   "POWER(CAST(la.dur AS DOUBLE) / la.calls, 2), 0.0)) END",
        "dur_max": "la.dur_max",
        "short_call_share": ratio("la.n_short", "la.calls_out"), "unanswered_share": ratio("la.n_unans", "la.calls_out"),
        "night_share": ratio("la.n_night", "la.calls"),
        "gap_mean": "CASE WHEN g.n > 1 THEN CAST(g.l - g.f AS DOUBLE) / (g.n - 1) END",
        "gap_std": "CASE WHEN g.n > 1 THEN SQRT(GREATEST(g.g2 / (g.n - 1) - POWER(CAST(g.l - g.f AS DOUBLE) / (g.n - 1), 2), 0.0)) END",
        "burstiness": "CASE WHEN g.n > 1 THEN (gs - gm) / NULLIF(gs + gm, 0) END",
        "sms_out": "la.sms_out", "sms_in": "la.sms_in", "sms_peers": "COALESCE(sa.sms_peers, 0)",
        "sms_contact_entropy": "sa.sms_contact_entropy", "sms_night_share": ratio("la.sms_night", "la.sms"),
        "sms_gap_mean": "CAST(la.s_last - la.s_first AS DOUBLE) / NULLIF(la.sms - 1, 0)",
        "active_days": "la.active_days", "active_hours": "la.active_hours",
        "imeis": "COALESCE(dv.imeis, 0)", "tacs": "COALESCE(dv.tacs, 0)",
        "max_lines_on_imei": "COALESCE(dv.max_lines_on_imei, 0)",
        **{f: f"ons.{f}" for f in ("calls_out_today", "hours_since_first_today", "calls_out_per_hour_today",
                                   "base_blocks", "base_out_share", "out_share_break", "activity_break")},
    }
    t_lo = max(lo, onset.today_lo(hi))
    b_lo, b_hi = onset.base_span(lo)
    new_out = f"{out_peer} AND COALESCE(pf.first_ts, {hi}) >= {lo}"
    gm = "(CASE WHEN g.n > 1 THEN CAST(g.l - g.f AS DOUBLE) / (g.n - 1) END)"
    gs = f"(CASE WHEN g.n > 1 THEN SQRT(GREATEST(g.g2 / (g.n - 1) - POWER({gm}, 2), 0.0)) END)"
    cols["burstiness"] = f"({gs} - {gm}) / NULLIF({gs} + {gm}, 0)"
    select = ",\n  ".join(f"CAST({expr} AS DOUBLE) AS {name}_{w}" for name, expr in cols.items())
    return f"""
WITH lh AS (SELECT * FROM line_hour WHERE {win} AND msisdn IN (SELECT msisdn FROM {cand})),
la AS (
  SELECT msisdn, SUM(calls) AS calls, SUM(calls_out) AS calls_out, SUM(calls_in) AS calls_in,
    SUM(calls_fwd) AS calls_fwd, SUM(dur) AS dur, SUM(dur2) AS dur2, MAX(dur_max) AS dur_max,
    SUM(n_short) AS n_short, SUM(n_unans) AS n_unans,
    SUM(CASE WHEN {night} THEN calls ELSE 0 END) AS n_night, SUM(sms) AS sms, SUM(sms_out) AS sms_out,
    SUM(sms_in) AS sms_in, SUM(CASE WHEN {night} THEN sms ELSE 0 END) AS sms_night,
    MIN(s_first) AS s_first, MAX(s_last) AS s_last,
    COUNT(DISTINCT CASE WHEN calls + sms > 0 THEN {local_day('hour_ts')} END) AS active_days,
    COUNT(DISTINCT CASE WHEN calls + sms > 0 THEN hour_ts END) AS active_hours
  FROM lh GROUP BY msisdn),
gf AS (SELECT msisdn, calls, c_first, c_last, c_gap2,
         LAG(c_last) OVER (PARTITION BY msisdn ORDER BY c_first, c_last) AS prev_last FROM lh WHERE calls > 0),
g AS (SELECT msisdn, SUM(calls) AS n, MIN(c_first) AS f, MAX(c_last) AS l,
        SUM(c_gap2) + COALESCE(SUM(POWER(c_first - prev_last, 2)), 0) AS g2 FROM gf GROUP BY msisdn),
pc AS (SELECT msisdn, peer, SUM(n) AS n, SUM(n_out) AS n_out, SUM(n_in) AS n_in FROM pair_hour
       WHERE kind = 'c' AND {win} AND msisdn IN (SELECT msisdn FROM {cand}) GROUP BY msisdn, peer),
pa AS (
  SELECT q.msisdn, COUNT(*) AS peers, SUM(CASE WHEN {out_peer} THEN 1 ELSE 0 END) AS peers_out,
    {ratio(f"SUM(CASE WHEN {new_out} THEN 1 ELSE 0 END)", f"SUM(CASE WHEN {out_peer} THEN 1 ELSE 0 END)")} AS new_peer_share,
    SUM(CASE WHEN {new_out} AND v.msisdn IS NOT NULL THEN 1 ELSE 0 END) AS own_new_peers,
    {ratio(f"SUM(CASE WHEN {new_out} AND v.msisdn IS NOT NULL THEN 1 ELSE 0 END)", f"SUM(CASE WHEN {out_peer} THEN 1 ELSE 0 END)")} AS own_new_peer_share,
    {ratio(f"SUM(CASE WHEN {out_peer} AND v.elderly = 1 THEN 1 ELSE 0 END)", f"SUM(CASE WHEN {out_peer} THEN 1 ELSE 0 END)")} AS elderly_peer_share,
    {ratio(f"SUM(CASE WHEN {out_peer} AND v.student = 1 THEN 1 ELSE 0 END)", f"SUM(CASE WHEN {out_peer} THEN 1 ELSE 0 END)")} AS student_peer_share,
    AVG(CAST(q.n AS DOUBLE)) AS calls_per_peer, {entropy("q.n")} AS contact_entropy,
    {ratio("SUM(CASE WHEN q.n_out > 0 AND q.n_in > 0 THEN 1 ELSE 0 END)", "COUNT(*)")} AS reciprocal_peer_share,
    {ratio("SUM(CASE WHEN q.n_out > 0 AND q.n_in > 0 THEN 1 ELSE 0 END)", f"SUM(CASE WHEN {out_peer} THEN 1 ELSE 0 END)")} AS callback_share,
    {ratio(f"SUM(CASE WHEN {out_peer} AND {peer_kind('q.peer')} = 'mobile' AND {carrier('q.peer')} <> {carrier('q.msisdn')} THEN 1 ELSE 0 END)", f"SUM(CASE WHEN {out_peer} AND {peer_kind('q.peer')} = 'mobile' THEN 1 ELSE 0 END)")} AS other_carrier_peer_share,
    {ratio(f"SUM(CASE WHEN {out_peer} AND {peer_kind('q.peer')} = 'fixed' THEN 1 ELSE 0 END)", f"SUM(CASE WHEN {out_peer} THEN 1 ELSE 0 END)")} AS fixed_peer_share,
    {ratio(f"SUM(CASE WHEN {out_peer} AND {peer_kind('q.peer')} = 'intl' THEN 1 ELSE 0 END)", f"SUM(CASE WHEN {out_peer} THEN 1 ELSE 0 END)")} AS intl_peer_share
  FROM pc q LEFT JOIN (SELECT msisdn, peer, MIN(first_ts) AS first_ts FROM pair_first
                       WHERE msisdn IN (SELECT msisdn FROM {cand}) GROUP BY msisdn, peer) pf
    ON pf.msisdn = q.msisdn AND pf.peer = q.peer
  LEFT JOIN ({victim_facts_sql(hi, subs)}) v ON v.msisdn = q.peer GROUP BY q.msisdn),
sp AS (SELECT msisdn, peer, SUM(n) AS n FROM pair_hour WHERE kind = 's' AND {win}
       AND msisdn IN (SELECT msisdn FROM {cand}) GROUP BY msisdn, peer),
sa AS (SELECT msisdn, COUNT(*) AS sms_peers, {entropy("n")} AS sms_contact_entropy FROM sp GROUP BY msisdn),
li AS (SELECT msisdn, imei, SUM(n) AS n FROM line_imei_hour WHERE {win} AND msisdn IN (SELECT msisdn FROM {cand})
       GROUP BY msisdn, imei),
il AS (SELECT imei, COUNT(DISTINCT msisdn) AS lines FROM line_imei_hour
       WHERE {win} AND imei IN (SELECT imei FROM li) GROUP BY imei),
dv AS (SELECT li.msisdn, COUNT(*) AS imeis, COUNT(DISTINCT SUBSTR(li.imei, 1, 8)) AS tacs,
         MAX(il.lines) AS max_lines_on_imei FROM li JOIN il ON il.imei = li.imei GROUP BY li.msisdn),
onw AS (SELECT msisdn, calls + sms AS n, calls_out + sms_out AS n_out FROM la),
ont AS (SELECT msisdn, SUM(calls_out) AS calls_out_today, LEAST(MIN(c_first), MIN(s_first)) AS first_today
        FROM lh WHERE hour_ts >= {t_lo} GROUP BY msisdn),
onb AS (SELECT msisdn, COUNT(DISTINCT block_ts) AS blocks, SUM(records) AS n, SUM(out_n) AS n_out FROM line_block
        WHERE block_ts >= {b_lo} AND block_ts < {b_hi} AND msisdn IN (SELECT msisdn FROM {cand}) GROUP BY msisdn),
ons AS ({onset.onset_select("onw", "ont", "onb", hi, (hi - lo) / BLOCK_S)})
SELECT la.msisdn,
  {select}
FROM la LEFT JOIN g ON g.msisdn = la.msisdn LEFT JOIN pa ON pa.msisdn = la.msisdn
LEFT JOIN sa ON sa.msisdn = la.msisdn LEFT JOIN dv ON dv.msisdn = la.msisdn LEFT JOIN ons ON ons.msisdn = la.msisdn
ORDER BY la.msisdn"""


def rule_hours_sql(lo: int, hi: int, cand: str, min_calls: int = 100, short_share: float = 0.5) -> str:
    """Line-hours of the rule of thumb (> min_calls outgoing calls, mostly ≤ 10 s), as
    :func:`fanzha.analytics.detectors.lines.hourly_out` answers them from the records."""
    return f"""SELECT msisdn, hour_ts, SUM(calls_out) AS calls_out,
                 CAST(SUM(n_short) AS DOUBLE) / NULLIF(SUM(calls_out), 0) AS short_share, MAX(c_last) AS last_ts
               FROM line_hour WHERE {window_where(lo, hi)} AND msisdn IN (SELECT msisdn FROM {cand})
               GROUP BY msisdn, hour_ts
               HAVING SUM(calls_out) > {int(min_calls)} AND CAST(SUM(n_short) AS DOUBLE) / NULLIF(SUM(calls_out), 0) > {float(short_share)}"""


def box_sources():
    """The bucket tables simbox's co-behaviour decision (:func:`..detectors.cobehave.groups_at`) reads; the
    batch detector hands it tables of the same shape made from the records."""
    from fanzha.analytics.detectors.cobehave import Sources

    return Sources(line_hour="line_hour", line_cell_hour="line_cell_hour", line_imei_hour="line_imei_hour",
                   pair_hour="(SELECT * FROM pair_hour WHERE kind = 'c')",
                   cell_lines="(SELECT cell_id, hour_ts, msisdn FROM line_cell_hour)")


def reached_sql(lo: int, hi: int, lines: str) -> str:
    """Peers reached by the lines of table ``lines`` in the window: calls, longest call, last contact."""
    return f"""SELECT msisdn AS fraud_msisdn, peer, SUM(n) AS contacts, MAX(dur_max) AS longest_s, MAX(last_ts) AS last_ts
               FROM pair_hour WHERE {window_where(lo, hi)} AND n_out > 0 AND msisdn IN (SELECT msisdn FROM {lines})
               GROUP BY msisdn, peer"""


# ---- history detectors ---------------------------------------------------------------------------------

def cell_hours_sql(since: int, hi: int) -> str:
    """Per cell and clock hour in [since, hi): calls and outgoing calls (cell_anomaly.hourly_calls' frame)."""
    return f"""SELECT cell_id, hour_ts, SUM(calls) AS cell_calls, CAST(NULL AS BIGINT) AS cell_lines,
                 CAST(SUM(n_out) AS DOUBLE) AS out_calls, CAST(NULL AS DOUBLE) AS cell_short_call_share
               FROM cell_hour WHERE hour_ts >= {int(since)} AND hour_ts < {int(hi)} GROUP BY cell_id, hour_ts"""


def cell_drivers_sql(cell_hours: str) -> str:
    """Per flagged cell (table ``cell_hours``: cell_id, hour_ts): outgoing calls of each line in its hours."""
    return f"""SELECT c.cell_id, c.msisdn, CAST(SUM(c.n_out) AS BIGINT) AS calls_out FROM line_cell_hour c
               JOIN {cell_hours} h ON h.cell_id = c.cell_id AND h.hour_ts = c.hour_ts
               WHERE c.n_out > 0 GROUP BY c.cell_id, c.msisdn"""


def cell_staying_sql(drivers: str) -> str:
    """Per (cell, line) of table ``drivers``: share of the line's outgoing calls (held) made in that cell."""
    return f"""SELECT d.cell_id, d.msisdn,
                 CAST(SUM(CASE WHEN c.cell_id = d.cell_id THEN c.n_out ELSE 0 END) AS DOUBLE) / NULLIF(SUM(c.n_out), 0) AS share
               FROM {drivers} d JOIN line_cell_hour c ON c.msisdn = d.msisdn GROUP BY d.cell_id, d.msisdn"""


def resold_candidates_sql(lines: str, *, min_new: int, min_history: int, history_s: int, min_base: int,
                          max_usual: float, since: int | None = None) -> str:
    """Lines (query ``lines``) where resold_card's core sign, the contacts turnover, could fire in a block
    starting at ``since`` or later (all held blocks if None): a block with at least ``min_new`` peers
    never seen in the line's earlier blocks, when the line had ``min_history`` peers before it, its first
    block is ``history_s`` earlier, and its usual new-peer share over at least ``min_base`` earlier judged
    blocks is at most ``max_usual``. A necessary condition (a block so far has no more new peers than the
    whole block), so the detailed replay skips only lines that cannot alert on contacts; shared by
    ``fanzha detect`` (blocks folded from the records) and the monitor (the held blocks)."""
    late = f"AND block_ts >= {int(since)}" if since is not None else ""
    return f"""
WITH p AS (SELECT DISTINCT msisdn, block_ts, value AS peer FROM line_block_attr
           WHERE attr = 'peer' AND msisdn IN ({lines})),
f AS (SELECT msisdn, peer, MIN(block_ts) AS fb FROM p GROUP BY msisdn, peer),
lf AS (SELECT msisdn, MIN(block_ts) AS first_b FROM p GROUP BY msisdn),
nb AS (SELECT msisdn, fb AS block_ts, COUNT(*) AS new FROM f GROUP BY msisdn, fb),
b AS (SELECT p.msisdn, p.block_ts, COUNT(*) AS peers, COALESCE(MAX(nb.new), 0) AS new
      FROM p LEFT JOIN nb ON nb.msisdn = p.msisdn AND nb.block_ts = p.block_ts GROUP BY p.msisdn, p.block_ts),
h AS (SELECT b.*, SUM(new) OVER (PARTITION BY b.msisdn ORDER BY b.block_ts) - new AS before,
        b.block_ts >= lf.first_b + {int(history_s)} AS aged FROM b JOIN lf ON lf.msisdn = b.msisdn),
j AS (SELECT *, CASE WHEN aged AND before >= {int(min_history)} THEN CAST(new AS DOUBLE) / peers END AS judged FROM h),
u AS (SELECT *, AVG(judged) OVER w AS usual, COUNT(judged) OVER w AS base FROM j
      WINDOW w AS (PARTITION BY msisdn ORDER BY block_ts ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))
SELECT DISTINCT msisdn FROM u
WHERE new >= {int(min_new)} AND before >= {int(min_history)} AND aged AND base >= {int(min_base)}
  AND usual <= {float(max_usual)} {late}"""


def resold_far_sql(lines: str, degrees: float, min_intl: int = 3) -> str:
    """Lines (query ``lines``) where resold_card's far-away rule could fire on the held blocks: spread over
    ``degrees`` or ``min_intl`` contacts abroad, and — since it needs two of moved, new device and abroad —
    a second IMEI or a contact abroad."""
    return f"""
WITH b AS (SELECT msisdn, SUM(intl_n) AS intl FROM line_block WHERE msisdn IN ({lines}) GROUP BY msisdn
           HAVING MAX(lat_max) - MIN(lat_min) >= {float(degrees)} OR MAX(lon_max) - MIN(lon_min) >= {float(degrees)}
               OR SUM(intl_n) >= {int(min_intl)}),
i AS (SELECT msisdn, COUNT(DISTINCT value) AS imeis FROM line_block_attr
      WHERE attr = 'imei' AND msisdn IN (SELECT msisdn FROM b) GROUP BY msisdn)
SELECT b.msisdn FROM b LEFT JOIN i ON i.msisdn = b.msisdn WHERE b.intl >= 1 OR COALESCE(i.imeis, 0) >= 2"""


def resold_blocks_sql(cand: str) -> str:
    """The block states resold_card.score_blocks replays, for the lines of table ``cand``, from the held
    blocks: sums, and the IMEIs, regions (value, records), peers and cells seen in the block so far."""
    return f"""
WITH b AS (
  SELECT msisdn, block_ts, SUM(records) AS records, MAX(last_ts) AS last_ts, SUM(lat_sum) AS lat_sum,
    SUM(lon_sum) AS lon_sum, SUM(n_geo) AS n_geo, CAST(SUM(out_n) AS BIGINT) AS out_n, CAST(SUM(intl_n) AS BIGINT) AS intl_n
  FROM line_block WHERE msisdn IN (SELECT msisdn FROM {cand}) GROUP BY msisdn, block_ts),
a AS (SELECT msisdn, block_ts, attr, value, SUM(n) AS n FROM line_block_attr
      WHERE msisdn IN (SELECT msisdn FROM {cand}) GROUP BY msisdn, block_ts, attr, value),
l AS (SELECT msisdn, block_ts,
        LIST(value ORDER BY value) FILTER (WHERE attr = 'imei') AS imeis,
        LIST(value ORDER BY value) FILTER (WHERE attr = 'region') AS region_values,
        LIST(n ORDER BY value) FILTER (WHERE attr = 'region') AS region_counts,
        LIST(value ORDER BY value) FILTER (WHERE attr = 'peer') AS peers,
        LIST(value ORDER BY value) FILTER (WHERE attr = 'cell') AS cells
      FROM a GROUP BY msisdn, block_ts)
SELECT b.*, l.imeis, l.region_values, l.region_counts, l.peers, l.cells
FROM b LEFT JOIN l ON l.msisdn = b.msisdn AND l.block_ts = b.block_ts
ORDER BY b.msisdn, b.block_ts"""


def centre_sql() -> str:
    """Median position of the located blocks held (resold_card's reference for a line with no history)."""
    return "SELECT MEDIAN(lat_sum / n_geo) AS lat, MEDIAN(lon_sum / n_geo) AS lon FROM line_block WHERE n_geo > 0"
