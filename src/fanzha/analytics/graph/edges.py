"""Build the edge table of the association graph from contract inputs, in DuckDB SQL.

Edge table columns: ``src, dst`` (node keys such as ``L:13307151234``, ``P:<ID hash>``, ``D:<IMEI>``,
``C:<cell>``), ``edge_type``, ``weight``, ``n`` (how many records support it), ``t_first, t_last``
(epoch seconds of the first and last supporting record), ``evidence`` (JSON). Edges are undirected.

- same_id  line—person: the line's registered ID (keyed hash; the masked ID is the node's label)
- device   line—device: the line was used in a handset/gateway (IMEI from its call records)
- cell     line—cell:   the line made/received calls in the cell
- contact  line—line:   the two numbers called each other (any carrier; peers become line nodes)
- counter  line—line:   opened at the same shop by the same clerk within ``counter_window_s``
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
