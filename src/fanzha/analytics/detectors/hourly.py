"""Hour-resolved line frames for ``fanzha detect``: the live monitor's own computation, replayed.

The records are folded once into the monitor's hourly bucket tables (:mod:`fanzha.analytics.stream.buckets`,
one fragment per bucket key), and at each checkpoint — the end of every clock hour by default — the
lines that had a record since the previous checkpoint are scored on the 24 h window composed from those
buckets, exactly as a monitor pass scores the lines a new hour's file touched. So a batch run gives the
alerts the monitor would have given, at the end of the hour it would have given them, and the cost of a
checkpoint is that of the lines it touches (a line calling in one hour is not rescored in the next
unless it calls again).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from fanzha.analytics.detectors.context import CST_OFFSET_S, HOUR, DetectionContext
from fanzha.analytics.detectors.lines import WINDOW, static_features
from fanzha.analytics.features.registry import window_seconds
from fanzha.analytics.stream import buckets

# The bucket tables the line features are composed from (line_block: the onset baseline).
BUILT = ("line_hour", "pair_hour", "line_imei_hour", "line_block")


def build_buckets(ctx: DetectionContext, tables: tuple[str, ...] = BUILT) -> None:
    """Bucket tables of the whole run in the context's DuckDB (once per context and table), sorted by time
    so a window's filter skips the other hours' row groups; ``pair_first`` with ``pair_hour``."""
    for table in tables:
        ctx.memo(("hour_buckets", table), lambda t=table: _build(ctx, t))


def _build(ctx: DetectionContext, table: str) -> bool:
    con = ctx.engine.con
    cols = buckets.TABLES[table] if table in buckets.TABLES else buckets.HISTORY_TABLES[table][0]
    time_col = "block_ts" if table.startswith("line_block") else "hour_ts"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _frag_{table} ({cols})")
    for kind in ("cdr", "sms"):
        sql = buckets.fragment_sql(table, kind, kind)
        if sql:
            con.execute(f"INSERT INTO _frag_{table} {sql}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM _frag_{table} ORDER BY {time_col}")
    con.execute(f"DROP TABLE _frag_{table}")
    if table == "pair_hour":
        con.execute("CREATE OR REPLACE TEMP TABLE pair_first AS SELECT msisdn, peer, MIN(ts) AS first_ts FROM cdr "
                    "GROUP BY msisdn, peer")
    return True


def checkpoints(ctx: DetectionContext, step_s: int) -> list[int]:
    """Ends of scoring periods: every ``step_s`` on the local clock after the first record, and the end of
    the clock hour holding the last record (the monitor's window end after the last file)."""
    if ctx.empty:
        return []
    if step_s % HOUR:
        raise ValueError("fraud_caller checkpoints are whole clock hours (the monitor's bucket precision)")
    last = (ctx.end // HOUR + 1) * HOUR
    first = ((ctx.start + CST_OFFSET_S) // step_s + 1) * step_s - CST_OFFSET_S
    points = list(range(first, last, step_s))
    return [*points, last] if not points or points[-1] < last else points


def frames(ctx: DetectionContext, step_s: int, *, min_calls_out: int) -> Iterator[tuple[int, pd.DataFrame]]:
    """(checkpoint, frame) for each checkpoint: the 24 h features (calling, device, onset, registration)
    of the lines with a record since the previous checkpoint and at least ``min_calls_out`` outgoing
    calls in the window — the lines a monitor pass at that hour would score."""
    build_buckets(ctx)
    con = ctx.engine.con
    w = window_seconds(WINDOW)
    prev = None
    for hi in checkpoints(ctx, step_s):
        lo, since = hi - w, (prev if prev is not None else hi - step_s)
        prev = hi
        touched = (f"SELECT DISTINCT msisdn FROM line_hour WHERE hour_ts >= {int(since)} AND hour_ts < {int(hi)}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _cand AS {buckets.candidates_sql(lo, hi, min_calls_out, touched=touched)}")
        if not con.execute("SELECT COUNT(*) FROM _cand").fetchall()[0][0]:
            continue
        frame = ctx.engine.df(buckets.line_features_sql(lo, hi, "_cand", WINDOW)).set_index("msisdn")
        frame = frame.apply(pd.to_numeric, errors="coerce").astype(float)
        yield hi, frame.join(static_features(ctx, hi), how="left")
