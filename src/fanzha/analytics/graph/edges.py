"""Build the edge table of the association graph from contract inputs, in DuckDB SQL.

Edge table columns: ``src, dst`` (node keys such as ``L:13307151234``, ``P:<ID hash>``, ``D:<IMEI>``,
``C:<cell>``), ``edge_type``, ``weight``, ``n`` (how many records support it), ``t_first, t_last``
(epoch seconds of the first and last supporting record), ``evidence`` (JSON). Edges are undirected.

- same_id  line—person: the line's registered ID (keyed hash; the masked ID is the node's label)
- device   line—device: the line was used in a handset/gateway (IMEI from its call records)
- cell     line—cell:   the line made/received calls in the cell
- contact  line—line:   the two numbers called each other (any carrier; peers become line nodes)
- counter  line—line:   opened at the same shop by the same clerk within ``counter_window_s``
- co_location line—line: the two lines had records in the same cell in the same clock hour, repeatedly
  (≥ COLOC_MIN_SHARED distinct cell-hours, and most of their active hours: shared / √(hours_a · hours_b)
  ≥ COLOC_MIN_SHARE); weight Σ 1 / ln(lines in that cell-hour + 5) over the shared cell-hours, so a
  crowded cell-hour counts less, ×COLOC_SAME_TAC when the two also carried handsets of one TAC (model).
  Cell-hours with more than COLOC_CELL_HOUR_CAP lines are skipped (a stadium; and n² pairs to count).
- device_seq line—line:  the two lines used the same IMEI one after the other (one's last record on it
  before the other's first): a handset passed from card to card. Devices with more than
  DEVICE_SEQ_MAX_LINES lines (a gateway) are left to the line—device edges.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa

from fanzha.analytics.graph.engine import connect, register


def _ts(col: str) -> str:
    # The connection's TimeZone is Asia/Shanghai (engine.connect), so a text or naive time without an
    # offset is read as +08:00, as the data contract says; times with an offset keep theirs.
    return f"epoch(TRY_CAST({col} AS TIMESTAMPTZ))::BIGINT"


def _epoch(t: datetime | str | None) -> int | None:
    if t is None:
        return None
    if isinstance(t, str):
        t = datetime.fromisoformat(t)
    if t.tzinfo is None:
        from zoneinfo import ZoneInfo

        t = t.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    return int(t.timestamp())


# Co-location thresholds. Chosen on the training province (seed 11, 3,000 lines, 4 days, every bank
# tactic and crowds): pairs of ordinary lines (crowds included) share a median 3 cell-hours at a share of
# 0.15 (99th percentile 0.38); members of one SIM bank share a median 10-14 at 0.62-0.73.
COLOC_MIN_SHARED = 3
COLOC_MIN_SHARE = 0.4
COLOC_CELL_HOUR_CAP = 200
COLOC_SAME_TAC = 1.5
DEVICE_SEQ_MAX_LINES = 20

EDGE_SQL = {
    "same_id": """
        SELECT 'L:' || s.msisdn AS src, 'P:' || m.h AS dst, 'same_id' AS edge_type, 1.0 AS weight, 1 AS n,
               s.t_open AS t_first, s.t_open AS t_last,
               json_object('shop_id', s.shop_id, 'clerk_id', s.clerk_id, 'opened', to_timestamp(s.t_open)) AS evidence
        FROM g_sub s JOIN g_idmap m USING (id_no)""",
    "device": """
        SELECT 'L:' || msisdn AS src, 'D:' || imei AS dst, 'device' AS edge_type, 1.0 AS weight, count(*) AS n,
               min(t) AS t_first, max(t) AS t_last,
               json_object('calls', count(*), 'first', to_timestamp(min(t)), 'last', to_timestamp(max(t))) AS evidence
        FROM g_calls WHERE imei IS NOT NULL AND imei <> '' GROUP BY msisdn, imei""",
    "cell": """
        SELECT 'L:' || msisdn AS src, 'C:' || cell_id AS dst, 'cell' AS edge_type, count(*)::DOUBLE AS weight,
               count(*) AS n, min(t) AS t_first, max(t) AS t_last,
               json_object('calls', count(*), 'first', to_timestamp(min(t)), 'last', to_timestamp(max(t))) AS evidence
        FROM g_calls WHERE cell_id IS NOT NULL AND cell_id <> '' GROUP BY msisdn, cell_id""",
    # Both legs of a call between two own lines are in the CDRs: the pair is counted once per record_id.
    "contact": """
        SELECT 'L:' || a AS src, 'L:' || b AS dst, 'contact' AS edge_type, ln(1 + count(*)) AS weight,
               count(*) AS n, min(t) AS t_first, max(t) AS t_last,
               json_object('calls', count(*), 'seconds', sum(d), 'first', to_timestamp(min(t)),
                           'last', to_timestamp(max(t))) AS evidence
        FROM (SELECT least(msisdn, peer) AS a, greatest(msisdn, peer) AS b, min(t) AS t, max(d) AS d
              FROM g_calls WHERE peer IS NOT NULL AND peer <> '' AND peer <> msisdn
              GROUP BY a, b, coalesce(record_id, msisdn || '|' || peer || '|' || t))
        GROUP BY a, b""",
    "counter": """
        SELECT 'L:' || x.msisdn AS src, 'L:' || y.msisdn AS dst, 'counter' AS edge_type, 1.0 AS weight, 1 AS n,
               least(x.t_open, y.t_open) AS t_first, greatest(x.t_open, y.t_open) AS t_last,
               json_object('shop_id', x.shop_id, 'clerk_id', x.clerk_id, 'opened', to_timestamp(x.t_open),
                           'peer_opened', to_timestamp(y.t_open), 'gap_s', abs(y.t_open - x.t_open)) AS evidence
        FROM g_sub x JOIN g_sub y
          ON x.shop_id = y.shop_id AND x.clerk_id = y.clerk_id AND x.msisdn < y.msisdn
         AND y.t_open BETWEEN x.t_open - $window AND x.t_open + $window
        WHERE x.shop_id <> '' AND x.clerk_id <> ''""",
    "co_location": f"""
        WITH lh AS (SELECT DISTINCT msisdn, cell_id, t - t % 3600 AS h FROM g_calls
                    WHERE cell_id IS NOT NULL AND cell_id <> ''),
             ch AS (SELECT cell_id, h, count(*) AS n FROM lh GROUP BY cell_id, h),
             nh AS (SELECT msisdn, count(*) AS nh FROM lh GROUP BY msisdn),
             tac AS (SELECT msisdn, list_distinct(list(left(imei, 8))) AS tacs FROM g_calls
                     WHERE length(imei) >= 14 GROUP BY msisdn),
             busy AS (SELECT lh.* , ch.n FROM lh JOIN ch USING (cell_id, h)
                      WHERE ch.n BETWEEN 2 AND {COLOC_CELL_HOUR_CAP}),
             pairs AS (SELECT a.msisdn AS x, b.msisdn AS y, count(*) AS k, sum(1 / ln(a.n + 5)) AS w,
                              count(DISTINCT a.cell_id) AS cells, count(DISTINCT a.h // 86400) AS days,
                              min(a.h) AS t0, max(a.h) + 3599 AS t1, max(a.n) AS most
                       FROM busy a JOIN busy b ON a.cell_id = b.cell_id AND a.h = b.h AND a.msisdn < b.msisdn
                       GROUP BY a.msisdn, b.msisdn HAVING count(*) >= {COLOC_MIN_SHARED})
        SELECT 'L:' || x AS src, 'L:' || y AS dst, 'co_location' AS edge_type,
               w * CASE WHEN coalesce(len(list_intersect(ta.tacs, tb.tacs)), 0) > 0 THEN {COLOC_SAME_TAC}
                        ELSE 1 END AS weight,
               k AS n, t0 AS t_first, t1 AS t_last,
               json_object('cell_hours', k, 'cells', cells, 'days', days, 'share', round(k / sqrt(na.nh * nb.nh), 2),
                           'most_lines', most, 'same_model', coalesce(len(list_intersect(ta.tacs, tb.tacs)), 0) > 0,
                           'first', to_timestamp(t0), 'last', to_timestamp(t1)) AS evidence
        FROM pairs JOIN nh na ON na.msisdn = x JOIN nh nb ON nb.msisdn = y
             LEFT JOIN tac ta ON ta.msisdn = x LEFT JOIN tac tb ON tb.msisdn = y
        WHERE k / sqrt(na.nh * nb.nh) >= {COLOC_MIN_SHARE}""",
    # Who held the IMEI when: one row per line and device, then ordered pairs whose spans do not overlap.
    "device_seq": f"""
        WITH u AS (SELECT msisdn, imei, min(t) AS t0, max(t) AS t1 FROM g_calls
                   WHERE imei IS NOT NULL AND imei <> '' GROUP BY msisdn, imei),
             small AS (SELECT imei FROM u GROUP BY imei HAVING count(*) BETWEEN 2 AND {DEVICE_SEQ_MAX_LINES})
        SELECT 'L:' || least(a.msisdn, b.msisdn) AS src, 'L:' || greatest(a.msisdn, b.msisdn) AS dst,
               'device_seq' AS edge_type, 1.0 AS weight, 1 AS n, a.t1 AS t_first, b.t0 AS t_last,
               json_object('tac', left(a.imei, 8), 'before_last', to_timestamp(a.t1), 'after_first', to_timestamp(b.t0),
                           'swap_gap_s', b.t0 - a.t1) AS evidence
        FROM u a JOIN u b ON a.imei = b.imei AND a.msisdn <> b.msisdn AND a.t1 < b.t0
        WHERE a.imei IN (SELECT imei FROM small)""",
}


def build_edges(
    *,
    subscribers: str | Path,
    cdr: str | Path | None = None,
    protector,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    counter_window_s: int = 2 * 3600,
    edge_types: tuple[str, ...] | None = None,
    con=None,
) -> tuple[pa.Table, pa.Table]:
    """(nodes, edges) from a subscribers file and the CDRs (file, folder or Parquet store).

    `since`/`until` restrict the call records used (so device/cell/contact edges describe that period);
    `protector` hashes ID numbers (fanzha.privacy.Protector) so clear IDs never enter the graph.
    """
    from fanzha.privacy import mask_id

    con = con or connect()
    register(con, "subscribers", subscribers)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE g_sub AS
        SELECT trim(msisdn) AS msisdn, upper(trim(id_no)) AS id_no, coalesce(shop_id, '') AS shop_id,
               coalesce(clerk_id, '') AS clerk_id, {_ts('open_time')} AS t_open
        FROM subscribers WHERE msisdn IS NOT NULL AND trim(msisdn) <> ''""")
    ids = [r[0] for r in con.execute("SELECT DISTINCT id_no FROM g_sub WHERE id_no IS NOT NULL AND id_no <> ''").fetchall()]
    idmap = pa.table({"id_no": pa.array(ids, pa.string()),
                      "h": pa.array([protector.hash(i) for i in ids], pa.string()),
                      "label": pa.array([mask_id(i) for i in ids], pa.string())})
    con.register("g_idmap_arrow", idmap)
    con.execute("CREATE OR REPLACE TEMP TABLE g_idmap AS SELECT * FROM g_idmap_arrow")

    lo, hi = _epoch(since), _epoch(until)
    if cdr is not None:
        register(con, "cdr", cdr)
        cols = {r[0] for r in con.execute("DESCRIBE cdr").fetchall()}
        rid = "CAST(record_id AS VARCHAR)" if "record_id" in cols else "NULL"
        direction = "lower(trim(CAST(direction AS VARCHAR)))" if "direction" in cols else "NULL"
        where = " AND ".join(x for x in (f"t >= {lo}" if lo is not None else "",
                                         f"t <= {hi}" if hi is not None else "") if x) or "true"
        con.execute(f"""CREATE OR REPLACE TEMP TABLE g_calls AS SELECT * FROM (
            SELECT trim(msisdn) AS msisdn, trim(CAST(peer AS VARCHAR)) AS peer, CAST(imei AS VARCHAR) AS imei,
                   CAST(cell_id AS VARCHAR) AS cell_id, {_ts('start_time')} AS t,
                   TRY_CAST(duration_s AS BIGINT) AS d, {rid} AS record_id, {direction} AS direction
            FROM cdr) WHERE t IS NOT NULL AND {where}""")
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE g_calls (msisdn VARCHAR, peer VARCHAR, imei VARCHAR, "
                    "cell_id VARCHAR, t BIGINT, d BIGINT, record_id VARCHAR, direction VARCHAR)")

    wanted = edge_types or tuple(EDGE_SQL)
    parts = [EDGE_SQL[e].replace("$window", str(int(counter_window_s))) for e in wanted]
    con.execute("CREATE OR REPLACE TEMP TABLE g_edges AS " + " UNION ALL ".join(
        f"SELECT src, dst, edge_type, CAST(weight AS DOUBLE) AS weight, CAST(n AS BIGINT) AS n, "
        f"CAST(t_first AS BIGINT) AS t_first, CAST(t_last AS BIGINT) AS t_last, CAST(evidence AS VARCHAR) AS evidence "
        f"FROM ({p})" for p in parts))
    edges = con.sql("SELECT * FROM g_edges").to_arrow_table()
    nodes = con.sql("""
        WITH k AS (SELECT src AS key FROM g_edges UNION SELECT dst FROM g_edges
                   UNION SELECT 'L:' || msisdn FROM g_sub)
        SELECT k.key,
               CASE left(k.key, 2) WHEN 'L:' THEN 'line' WHEN 'P:' THEN 'person' WHEN 'D:' THEN 'device' ELSE 'cell' END AS kind,
               CASE WHEN left(k.key, 2) = 'P:' THEN m.label ELSE substr(k.key, 3) END AS label,
               s.msisdn IS NOT NULL AS own
        FROM k LEFT JOIN g_idmap m ON k.key = 'P:' || m.h
               LEFT JOIN (SELECT DISTINCT msisdn FROM g_sub) s ON k.key = 'L:' || s.msisdn
        ORDER BY k.key""").to_arrow_table()
    return nodes, edges
