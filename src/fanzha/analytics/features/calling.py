"""Calling behaviour per line: volumes, peers, durations, timing, reciprocity, peer types, SMS."""

from __future__ import annotations

import datetime as dt

from fanzha.analytics.features.registry import feature
from fanzha.analytics.features.sql import (
    Span,
    calls,
    carrier,
    entropy,
    events,
    hour_of_day,
    is_night,
    local_day,
    peer_kind,
    ratio,
    texts,
)

FAMILY = "calling"


def _f(name, zh, en, fill=None):
    feature(name, FAMILY, "line", zh, en, fill)


_f("calls", "通话总次数", "voice calls (all directions)", 0)
_f("calls_out", "主叫次数", "outgoing calls", 0)
_f("calls_in", "被叫次数", "incoming calls", 0)
_f("calls_fwd", "呼转次数", "forwarded calls", 0)
_f("out_share", "主叫占比", "share of calls that are outgoing (bandicoot percent_initiated_interactions)")
_f("peers", "通话对端号码数", "distinct call peers (bandicoot number_of_contacts)", 0)
_f("peers_out", "主叫对端号码数", "distinct peers called", 0)
_f("new_peer_share", "新联系人占比", "share of peers called that had no call with the line in the history before the window")
_f("own_new_peers", "新触达本网用户数", "own subscribers called that never had a call with the line in the history before the window", 0)
_f("own_new_peer_share", "新触达本网用户占比", "share of peers called that are own subscribers never called or calling before (own_new_peers / peers_out)")
_f("elderly_peer_share", "老年对端占比", "share of peers called that are own subscribers aged 60 or more (from the subscribers' ID numbers)")
_f("student_peer_share", "学生对端占比", "share of peers called that are own subscribers registered as students")
_f("calls_per_peer", "每个对端平均通话次数", "mean calls per peer (bandicoot interactions_per_contact)")
_f("contact_entropy", "联系人熵", "entropy (ln) of calls over peers (bandicoot entropy_of_contacts)")
_f("reciprocal_peer_share", "双向联系对端占比", "share of peers with calls in both directions")
_f("callback_share", "回拨率", "share of peers called that also called the line")
_f("other_carrier_peer_share", "异网对端占比", "share of mobile peers called that are on another carrier")
_f("fixed_peer_share", "固话对端占比", "share of peers called that are fixed lines")
_f("intl_peer_share", "境外对端占比", "share of peers called that are abroad")
_f("dur_total", "通话总时长(秒)", "total call duration, s", 0)
_f("dur_mean", "平均通话时长(秒)", "mean call duration incl. unanswered, s (bandicoot call_duration mean)")
_f("dur_std", "通话时长标准差(秒)", "population std of call duration, s (bandicoot call_duration std)")
_f("dur_max", "最长通话时长(秒)", "longest call, s")
_f("short_call_share", "短通话占比(≤10秒)", "share of outgoing calls lasting 10 s or less (incl. unanswered)")
_f("unanswered_share", "未接通占比", "share of outgoing calls not answered (duration 0)")
_f("night_share", "夜间通话占比", "share of calls at night (default 22:00-06:00 local; bandicoot percent_nocturnal)")
_f("gap_mean", "通话间隔均值(秒)", "mean time between consecutive calls, s (bandicoot interevent_time)")
_f("gap_std", "通话间隔标准差(秒)", "population std of time between calls, s")
_f("burstiness", "突发度", "burstiness of calls (std - mean) / (std + mean) of gaps: -1 regular, 0 random, 1 bursty")
_f("sms_out", "发送短信数", "SMS sent", 0)
_f("sms_in", "接收短信数", "SMS received", 0)
_f("sms_peers", "短信对端号码数", "distinct SMS peers (bandicoot number_of_contacts text)", 0)
_f("sms_contact_entropy", "短信联系人熵", "entropy (ln) of SMS over peers")
_f("sms_night_share", "夜间短信占比", "share of SMS at night")
_f("sms_gap_mean", "短信间隔均值(秒)", "mean time between consecutive SMS, s")
_f("active_days", "活跃天数", "days with a call or SMS (local days; bandicoot active_days)", 0)
_f("active_hours", "活跃小时数", "distinct clock hours with a call or SMS", 0)


def _n(cond: str) -> str:
    """Rows meeting ``cond``, counted (BIGINT on both engines, cheaper than SUM(CASE ...))."""
    return f"COUNT(CASE WHEN {cond} THEN 1 END)"


ELDERLY_AGE = 60


def victim_facts_sql(as_of: int, subs: str = "subscribers") -> str:
    """Per own subscriber: elderly (aged ``ELDERLY_AGE`` or more in the year of ``as_of``, birth year from
    the ID number, as lines.static_features takes it) and student — the victims gangs pick."""
    year = dt.datetime.fromtimestamp(int(as_of), dt.UTC).year
    return f"""SELECT msisdn, MAX(CASE WHEN {year} - TRY_CAST(SUBSTR(id_no, 7, 4) AS INTEGER) >= {ELDERLY_AGE} THEN 1 ELSE 0 END) AS elderly,
               MAX(CASE WHEN occupation = 'student' THEN 1 ELSE 0 END) AS student FROM {subs} GROUP BY msisdn"""


def ctes(*, span: Span, history: Span, night: tuple[int, int], tag: str) -> tuple[list[tuple[str, str]], str]:
    """CTEs computing this family for one window; returns (ctes, name of the msisdn-keyed result).

    Lines have few records per peer (the (line, peer) table is nearly as long as the records), so
    row statistics (counts, durations, night) are aggregated straight from the records per line,
    and the (line, peer) table holds only what needs it: calls per peer and the directions seen.
    The duration variance comes from exact integer sums, identical on both engines.
    """
    c, ln, p, pa, s, sl, sp, sa, gp, ga, a, out = (
        f"{x}_{tag}" for x in ("cl", "cll", "clp", "clpa", "sm", "sml", "smp", "sma", "gap", "gapa", "act", "calling")
    )
    night_expr = is_night(night)
    # Peers called before: a semi-join that probes the history with the window's pairs (no
    # de-duplication of the whole history).
    # The window's distinct called pairs are taken again from the records (not from the (line, peer)
    # table), so that table is used once and streams instead of being materialised.
    hist = (
        f"SELECT w.msisdn, w.peer FROM (SELECT DISTINCT msisdn, peer FROM ({calls(span)}) x WHERE direction = 'out') w "
        f"WHERE EXISTS (SELECT 1 FROM cdr hc WHERE {history.where()} AND hc.msisdn = w.msisdn AND hc.peer = w.peer)"
    )
    out_peer = "q.o > 0"
    # The window's records are read where used (a named CTE used twice is materialised by DuckDB,
    # which costs more than reading the Parquet columns again).
    c, s = f"({calls(span)}) {c}", f"({texts(span)}) {s}"
    dur = "CAST(duration_s AS BIGINT)"
    parts = [
        (
            ln,
            f"""SELECT msisdn, COUNT(*) AS calls, {_n("direction = 'out'")} AS calls_out,
                {_n("direction = 'in'")} AS calls_in, {_n("direction = 'fwd'")} AS calls_fwd,
                SUM({dur}) AS dur, SUM({dur} * {dur}) AS dur2, MAX(duration_s) AS dur_max,
                {_n("direction = 'out' AND duration_s <= 10")} AS n_short,
                {_n("direction = 'out' AND duration_s = 0")} AS n_unans,
                {_n(night_expr)} AS n_night
            FROM {c} GROUP BY msisdn""",
        ),
        (
            p,
            # Peer kind and carrier only matter for peers the line called (every use is guarded by
            # o > 0), so they are worked out for those pairs only.
            f"""SELECT y.*, CASE WHEN y.pkind = 'mobile' AND {carrier("y.peer")} <> {carrier("y.msisdn")} THEN 1 ELSE 0 END AS other_carrier
            FROM (SELECT x.*, CASE WHEN x.o > 0 THEN {peer_kind("x.peer")} END AS pkind FROM (SELECT msisdn, peer, COUNT(*) AS n, {_n("direction = 'out'")} AS o, {_n("direction = 'in'")} AS i
                  FROM {c} GROUP BY msisdn, peer) x) y""",
        ),
        (
            pa,
            f"""SELECT q.msisdn,
                COUNT(*) AS peers,
                {_n(out_peer)} AS peers_out,
                {ratio(_n(f"{out_peer} AND h.peer IS NULL"), _n(out_peer))} AS new_peer_share,
                {_n(f"{out_peer} AND h.peer IS NULL AND v.msisdn IS NOT NULL")} AS own_new_peers,
                {ratio(_n(f"{out_peer} AND h.peer IS NULL AND v.msisdn IS NOT NULL"), _n(out_peer))} AS own_new_peer_share,
                {ratio(_n(f"{out_peer} AND v.elderly = 1"), _n(out_peer))} AS elderly_peer_share,
                {ratio(_n(f"{out_peer} AND v.student = 1"), _n(out_peer))} AS student_peer_share,
                AVG(CAST(q.n AS DOUBLE)) AS calls_per_peer,
                {entropy("q.n")} AS contact_entropy,
                {ratio(_n("q.o > 0 AND q.i > 0"), "COUNT(*)")} AS reciprocal_peer_share,
                {ratio(_n("q.o > 0 AND q.i > 0"), _n(out_peer))} AS callback_share,
                {ratio(_n(f"{out_peer} AND q.pkind = 'mobile' AND q.other_carrier = 1"), _n(f"{out_peer} AND q.pkind = 'mobile'"))} AS other_carrier_peer_share,
                {ratio(_n(f"{out_peer} AND q.pkind = 'fixed'"), _n(out_peer))} AS fixed_peer_share,
                {ratio(_n(f"{out_peer} AND q.pkind = 'intl'"), _n(out_peer))} AS intl_peer_share
            FROM {p} q LEFT JOIN ({hist}) h ON h.msisdn = q.msisdn AND h.peer = q.peer
            LEFT JOIN ({victim_facts_sql(span.hi)}) v ON v.msisdn = q.peer
            GROUP BY q.msisdn""",
        ),
        (
            sl,
            f"""SELECT msisdn, COUNT(*) AS n, {_n("direction = 'out'")} AS sms_out, {_n("direction = 'in'")} AS sms_in,
                {_n(night_expr)} AS n_night, MIN(ts) AS t_first, MAX(ts) AS t_last
            FROM {s} GROUP BY msisdn""",
        ),
        (sp, f"SELECT msisdn, peer, COUNT(*) AS n FROM {s} GROUP BY msisdn, peer"),
        (
            sa,
            f"""SELECT sl.msisdn, sl.sms_out, sl.sms_in, x.sms_peers, x.sms_contact_entropy,
                {ratio("sl.n_night", "sl.n")} AS sms_night_share,
                CAST(sl.t_last - sl.t_first AS DOUBLE) / NULLIF(sl.n - 1, 0) AS sms_gap_mean
            FROM {sl} sl JOIN (SELECT msisdn, COUNT(*) AS sms_peers, {entropy("n")} AS sms_contact_entropy
                               FROM {sp} GROUP BY msisdn) x ON x.msisdn = sl.msisdn""",
        ),
        # Gaps between consecutive calls need an ordered pass; the mean gap of SMS telescopes to
        # (last - first) / (n - 1), so SMS need none.
        # Only (line, time) goes through the ordered pass: a window operator carries every column it is given.
        (gp, f"SELECT msisdn, CAST(ts - LAG(ts) OVER (PARTITION BY msisdn ORDER BY ts) AS DOUBLE) AS gap "
             f"FROM (SELECT msisdn, ts FROM cdr WHERE {span.where()}) g"),
        (ga, f"SELECT msisdn, AVG(gap) AS gap_mean, STDDEV_POP(gap) AS gap_std FROM {gp} WHERE gap IS NOT NULL GROUP BY msisdn"),
        (
            a,
            # Active hours as a 24-bit mask per (line, local day): one aggregate of few groups
            # instead of de-duplicating (line, hour), which is nearly one group per record.
            f"""SELECT msisdn, COUNT(*) AS active_days, SUM(BIT_COUNT(hours)) AS active_hours FROM (
                SELECT msisdn, BIT_OR(1 << {hour_of_day()}) AS hours FROM ({events(span)}) e
                GROUP BY msisdn, {local_day()}) x GROUP BY msisdn""",
        ),
        (
            out,
            f"""SELECT a.msisdn,
                ln.calls, ln.calls_out, ln.calls_in, ln.calls_fwd, {ratio("ln.calls_out", "ln.calls")} AS out_share,
                pa.peers, pa.peers_out, pa.new_peer_share, pa.own_new_peers, pa.own_new_peer_share,
                pa.elderly_peer_share, pa.student_peer_share, pa.calls_per_peer, pa.contact_entropy,
                pa.reciprocal_peer_share, pa.callback_share, pa.other_carrier_peer_share,
                pa.fixed_peer_share, pa.intl_peer_share,
                ln.dur AS dur_total, {ratio("ln.dur", "ln.calls")} AS dur_mean,
                CASE WHEN ln.calls > 0 THEN SQRT(GREATEST(CAST(ln.dur2 AS DOUBLE) / ln.calls - POWER(CAST(ln.dur AS DOUBLE) / ln.calls, 2), 0.0)) END AS dur_std,
                ln.dur_max, {ratio("ln.n_short", "ln.calls_out")} AS short_call_share,
                {ratio("ln.n_unans", "ln.calls_out")} AS unanswered_share,
                {ratio("ln.n_night", "ln.calls")} AS night_share, ga.gap_mean, ga.gap_std,
                (ga.gap_std - ga.gap_mean) / NULLIF(ga.gap_std + ga.gap_mean, 0) AS burstiness,
                sa.sms_out, sa.sms_in, sa.sms_peers, sa.sms_contact_entropy, sa.sms_night_share,
                sa.sms_gap_mean, a.active_days, a.active_hours
            FROM {a} a
            LEFT JOIN {ln} ln ON ln.msisdn = a.msisdn
            LEFT JOIN {pa} pa ON pa.msisdn = a.msisdn
            LEFT JOIN {ga} ga ON ga.msisdn = a.msisdn
            LEFT JOIN {sa} sa ON sa.msisdn = a.msisdn""",
        ),
    ]
    return parts, out
