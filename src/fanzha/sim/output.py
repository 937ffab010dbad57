"""Turning generated rows into contract files (CSV or Parquet, same names and columns).

Record batches are formatted and written on a background thread (Arrow's kernels and writers release
the GIL), so generation and writing overlap on two cores; at most two batches wait, which bounds memory."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from fanzha.sim.text import ascii_matrix, digits, time_table, to_arrow

DIRECTIONS = pa.array(["out", "in", "fwd"])
CDR_COLUMNS = ["record_id", "msisdn", "peer", "direction", "start_time", "duration_s", "cell_id", "imei"]
SMS_COLUMNS = ["record_id", "msisdn", "peer", "direction", "send_time", "cell_id", "imei"]


def take(strings: pa.Array, idx: np.ndarray) -> pa.Array:
    """STRINGS[idx], with empty (null) where idx < 0."""
    missing = idx < 0
    if missing.any():
        return strings.take(pa.array(np.where(missing, 0, idx), mask=missing))
    return strings.take(pa.array(idx))


def write_table(table: pa.Table, path: Path, fmt: str) -> Path:
    """A small whole file (subscribers, cells, labels, …)."""
    path = path.with_suffix(f".{fmt}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        pcsv.write_csv(table, path, pcsv.WriteOptions(quoting_style="needed"))
    else:
        pq.write_table(table, path, compression="zstd")
    return path


class DayFiles:
    """One file per day for a record kind (`cdr/2026-11-01.csv`), written batch by batch."""

    def __init__(self, out: Path, kind: str, fmt: str):
        self.dir = out / kind
        self.dir.mkdir(parents=True, exist_ok=True)
        self.kind, self.fmt = kind, fmt
        self._writer = None
        self._day: date | None = None

    def write(self, day: date, table: pa.Table) -> None:
        if day != self._day:
            self.close()
            path = self.dir / f"{day.isoformat()}.{self.fmt}"
            if self.fmt == "csv":
                self._writer = pcsv.CSVWriter(path, table.schema, write_options=pcsv.WriteOptions(quoting_style="none"))
            else:
                self._writer = pq.ParquetWriter(path, table.schema, compression="snappy", use_dictionary=["direction"])
            self._day = day
        self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._day = None


class Formatter:
    """Legs → Arrow tables with the contract's columns."""

    def __init__(self, world):
        self.w = world
        self._tt: dict[date, np.ndarray] = {}

    def _times(self, day: date, t: np.ndarray) -> pa.Array:
        if day not in self._tt:
            self._tt = {day: time_table(day)}  # one day at a time: files are written in day order
        return to_arrow(self._tt[day][t])

    def table(self, legs, day: date, seq0: int, sms: bool) -> pa.Table:
        n = len(legs)
        rid = np.empty((n, 18), dtype=np.uint8)
        rid[:, :9] = ascii_matrix(("S" if sms else "V") + day.strftime("%Y%m%d"), 1)
        rid[:, 9:] = digits(np.arange(seq0, seq0 + n), 9)
        cols = {
            "record_id": to_arrow(rid),
            "msisdn": take(self.w.node_msisdn_pa, legs.msisdn),
            "peer": take(self.w.node_msisdn_pa, legs.peer),
            "direction": DIRECTIONS.take(pa.array(legs.direction)),
            ("send_time" if sms else "start_time"): self._times(day, legs.t),
        }
        if not sms:
            cols["duration_s"] = pa.array(legs.dur, type=pa.int32())
        cols["cell_id"] = take(self.w.cell_pa, legs.cell)
        cols["imei"] = take(self.w.imei_pa, legs.dev)
        return pa.table(cols)


class BackgroundWriter:
    """Runs format+write jobs in order on one thread, with at most two in flight."""

    def __init__(self):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sim-writer")
        self._pending: list[Future] = []

    def submit(self, fn, *args) -> None:
        while len(self._pending) >= 2:
            self._pending.pop(0).result()
        self._pending.append(self._pool.submit(fn, *args))

    def drain(self) -> None:
        for f in self._pending:
            f.result()
        self._pending.clear()

    def close(self) -> None:
        self.drain()
        self._pool.shutdown()
