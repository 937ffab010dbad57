"""Turning generated rows into contract files (CSV or Parquet, same names and columns).

Record batches are formatted and encoded where they are generated (in worker processes, see
`fanzha.sim.chunks`); the day files only append finished CSV bytes or Parquet row groups."""

from __future__ import annotations

import os
import shutil
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


def _csv_header(columns: list[str]) -> bytes:
    """The header line Arrow's CSV writer puts before the rows (the same bytes as a whole-file write)."""
    sink = pa.BufferOutputStream()
    pcsv.write_csv(pa.table({c: pa.array([], pa.string()) for c in columns}), sink)
    return sink.getvalue().to_pybytes()


def _append_file(fh, part: Path) -> None:
    """Copy PART to the end of the open file FH (inside the kernel where it can), then remove PART."""
    fh.flush()
    with open(part, "rb") as src:
        size = left = os.fstat(src.fileno()).st_size
        try:
            while left > 0 and (n := os.copy_file_range(src.fileno(), fh.fileno(), left)):
                left -= n
        except (AttributeError, OSError):
            pass
        if left:  # no in-kernel copy here: the rest through user space
            src.seek(size - left)
            shutil.copyfileobj(src, fh, 1 << 22)
    part.unlink()


class DayFiles:
    """One file per day for a record kind (`cdr/2026-11-01.csv`), written batch by batch."""

    def __init__(self, out: Path, kind: str, fmt: str):
        self.dir = out / kind
        self.dir.mkdir(parents=True, exist_ok=True)
        self.kind, self.fmt = kind, fmt
        self._writer = None
        self._day: date | None = None

    def write(self, day: date, data: bytes | Path | pa.Table, columns: list[str]) -> None:
        """Append DATA (CSV rows without header, or a file of them, which is then removed; or a table
        for Parquet) to DAY's file."""
        if day != self._day:
            self.close()
            path = self.dir / f"{day.isoformat()}.{self.fmt}"
            if self.fmt == "csv":
                self._writer = open(path, "wb")
                self._writer.write(_csv_header(columns))
            else:
                self._writer = pq.ParquetWriter(path, data.schema, compression="snappy", use_dictionary=["direction"])
            self._day = day
        if isinstance(data, Path):
            _append_file(self._writer, data)
        elif self.fmt == "csv":
            self._writer.write(data)
        else:
            self._writer.write_table(data)

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

    def table(self, legs, day: date, chunk: int, sms: bool) -> pa.Table:
        """Record ids are the kind, the day, the chunk number (4 digits) and the row in it (8 digits):
        unique, and independent of the other chunks, so chunks can be made in parallel."""
        n = len(legs)
        if chunk >= 10**4 or n >= 10**8:
            raise ValueError("too many lines or records for the record id format")
        rid = np.empty((n, 21), dtype=np.uint8)
        rid[:, :9] = ascii_matrix(("S" if sms else "V") + day.strftime("%Y%m%d"), 1)
        rid[:, 9:13] = ascii_matrix(f"{chunk:04d}", 1)
        rid[:, 13:] = digits(np.arange(n), 8)
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
