"""Call-record summaries and devices for a query result, read from the Parquet call-record stores.

The stores are ``Settings.record_stores`` (``fanzha ingest``'s and the 24×7 monitor's; each record counted once,
``fanzha.analytics.store_records``). The window is the ``days`` before the line's latest
record, so a summary means the same whether it is read today or next week. Only counts and the strongest
peers leave here; the records themselves are never shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fanzha.analytics.store_records import load_line_records


@dataclass
class CallSummary:
    msisdn: str
    first: datetime | None
    last: datetime | None
    calls: int
    outgoing: int
    incoming: int
    answered: int
    distinct_peers: int
    median_duration_s: float | None
    night_share: float  # 00–06 China Standard Time
    cells: int
    top_peers: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Device:
    msisdn: str
    imei: str
    first: datetime
    last: datetime
    calls: int


def _connect():
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone='Asia/Shanghai'")  # night hours are local hours
    return con


def summaries(stores: Iterable[Path], msisdns: list[str], *, days: int = 30, top: int = 5) -> list[CallSummary]:
    """One summary per line that has records in the window (lines without records are left out)."""
    con = _connect()
    try:
        if not load_line_records(con, stores, msisdns):
            return []
        con.execute("CREATE TEMP TABLE w AS SELECT c.* FROM line_records c JOIN (SELECT msisdn, max(start_time) AS "
                    "last_t FROM line_records GROUP BY msisdn) l USING (msisdn) WHERE c.start_time > l.last_t - to_days(?)",
                    [days])  # fmt: skip
        rows = con.execute(
            "SELECT msisdn, min(start_time), max(start_time), count(*), count(*) FILTER (WHERE direction = 'out'), "
            "count(*) FILTER (WHERE direction = 'in'), count(*) FILTER (WHERE duration_s > 0), count(DISTINCT peer), "
            "median(duration_s) FILTER (WHERE duration_s > 0), avg(CASE WHEN hour(start_time) < 6 THEN 1 ELSE 0 END), "
            "count(DISTINCT cell_id) FROM w GROUP BY msisdn ORDER BY msisdn"
        ).fetchall()
        peers = con.execute(
            "SELECT msisdn, peer, n FROM (SELECT msisdn, peer, count(*) AS n, row_number() OVER "
            "(PARTITION BY msisdn ORDER BY count(*) DESC, peer) AS r FROM w GROUP BY msisdn, peer) WHERE r <= ? "
            "ORDER BY msisdn, r", [top]
        ).fetchall()  # fmt: skip
    finally:
        con.close()
    by_line: dict[str, list[tuple[str, int]]] = {}
    for m, peer, n in peers:
        by_line.setdefault(m, []).append((str(peer), int(n)))
    return [CallSummary(msisdn=r[0], first=r[1], last=r[2], calls=r[3], outgoing=r[4], incoming=r[5], answered=r[6],
                        distinct_peers=r[7], median_duration_s=None if r[8] is None else float(r[8]),
                        night_share=float(r[9] or 0.0), cells=r[10], top_peers=by_line.get(r[0], []))
            for r in rows]  # fmt: skip


def devices(stores: Iterable[Path], msisdns: list[str], *, limit: int = 50) -> list[Device]:
    """Every IMEI each line was seen with, most recent first."""
    con = _connect()
    try:
        if not load_line_records(con, stores, msisdns):
            return []
        rows = con.execute(
            "SELECT msisdn, imei, min(start_time), max(start_time), count(*) FROM line_records "
            "WHERE imei IS NOT NULL AND imei <> '' GROUP BY msisdn, imei ORDER BY msisdn, max(start_time) DESC LIMIT ?",
            [limit],
        ).fetchall()
    finally:
        con.close()
    return [Device(msisdn=r[0], imei=str(r[1]), first=r[2], last=r[3], calls=r[4]) for r in rows]
