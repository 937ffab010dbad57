"""Contract input files, read in Arrow batches of strings: the one reader every import uses (pages and CLI).

A file is CSV, Excel (.xlsx) or Parquet, told by its first bytes and its suffix. A CSV file's encoding is
detected the way Chinese offices produce them: a UTF-8 byte-order mark (Excel's "CSV UTF-8"), else strict
UTF-8, else GB18030 (a superset of GBK, what Excel saves as "CSV" on Chinese Windows). Every column is read
as text (values are checked by the loader, not coerced by the reader), so a bad value becomes a quarantined
row instead of a failed file; a CSV row with the wrong number of fields is handed on as ``Batch.rejected``
for the importer's quarantine. Messages of :class:`SourceError` are Chinese: pages show them as they are.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

SUFFIXES = (".csv", ".xlsx", ".parquet", ".pq")
KINDS_ZH = "CSV（.csv）、Excel 工作簿（.xlsx）或 Parquet（.parquet）"
ENCODINGS_ZH = "UTF-8（含带 BOM 的 UTF-8）与 GB18030/GBK"
_BOM = codecs.BOM_UTF8
_MAGIC = {b"PK\x03\x04": "xlsx", b"PAR1": "parquet"}
_OLE = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .doc …)


class SourceError(ValueError):
    """The input cannot be read at all (missing, empty folder, unknown type or encoding, wrong header)."""


@dataclass
class Batch:
    file: Path
    first_row: int  # 1-based data row number (header not counted) of the batch's first row
    arrays: dict[str, pa.Array]  # every known column as trimmed strings; empty and absent are null
    present: frozenset[str]  # columns the file actually has
    size: int
    names: tuple[str, ...] = ()  # the file's header as written (trimmed), known or not
    label: str = ""  # the file's name for messages: as the user gave it (an upload is saved under another)
    # rows the reader could not split into the header's columns: (raw text, reason), for the quarantine
    rejected: list[tuple[str, str]] = field(default_factory=list)
    _lists: dict[str, list] = field(default_factory=dict)

    def column(self, name: str) -> list[str | None]:
        """The column as a Python list (converted once, on first use)."""
        if name not in self._lists:
            self._lists[name] = self.arrays[name].to_pylist()
        return self._lists[name]

    @property
    def unknown(self) -> list[str]:
        """Header names the importer does not know (ignored)."""
        return [n for n in self.names if n and n not in self.arrays]


def files_in(path: Path) -> list[Path]:
    path = Path(path)
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        if not found:
            raise SourceError(f"{path} 中没有可导入的文件（应为 {KINDS_ZH}）")
        return found
    if not path.is_file():
        raise SourceError(f"{path} 不存在")
    file_kind(path)
    return [path]


def file_kind(file: Path, *, name: str | None = None) -> str:
    """"csv", "xlsx" or "parquet": by the first bytes where they tell (a workbook renamed .csv is still a
    workbook), else by the suffix. NAME: the file's name as the user gave it (uploads are saved under another)."""
    name = name or file.name
    suffix = Path(name).suffix.lower()
    with open(file, "rb") as fh:
        head = fh.read(8)
    if head.startswith(_OLE) or suffix == ".xls":
        raise SourceError(f"{name}：旧版 Excel（.xls）格式无法读取，请在 Excel 中“另存为” .xlsx 工作簿或 CSV 文件")
    kind = next((k for magic, k in _MAGIC.items() if head.startswith(magic)), None)
    if suffix not in SUFFIXES:
        raise SourceError(f"{name}：不支持的文件类型“{suffix or '无扩展名'}”，请上传 {KINDS_ZH} 文件")
    if kind is None and suffix in (".xlsx", ".parquet", ".pq"):
        raise SourceError(f"{name}：扩展名为 {suffix}，但文件内容不是该格式（文件可能已损坏或被改名）")
    return kind or "csv"


def detect_encoding(file: Path, *, name: str | None = None) -> str:
    """The CSV file's text encoding: "utf-8-sig" (BOM), "utf-8" (decodes strictly) or "gb18030"."""
    with open(file, "rb") as fh:
        if fh.read(3) == _BOM:
            return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        if _decodes(file, encoding):
            return encoding
    raise SourceError(f"{name or file.name}：无法识别文件的文字编码（已尝试 {ENCODINGS_ZH}）。"
                      "请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）”或 .xlsx 工作簿后重新上传")  # fmt: skip


def _decodes(file: Path, encoding: str) -> bool:
    """Whether the whole file decodes strictly (read in blocks: a character cut at a block end is kept)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with open(file, "rb") as fh:
            while block := fh.read(1 << 20):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def header_problem(batch: Batch, required: tuple[str, ...], *, labels: dict[str, str] | None = None) -> str | None:
    """A Chinese sentence naming the missing required columns (and the unknown ones, which are often the
    misspelt or translated names of the missing), or None when the header has every required column."""
    missing = [c for c in required if c not in batch.present]
    if not missing:
        return None
    labels = labels or {}
    named = "、".join(f"{c}（{labels[c]}）" if c in labels else c for c in missing)
    text = f"{batch.label or batch.file.name}：表头缺少必填列：{named}"
    if batch.unknown:
        text += f"；无法识别的列：{'、'.join(batch.unknown[:12])}"
    return text + f"。表头应为：{','.join(batch.arrays)}（可下载导入模板对照）"


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
    path: Path, columns: tuple[str, ...], *, on_bytes: Callable[[int], None] | None = None, batch_rows: int = 100_000,
    name: str | None = None,
) -> Iterator[Batch]:  # fmt: skip
    """Yield batches of every file under PATH; ON_BYTES(n) is called as input bytes are consumed.
    NAME: the file's name as the user gave it, for messages (an upload is saved under a temporary name)."""
    on_bytes = on_bytes or (lambda n: None)
    for file in files_in(path):
        kind = file_kind(file, name=name)
        label = name or file.name
        reader = {"csv": _csv_batches, "xlsx": _xlsx_batches}.get(kind, _parquet_batches)
        empty = True
        for batch in reader(file, columns, on_bytes, batch_rows, label):
            empty = False
            batch.label = label
            yield batch
        if empty:  # a file of a header only (or nothing at all): the importer still checks the header
            names = _header_only(file, kind)
            if not names:
                raise SourceError(f"{label}：文件是空的（没有表头行）")
            present = frozenset(c for c in columns if c in names)
            yield Batch(file=file, first_row=1, arrays={c: pa.nulls(0, pa.string()) for c in columns},
                        present=present, size=0, names=tuple(names), label=label)  # fmt: skip


def _header_only(file: Path, kind: str) -> list[str]:
    if kind == "parquet":
        return pq.ParquetFile(file).schema_arrow.names
    if kind == "xlsx":
        import openpyxl

        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
        try:
            first = next(book.worksheets[0].iter_rows(values_only=True), ())
        finally:
            book.close()
        return [n for n in ((_cell(v) or "").strip() for v in first) if n]
    with open(file, encoding=detect_encoding(file), newline="") as fh:
        return [c.strip().lstrip("\ufeff") for c in next(csv.reader(fh), []) if c.strip()]


def _csv_batches(file: Path, columns, on_bytes, batch_rows, label) -> Iterator[Batch]:
    encoding = detect_encoding(file, name=label)
    with open(file, encoding=encoding, newline="") as fh:
        names = [c.strip().lstrip("\ufeff") for c in next(csv.reader(fh), [])]
    if not names:
        return
    present = frozenset(c for c in columns if c in names)
    rejected: list[tuple[str, str]] = []

    def invalid(row) -> str:
        rejected.append((row.text[:2000], f"file: 列数不符（表头 {row.expected_columns} 列，该行 {row.actual_columns} 列）"))
        return "skip"

    # ~100 bytes a row: a block of this size gives batches of about BATCH_ROWS rows. The header is skipped and
    # named here (trimmed, the BOM gone), so a stray space around a column name does not hide the column.
    read = pacsv.ReadOptions(block_size=max(1 << 20, batch_rows * 100), use_threads=True, column_names=names,
                             skip_rows=1, encoding="utf8" if encoding.startswith("utf-8") else encoding)  # fmt: skip
    convert = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in names},
        include_columns=[c for c in names if c in columns],
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    parse = pacsv.ParseOptions(newlines_in_values=False, invalid_row_handler=invalid)
    row = 1
    with open(file, "rb") as raw:
        reader = pacsv.open_csv(_CountingReader(raw, on_bytes), read_options=read, convert_options=convert,
                                parse_options=parse)  # fmt: skip
        for rb in reader:
            if rb.num_rows == 0 and not rejected:
                continue
            batch = _batch(file, row, rb, columns, present, names)
            batch.rejected, rejected[:] = list(rejected), []
            yield batch
            row += rb.num_rows
    if rejected:  # refused in the last block, after its rows were handed on
        yield Batch(file=file, first_row=row, arrays={c: pa.nulls(0, pa.string()) for c in columns},
                    present=present, size=0, names=tuple(names), rejected=rejected)  # fmt: skip


def _cell(value) -> str | None:
    """An Excel cell as the text a CSV export would hold: whole numbers without ".0" (phone numbers typed as
    numbers), dates as YYYY-MM-DD, times as ISO 8601."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() and value.tzinfo is None else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _xlsx_batches(file: Path, columns, on_bytes, batch_rows, label) -> Iterator[Batch]:
    """The first worksheet: its first row is the header; wholly empty rows (Excel keeps formatted ones) end
    nothing and carry nothing, so they are passed over."""
    from zipfile import BadZipFile

    import openpyxl

    try:
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SourceError(f"{label}：无法作为 Excel 工作簿（.xlsx）打开（{type(exc).__name__}），文件可能已损坏") from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        names = [(_cell(v) or "").strip() for v in next(rows, ())]
        while names and not names[-1]:
            names.pop()
        if not names:
            return
        present = frozenset(c for c in columns if c in names)
        index = {c: names.index(c) for c in present}
        width = len(names)
        size = file.stat().st_size
        row, buffer, rejected = 1, {c: [] for c in present}, []
        for values in rows:
            cells = [_cell(v) for v in values]
            if not any(c is not None and str(c).strip() for c in cells):
                continue
            if any(c is not None and str(c).strip() for c in cells[width:]):
                rejected.append((",".join(c or "" for c in cells)[:2000],
                                 f"file: 列数不符（表头 {width} 列，该行有表头之外的单元格）"))  # fmt: skip
                continue
            for c, i in index.items():
                buffer[c].append(cells[i] if i < len(cells) else None)
            if len(next(iter(buffer.values()), [])) >= batch_rows:
                yield _xlsx_batch(file, row, buffer, columns, present, names, rejected)
                row += batch_rows
                buffer, rejected = {c: [] for c in present}, []
        n = len(next(iter(buffer.values()), []))
        if n or rejected:
            yield _xlsx_batch(file, row, buffer, columns, present, names, rejected)
        on_bytes(size)
    finally:
        book.close()


def _xlsx_batch(file, row, buffer, columns, present, names, rejected) -> Batch:
    table = pa.table({c: pa.array(v, pa.string()) for c, v in buffer.items()}) if buffer else pa.table({})
    batch = _batch(file, row, table, columns, present, names)
    batch.rejected = rejected
    return batch


def _parquet_batches(file: Path, columns, on_bytes, batch_rows, label=None) -> Iterator[Batch]:
    pf = pq.ParquetFile(file)
    names = pf.schema_arrow.names
    present = frozenset(c for c in columns if c in names)
    total_rows = max(pf.metadata.num_rows, 1)
    size = file.stat().st_size
    row = 1
    for rb in pf.iter_batches(batch_size=batch_rows, columns=[c for c in columns if c in present]):
        on_bytes(int(size * rb.num_rows / total_rows))
        yield _batch(file, row, rb, columns, present, names)
        row += rb.num_rows


def _batch(file, row, rb: pa.RecordBatch | pa.Table, columns, present, names=()) -> Batch:
    n = rb.num_rows
    arrays = {c: _strings(rb.column(c)) if c in present else pa.nulls(n, pa.string()) for c in columns}
    return Batch(file=file, first_row=row, arrays=arrays, present=present, size=n, names=tuple(names))


def count_rows(path: Path) -> int:
    """Data rows under PATH (for progress bars): Parquet from its metadata, Excel from the sheet's extent,
    CSV by line ends (the same in every accepted encoding)."""
    total = 0
    for file in files_in(Path(path)):
        kind = file_kind(file)
        if kind == "parquet":
            total += pq.ParquetFile(file).metadata.num_rows
        elif kind == "xlsx":
            import openpyxl

            book = openpyxl.load_workbook(file, read_only=True)
            total += max((book.worksheets[0].max_row or 1) - 1, 0)
            book.close()
        else:
            with open(file, "rb") as fh:
                total += max(sum(1 for _ in fh) - 1, 0)
    return total


def total_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in files_in(path))
