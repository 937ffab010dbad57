"""Build a graph folder and publish it whole: CSR + edge table + each line's hourly traffic + provenance.

    g = build_graph(subscribers=..., cdr=..., protector=..., out=DIR)   # what `fanzha graph build` and the demo run
    line_traffic(DIR, ["13307151234"])  -> {"13307151234": [(hour_epoch, calls, out_calls), ...]}

The folder is written beside the target and renamed into place, so a reader (the web app) never sees a
half-written graph and a crash mid-build leaves the previous graph in use. ``traffic.parquet`` holds the
calls per line and hour of the same records the edges came from, so the tracing page and report can draw
each linked line's traffic without a separate call-record store.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from fanzha.analytics.graph.edges import build_edges
from fanzha.analytics.graph.engine import connect
from fanzha.analytics.graph.store import Graph, compile_graph

TRAFFIC_FILE = "traffic.parquet"


def _iso(epoch: int | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(int(epoch), UTC).isoformat()


def build_graph(*, subscribers: str | Path, cdr: str | Path | None, protector, out: Path | None = None,
                since: datetime | str | None = None, until: datetime | str | None = None,
                counter_window_s: int = 2 * 3600, step: Callable[[str], None] | None = None) -> Graph:
    """Build the graph; with `out`, publish it there (atomically) with its traffic table."""
    step = step or (lambda _msg: None)
    con = connect()
    step("building edges on DuckDB")
    nodes, edges = build_edges(subscribers=subscribers, cdr=cdr, protector=protector, since=since, until=until,
                               counter_window_s=counter_window_s, con=con)
    step("compiling CSR")
    g = compile_graph(nodes, edges)
    lo, hi, n_calls = con.execute("SELECT min(t), max(t), count(*) FROM g_calls").fetchall()[0]
    g.meta = {"subscribers": str(subscribers), "cdr": str(cdr) if cdr else None, "calls": int(n_calls),
              "data_since": _iso(lo), "data_until": _iso(hi), "counter_window_s": int(counter_window_s),
              "built_at": datetime.now(UTC).isoformat(timespec="seconds")}
    if out is not None:
        step("hourly traffic per line")
        traffic = con.sql("""
            SELECT msisdn, t - t % 3600 AS hour, count(*)::BIGINT AS calls,
                   count(*) FILTER (WHERE direction = 'out')::BIGINT AS out_calls
            FROM g_calls GROUP BY msisdn, hour ORDER BY msisdn, hour""").to_arrow_table()
        step("publishing")
        publish(g, Path(out), traffic=traffic)
    con.close()
    return g


def publish(g: Graph, out: Path, *, traffic=None) -> Path:
    """Write to a sibling temporary folder, then swap it in with renames."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        g.save(tmp)
        if traffic is not None:
            pq.write_table(traffic, tmp / TRAFFIC_FILE)
        old = out.with_name(f".{out.name}.old-{uuid.uuid4().hex[:8]}")
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def line_traffic(graph_dir: Path, msisdns: list[str]) -> dict[str, list[tuple[int, float, float]]]:
    """Calls (and outgoing calls) per hour for the given lines, from the graph folder's traffic table."""
    path = Path(graph_dir) / TRAFFIC_FILE
    out: dict[str, list[tuple[int, float, float]]] = {m: [] for m in msisdns}
    if not msisdns or not path.is_file():
        return out
    con = connect()
    try:
        rows = con.execute("SELECT msisdn, hour, calls, out_calls FROM read_parquet(?) "
                           "WHERE msisdn IN (SELECT unnest(?)) ORDER BY msisdn, hour",
                           [str(path), list(msisdns)]).fetchall()
    finally:
        con.close()
    for m, hour, calls, out_calls in rows:
        out[m].append((int(hour), float(calls), float(out_calls)))
    return out
