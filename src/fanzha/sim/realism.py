"""Realism statistics of a generated province, measured from the written files (not from the
generator's internals), so they say what a detector will see. Used by the tests and the README.

    from fanzha.sim.realism import measure, format_table
    print(format_table(measure(Path("province"))))
"""

from __future__ import annotations

from pathlib import Path

import duckdb

ORDINARY = "l.label = 'normal' AND l.scenario IS NULL"


def _con(out: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # it would print to stdout
    ext = "parquet" if (out / "subscribers.parquet").exists() else "csv"
    read = "read_parquet" if ext == "parquet" else "read_csv"
    opts = "" if ext == "parquet" else ", all_varchar = true"

    def src(kind: str) -> str:
        path = out / kind
        pattern = f"{path}/*.{ext}" if path.is_dir() else f"{path}.{ext}"
        return f"{read}('{pattern}'{opts})"

    con.execute(f"CREATE VIEW subs AS SELECT * FROM {src('subscribers')}")
    con.execute(f"CREATE VIEW labels AS SELECT * FROM {src('labels')}")
    con.execute(f"CREATE VIEW cells AS SELECT cell_id, lat::DOUBLE lat, lon::DOUBLE lon, region_code FROM {src('cells')}")
    con.execute(f"""CREATE TABLE cdr AS SELECT msisdn, peer, direction, start_time::TIMESTAMPTZ ts,
                    duration_s::INT dur, NULLIF(cell_id, '') cell_id, NULLIF(imei, '') imei FROM {src('cdr')}""")
    con.execute(f"CREATE TABLE sms AS SELECT msisdn, peer, direction FROM {src('sms')}")
    con.execute(f"CREATE VIEW reports AS SELECT * FROM {src('reports')}")
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    # One row per line: its label, scenario, ring, type, owner.
    con.execute("""CREATE TABLE lines AS SELECT s.msisdn, s.line_type, s.id_no, s.open_time::TIMESTAMPTZ open_time,
                   s.shop_id, s.clerk_id, l.label, NULLIF(l.scenario, '') scenario, NULLIF(l.ring_id, '') ring_id,
                   NULLIF(l.since, '')::TIMESTAMPTZ since,
                   CASE WHEN l.label = 'normal' AND NULLIF(l.scenario, '') IS NULL THEN 'ordinary'
                        WHEN l.label = 'normal' THEN 'hard_negative:' || l.scenario
                        WHEN l.label = 'fraud_caller' THEN 'fraud_caller:' || l.scenario
                        ELSE l.label END AS grp
                   FROM subs s JOIN labels l USING (msisdn)""")
    return con


def measure(out: Path) -> dict:
    """All statistics as {name: value} plus per-group behaviour rows under 'groups'."""
    out = Path(out)
    con = _con(out)
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    days = q("SELECT count(DISTINCT ts::DATE) FROM cdr")[0][0]
    stats: dict = {"days": days}

    # Degrees (distinct call partners over the window) of ordinary mobile lines.
    deg = q(f"""WITH d AS (SELECT c.msisdn, count(DISTINCT peer) k FROM cdr c JOIN lines l USING (msisdn)
                WHERE l.grp = 'ordinary' AND l.line_type = 'mobile' GROUP BY 1)
                SELECT median(k), quantile_cont(k, 0.9), quantile_cont(k, 0.99), max(k), stddev(k) / avg(k) FROM d""")[0]
    stats.update(degree_median=deg[0], degree_p90=deg[1], degree_p99=deg[2], degree_max=deg[3], degree_cv=deg[4])
    # Tail: share of lines with degree above 4× the median (a Poisson graph has next to none).
    stats["degree_share_over_4x_median"] = q(f"""WITH d AS (SELECT c.msisdn, count(DISTINCT peer) k FROM cdr c
                JOIN lines l USING (msisdn) WHERE l.grp = 'ordinary' AND l.line_type = 'mobile' GROUP BY 1)
                SELECT avg((k > 4 * (SELECT median(k) FROM d))::INT) FROM d""")[0][0]
    # Reciprocity: of ordered pairs of own lines with a call a→b, the share that also have b→a.
    stats["reciprocity"] = q("""WITH p AS (SELECT DISTINCT c.msisdn a, c.peer b FROM cdr c
                JOIN lines la ON la.msisdn = c.msisdn JOIN lines lb ON lb.msisdn = c.peer
                WHERE c.direction = 'out' AND la.grp = 'ordinary' AND lb.grp = 'ordinary')
                SELECT avg((EXISTS (SELECT 1 FROM p p2 WHERE p2.a = p.b AND p2.b = p.a))::INT) FROM p""")[0][0]
    # Repeat contacts: share of ordinary outgoing calls to a partner called at least 3 times.
    stats["repeat_call_share"] = q("""WITH c AS (SELECT c.msisdn, peer, count(*) n FROM cdr c JOIN lines l USING (msisdn)
                WHERE l.grp = 'ordinary' AND direction = 'out' GROUP BY 1, 2)
                SELECT sum(n) FILTER (WHERE n >= 3) / sum(n) FROM c""")[0][0]
    row = q("""SELECT avg((hour(ts) < 6)::INT), median(dur) FILTER (WHERE dur > 0),
                quantile_cont(dur, 0.9) FILTER (WHERE dur > 0), avg((dur = 0)::INT)
                FROM cdr c JOIN lines l USING (msisdn) WHERE l.grp = 'ordinary' AND direction = 'out'""")[0]
    stats.update(night_share=row[0], duration_median_s=row[1], duration_p90_s=row[2], unanswered_share=row[3])
    peak = q("""SELECT hour(ts) h, count(*) n FROM cdr GROUP BY 1 ORDER BY 2 DESC LIMIT 1""")[0]
    stats["busiest_hour"] = peak[0]
    wk = q("""SELECT avg(n) FILTER (WHERE dow IN (0, 6)) / avg(n) FILTER (WHERE dow NOT IN (0, 6)) FROM
              (SELECT ts::DATE d, dayofweek(ts) dow, count(*) n FROM cdr GROUP BY 1, 2)""")[0][0]
    stats["weekend_to_weekday_volume"] = wk
    lines_n = q("SELECT count(*) FROM lines")[0][0]
    stats["cdr_per_line_day"] = q("SELECT count(*) FROM cdr")[0][0] / lines_n / max(days, 1)
    stats["sms_per_line_day"] = q("SELECT count(*) FROM sms")[0][0] / lines_n / max(days, 1)
    # Mobility: radius of gyration (km) over the cells of each ordinary mobile line's records.
    rg = q("""WITH x AS (SELECT c.msisdn, ce.lat, ce.lon FROM cdr c JOIN lines l USING (msisdn)
               JOIN cells ce USING (cell_id) WHERE l.grp = 'ordinary' AND l.line_type = 'mobile'),
              m AS (SELECT msisdn, avg(lat) mlat, avg(lon) mlon FROM x GROUP BY 1),
              r AS (SELECT msisdn, sqrt(avg(pow((lat - mlat) * 111, 2)
                      + pow((lon - mlon) * 111 * cos(radians(mlat)), 2))) rg,
                      count(DISTINCT lat || ',' || lon) ncells FROM x JOIN m USING (msisdn) GROUP BY 1)
              SELECT median(rg), quantile_cont(rg, 0.9), avg((rg > 50)::INT), median(ncells) FROM r""")[0]
    stats.update(gyration_median_km=rg[0], gyration_p90_km=rg[1], share_travelling_over_50km=rg[2],
                 cells_per_line_median=rg[3])
    stats["lines_per_id_max_ordinary"] = q("""SELECT max(n) FROM (SELECT id_no, count(*) n FROM lines
                WHERE grp = 'ordinary' GROUP BY 1)""")[0][0]

    stats["groups"] = _groups(con, days)
    stats.update(_scenario_checks(con))
    con.close()
    return stats


def _groups(con, days: int) -> list[dict]:
    """Per-group medians over lines: how each scenario behaves next to ordinary lines."""
    rows = con.execute(f"""
        WITH act AS (SELECT l.grp, l.msisdn,
                count(*) FILTER (WHERE direction = 'out') n_out,
                count(*) FILTER (WHERE direction = 'in') n_in,
                count(DISTINCT peer) FILTER (WHERE direction = 'out') peers_out,
                median(dur) FILTER (WHERE direction = 'out' AND dur > 0) dur_med,
                avg((dur = 0)::INT) FILTER (WHERE direction = 'out') unanswered,
                count(DISTINCT cell_id) ncells
            FROM cdr c JOIN lines l USING (msisdn)
            WHERE l.since IS NULL OR c.ts >= l.since GROUP BY 1, 2)
        SELECT grp, count(*) lines, median(n_out + n_in) / {days} calls_per_day, median(n_out) / {days} out_per_day,
               median(n_out / (n_out + n_in)) out_share,
               median(peers_out / nullif(n_out, 0)) distinct_peer_ratio,
               median(dur_med) dur_median, median(unanswered) unanswered, median(ncells) cells
        FROM act GROUP BY 1 ORDER BY 1""").fetchall()
    cols = ["group", "lines", "calls_per_day", "out_per_day", "out_share", "distinct_peer_ratio",
            "duration_median_s", "unanswered_share", "cells"]
    groups = [dict(zip(cols, r)) for r in rows]
    imei = dict(con.execute("""WITH x AS (SELECT imei, count(DISTINCT msisdn) n FROM cdr WHERE imei IS NOT NULL GROUP BY 1)
            SELECT l.grp, median(x.n) FROM cdr c JOIN lines l USING (msisdn) JOIN x USING (imei)
            GROUP BY 1""").fetchall())
    for g in groups:
        g["lines_per_imei"] = imei.get(g["group"])
    return groups


def _scenario_checks(con) -> dict:
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    out = {}
    # Resold cards: distance between where the line was before and after `since`, and a new handset.
    r = q("""WITH x AS (SELECT c.msisdn, c.ts >= l.since after, ce.lat, ce.lon, c.imei FROM cdr c
              JOIN lines l USING (msisdn) JOIN cells ce USING (cell_id) WHERE l.label = 'resold'),
             m AS (SELECT msisdn, avg(lat) FILTER (WHERE NOT after) la0, avg(lon) FILTER (WHERE NOT after) lo0,
                          avg(lat) FILTER (WHERE after) la1, avg(lon) FILTER (WHERE after) lo1,
                          list_distinct(list(imei) FILTER (WHERE NOT after)) i0,
                          list_distinct(list(imei) FILTER (WHERE after)) i1 FROM x GROUP BY 1)
             SELECT median(sqrt(pow((la1 - la0) * 111, 2) + pow((lo1 - lo0) * 111 * cos(radians(la0)), 2))),
                    avg((len(list_intersect(i0, i1)) = 0)::INT) FROM m WHERE la0 IS NOT NULL AND la1 IS NOT NULL""")
    out["resold_move_km_median"], out["resold_new_imei_share"] = r[0] if r else (None, None)
    # Bulk openings: lines opened by one ID in one visit (same clerk, same day).
    b = q("""WITH v AS (SELECT id_no, clerk_id, open_time::DATE slot, count(*) n,
                    bool_or(scenario = 'bulk_opening' AND label = 'fraud_caller') bulk FROM lines GROUP BY 1, 2, 3)
             SELECT median(n) FILTER (WHERE bulk), max(n) FILTER (WHERE NOT bulk) FROM v""")[0]
    out["bulk_lines_per_visit_median"], out["ordinary_lines_per_visit_max"] = b
    # SIM banks: inbound share, and gateway IMEIs.
    out["simbox_inbound_share"] = q("""SELECT avg((direction = 'in')::INT) FROM cdr c JOIN lines l USING (msisdn)
                                       WHERE l.label = 'simbox' AND c.ts >= l.since""")[0][0]
    # Mules: share that talk with a fraud line of their own ring.
    out["mule_ring_contact_share"] = q("""WITH m AS (SELECT msisdn, ring_id FROM lines WHERE label = 'mule'),
            f AS (SELECT msisdn, ring_id FROM lines WHERE label IN ('fraud_caller', 'simbox'))
            SELECT avg(hit::INT) FROM (SELECT m.msisdn, EXISTS (SELECT 1 FROM cdr c JOIN f ON f.msisdn = c.peer
                   WHERE c.msisdn = m.msisdn AND f.ring_id = m.ring_id) hit FROM m)""")[0][0]
    out["ordinary_ring_contact_share"] = q("""WITH f AS (SELECT msisdn FROM lines WHERE label IN ('fraud_caller', 'simbox')),
            o AS (SELECT msisdn FROM lines WHERE grp = 'ordinary' USING SAMPLE 2000 ROWS)
            SELECT avg(hit::INT) FROM (SELECT o.msisdn, EXISTS (SELECT 1 FROM cdr c JOIN f ON f.msisdn = c.peer
                   WHERE c.msisdn = o.msisdn AND c.direction = 'out') hit FROM o)""")[0][0]
    # `since` is when the behaviour starts: fraud lines make (almost) no calls to strangers before it.
    out["fraud_out_before_since_share"] = q("""SELECT avg((c.ts < l.since)::INT) FROM cdr c JOIN lines l USING (msisdn)
            WHERE l.label IN ('fraud_caller', 'simbox') AND c.direction = 'out'""")[0][0]
    rep = q("""SELECT count(*), avg((l.label <> 'normal')::INT) FROM reports r
               LEFT JOIN lines l ON l.msisdn = r.reported_number""")[0]
    out["reports"], out["reports_naming_fraud_lines_share"] = rep
    return out


def format_table(stats: dict) -> str:
    """Markdown tables: the global statistics, then per-group behaviour."""
    lines = ["| statistic | value |", "|---|---|"]
    for k, v in stats.items():
        if k == "groups":
            continue
        lines.append(f"| {k} | {_fmt(v)} |")
    cols = ["group", "lines", "calls_per_day", "out_per_day", "out_share", "distinct_peer_ratio",
            "duration_median_s", "unanswered_share", "cells", "lines_per_imei"]
    lines += ["", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for g in stats["groups"]:
        lines.append("| " + " | ".join(_fmt(g[c]) for c in cols) + " |")
    return "\n".join(lines)


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


BANK_COLUMNS = ["kind", "lines", "groups", "lines_per_imei", "imeis_per_line", "tacs_per_line",
                "cells_per_member_day", "hours_per_line", "inbound_share", "main_cell_share", "together_share",
                "max_in_cell_hour"]


def bank_tactics(out: Path) -> list[dict]:
    """Per SIM-bank kind (`simbox` and the tactics of fanzha.sim.tactics_banks) and the `crowd` hard
    negative, from the CDRs of its lines (banks: from `since` on): lines per IMEI (over the IMEIs they
    use), IMEIs and TACs per line, distinct cells per line and day, distinct hours of the day a line
    works in (over the window), inbound share of calls, share of a
    line's records in its own main cell, and co-occurrence: per group (a bank's ring; all crowd lines)
    and hour, the share of its lines active that hour that are in the group's busiest cell then
    (`together_share`, over group-hours with ≥ 2 lines), and the most lines of one group in one cell-hour."""
    con = _con(Path(out))
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    con.execute("""CREATE TABLE bank AS SELECT c.msisdn, l.scenario kind, coalesce(l.ring_id, l.scenario) grp,
                   c.direction, c.ts, date_trunc('hour', c.ts) h, c.cell_id, c.imei
                   FROM cdr c JOIN lines l USING (msisdn)
                   WHERE (l.label = 'simbox' AND c.ts >= l.since) OR (l.label = 'normal' AND l.scenario = 'crowd')""")
    base = {r[0]: r[1:] for r in q("""SELECT kind, count(DISTINCT msisdn), count(DISTINCT grp),
                   avg((direction = 'in')::INT) FROM bank GROUP BY 1""")}
    per_imei = dict(q("""SELECT kind, avg(n) FROM (SELECT kind, imei, count(DISTINCT msisdn) n FROM bank
                         WHERE imei IS NOT NULL GROUP BY 1, 2) GROUP BY 1"""))
    per_line = {r[0]: r[1:] for r in q("""SELECT kind, avg(ni), avg(nt) FROM (SELECT kind, msisdn,
                   count(DISTINCT imei) ni, count(DISTINCT left(imei, 8)) nt FROM bank GROUP BY 1, 2) GROUP BY 1""")}
    hours = dict(q("""SELECT kind, avg(n) FROM (SELECT kind, msisdn, count(DISTINCT hour(ts)) n FROM bank
                      GROUP BY 1, 2) GROUP BY 1"""))
    cells_day = dict(q("""SELECT kind, avg(n) FROM (SELECT kind, msisdn, ts::DATE d, count(DISTINCT cell_id) n
                          FROM bank GROUP BY 1, 2, 3) GROUP BY 1"""))
    main = dict(q("""WITH c AS (SELECT kind, msisdn, cell_id, count(*) n FROM bank GROUP BY 1, 2, 3)
                     SELECT kind, avg(top / total) FROM (SELECT kind, msisdn, max(n) top, sum(n) total FROM c
                     GROUP BY 1, 2) GROUP BY 1"""))
    together = {r[0]: r[1:] for r in q("""WITH c AS (SELECT kind, grp, h, cell_id, count(DISTINCT msisdn) n
                       FROM bank GROUP BY 1, 2, 3, 4),
                   a AS (SELECT kind, grp, h, count(DISTINCT msisdn) n FROM bank GROUP BY 1, 2, 3),
                   t AS (SELECT kind, grp, h, max(n) top FROM c GROUP BY 1, 2, 3)
                   SELECT kind, avg(t.top / a.n) FILTER (WHERE a.n >= 2), max(t.top)
                   FROM t JOIN a USING (kind, grp, h) GROUP BY 1""")}
    con.close()
    rows = []
    for kind in sorted(base):
        lines, groups, inbound = base[kind]
        rows.append(dict(zip(BANK_COLUMNS, [kind, lines, groups, per_imei.get(kind), *per_line[kind],
                                            cells_day[kind], hours[kind], inbound, main[kind], *together[kind]])))
    return rows


def format_banks(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(BANK_COLUMNS) + " |", "|" + "---|" * len(BANK_COLUMNS)]
    for r in rows:
        lines.append("| " + " | ".join(_fmt(r[c]) for c in BANK_COLUMNS) + " |")
    return "\n".join(lines)
