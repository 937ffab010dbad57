"""Contract input files: a CSV/Parquet file or a folder of them, read in Arrow batches of strings.

Every column is read as text (values are checked by the loader, not coerced by the reader), so a
bad value becomes a quarantined row instead of a failed file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

SUFFIXES = (".csv", ".parquet", ".pq")


class SourceError(ValueError):
    """The input path cannot be read at all (missing, empty folder, unknown format)."""


@dataclass
class Batch:
    file: Path
    first_row: int  # 1-based data row number (header not counted) of the batch's first row
    arrays: dict[str, pa.Array]  # every known column as trimmed strings; empty and absent are null
    present: frozenset[str]  # columns the file actually has
    size: int
    _lists: dict[str, list] = field(default_factory=dict)

    def column(self, name: str) -> list[str | None]:
        """The column as a Python list (converted once, on first use)."""
        if name not in self._lists:
            self._lists[name] = self.arrays[name].to_pylist()
        return self._lists[name]


def files_in(path: Path) -> list[Path]:
    path = Path(path)
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        if not found:
            raise SourceError(f"{path} holds no .csv or .parquet files")
        return found
    if not path.is_file():
        raise SourceError(f"{path} does not exist")
    if path.suffix.lower() not in SUFFIXES:
        raise SourceError(f"{path}: expected a .csv or .parquet file")
    return [path]


class _CountingReader(io.RawIOBase):
    """File wrapper that reports bytes read, so CSV progress can be shown by bytes."""

    def __init__(self, fh, on_read: Callable[[int], None]):
        self._fh = fh
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._fh.readinto(b)
        if n:
            self._on_read(n)
        return n


def _strings(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not pa.types.is_string(array.type):
        array = pc.cast(array, pa.string())
    array = pc.utf8_trim_whitespace(array)
    # Empty text and null mean the same thing: no value.
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


def read_batches(
    path: Path, columns: tuple[str, ...], *, on_bytes: Callable[[int], None] | None = None, batch_rows: int = 100_000
) -> Iterator[Batch]:
    """Yield batches of every file under PATH; ON_BYTES(n) is called as input bytes are consumed."""
    on_bytes = on_bytes or (lambda n: None)
    for file in files_in(path):
        if file.suffix.lower() == ".csv":
            yield from _csv_batches(file, columns, on_bytes, batch_rows)
        else:
            yield from _parquet_batches(file, columns, on_bytes, batch_rows)


def _csv_batches(file: Path, columns, on_bytes, batch_rows) -> Iterator[Batch]:
    with open(file, encoding="utf-8-sig", newline="") as fh:
        names = [c.strip() for c in next(csv.reader(fh), [])]
    present = frozenset(c for c in columns if c in names)
    if not names:
        return
    # ~100 bytes a row: a block of this size gives batches of about BATCH_ROWS rows.
    read = pacsv.ReadOptions(block_size=max(1 << 20, batch_rows * 100), use_threads=True)
    convert = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in names},
        include_columns=[c for c in names if c in columns],
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    row = 1
    with open(file, "rb") as raw:
        reader = pacsv.open_csv(
            _CountingReader(raw, on_bytes), read_options=read, convert_options=convert,
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
        )
        for rb in reader:
            if rb.num_rows == 0:
                continue
            yield _batch(file, row, rb, columns, present)
            row += rb.num_rows


def _parquet_batches(file: Path, columns, on_bytes, batch_rows) -> Iterator[Batch]:
    pf = pq.ParquetFile(file)
    names = pf.schema_arrow.names
    present = frozenset(c for c in columns if c in names)
    total_rows = max(pf.metadata.num_rows, 1)
    size = file.stat().st_size
    row = 1
    for rb in pf.iter_batches(batch_size=batch_rows, columns=[c for c in columns if c in present]):
        on_bytes(int(size * rb.num_rows / total_rows))
        yield _batch(file, row, rb, columns, present)
        row += rb.num_rows


def _batch(file, row, rb: pa.RecordBatch, columns, present) -> Batch:
    n = rb.num_rows
    arrays = {c: _strings(rb.column(c)) if c in present else pa.nulls(n, pa.string()) for c in columns}
    return Batch(file=file, first_row=row, arrays=arrays, present=present, size=n)


def total_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in files_in(path))
