"""Bulk, idempotent loading of contract files (subscribers, cells) into the registry.

* PATH is a CSV/Parquet file or a folder of them (../shared/spec/data-contract.md).
* Loading the same data twice changes nothing; a changed row updates its line or person.
* Rows that break the contract go, with the reason, to a quarantine CSV under
  ``settings.home/quarantine/``; good rows load. A run is one transaction: all or nothing.
* Personal data: ID numbers are stored as keyed hash + Fernet token + mask, names as keyed hash +
  token + mask (fanzha.privacy). Hashing and encryption run in a process pool on big loads, while
  the main process validates the next batch and writes the previous one.
"""

from __future__ import annotations

import csv
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fanzha.casework.registry import checks, sources
from fanzha.casework.registry.bulk import Bulk, transaction
from fanzha.config import Settings, get_settings
from fanzha.privacy import Protector, mask_name

# Below this many input bytes a process pool costs more than it saves.
POOL_MIN_BYTES = 20_000_000
# Inputs of at least this many rows (estimated from bytes) may use bulk mode (indexes rebuilt once).
BULK_MODE_MIN_ROWS = 50_000
LINE_COLUMNS = ("line_type", "person_id", "open_time", "shop_id", "clerk_id", "status", "imsi", "carrier")
PERSON_COLUMNS = (
    "id_hash", "id_enc", "id_masked", "name_enc", "name_masked", "name_hash", "birth_date", "sex", "division_code",
    "occupation",
)


@dataclass
class LoadResult:
    kind: str
    read: int = 0
    loaded: int = 0  # inserted + updated
    unchanged: int = 0
    quarantined: int = 0
    quarantine_path: Path | None = None
    seconds: float = 0.0
    inserted: int = 0
    updated: int = 0
    persons_new: int = 0
    persons_updated: int = 0
    shops_new: int = 0
    clerks_new: int = 0
    reasons: Counter = field(default_factory=Counter)  # field the reason is about -> rows

    @property
    def rows_per_second(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0

    def finish(self, *, quarantined: int, started: float) -> LoadResult:
        """Derive the totals once the run is over (rows not loaded nor quarantined were unchanged)."""
        self.quarantined = quarantined
        self.loaded = self.inserted + self.updated
        self.unchanged = self.read - self.quarantined - self.loaded
        self.seconds = time.perf_counter() - started
        return self


# --- quarantine ----------------------------------------------------------------------------------


class Quarantine:
    """Bad rows with file, row number and reason; the CSV appears only if there were bad rows."""

    def __init__(self, home: Path, kind: str, columns: tuple[str, ...]) -> None:
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
        self.path = Path(home) / "quarantine" / f"{kind}-{stamp}-{os.getpid()}.csv"
        self.columns = columns
        self.count = 0
        self._fh = None
        self._writer = None

    def add(self, file: Path, row: int, values: dict[str, str | None], reason: str) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Quarantined rows hold clear ID numbers and names: readable by the owner only.
            fd = os.open(self.path.with_suffix(".part"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self._fh = open(fd, "w", newline="", encoding="utf-8")
            self._writer = csv.writer(self._fh)
            self._writer.writerow([*self.columns, "source_file", "source_row", "reason"])
        self._writer.writerow([*(values.get(c) or "" for c in self.columns), str(file), row, reason])
        self.count += 1

    def commit(self) -> Path | None:
        if self._fh is None:
            return None
        self._fh.close()
        os.replace(self.path.with_suffix(".part"), self.path)
        return self.path

    def discard(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self.path.with_suffix(".part").unlink(missing_ok=True)


# --- work that runs in the process pool ------------------------------------------------------------


def _hash_job(protector: Protector, values: list[str]) -> list[str]:
    return protector.hash_many(values)


def _encrypt_job(protector: Protector, values: list[str]) -> list[str]:
    return protector.encrypt_many(values)


class _Inline:
    """Executor stand-in for small loads: runs the job at once."""

    def submit(self, fn, *args) -> Future:
        fut: Future = Future()
        fut.set_result(fn(*args))
        return fut

    def shutdown(self, wait: bool = True) -> None:
        pass


class _Crypto:
    """Splits hashing/encryption over the pool's workers and gathers the results in order."""

    def __init__(self, protector: Protector, workers: int) -> None:
        self.protector = protector
        self.workers = workers
        self.pool = (
            ProcessPoolExecutor(max_workers=workers, mp_context=get_context("forkserver")) if workers else _Inline()
        )

    def submit(self, fn, values: list[str]) -> Callable[[], list[str]]:
        parts = max(1, self.workers)
        step = -(-len(values) // parts) or 1
        futures = [self.pool.submit(fn, self.protector, values[i:i + step]) for i in range(0, len(values), step)]

        def result() -> list[str]:
            out: list[str] = []
            for f in futures:
                out.extend(f.result())
            return out

        return result

    def close(self) -> None:
        self.pool.shutdown(wait=True)


# --- progress ------------------------------------------------------------------------------------


class _Progress:
    def __init__(self, enabled: bool, label: str, total: int) -> None:
        self.bar = None
        if enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                TextColumn("{task.fields[rows]:,} rows"), TimeElapsedColumn(), TimeRemainingColumn(),
                console=Console(stderr=True), transient=False,
            )
            self.bar.start()
            self.task = self.bar.add_task(label, total=total, rows=0)

    def bytes(self, n: int) -> None:
        if self.bar:
            self.bar.advance(self.task, n)

    def rows(self, n: int) -> None:
        if self.bar:
            self.bar.update(self.task, rows=n)

    def close(self) -> None:
        if self.bar:
            self.bar.stop()


# --- subscribers ---------------------------------------------------------------------------------


@dataclass
class _Prepared:
    batch: sources.Batch
    good: np.ndarray  # indexes of good rows
    person_keys: list[str]  # unique ID numbers (upper case) in the batch
    person_rows: np.ndarray  # batch row carrying each person's name/occupation (the first one wins)
    names: list[str]
    occupations: list[str | None]
    id_hashes: Callable[[], list[str]]
    name_hashes: Callable[[], list[str]]
    checked: checks.Checked
    # Filled by _SubscriberLoad.lookup.
    fingerprints: list[int] = field(default_factory=list)
    known: dict[str, tuple[int, int]] = field(default_factory=dict)
    new: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    id_tokens: Callable[[], list[str]] | None = None
    name_tokens: Callable[[], list[str]] | None = None


class _SubscriberLoad:
    """State of one subscriber load: what this run has written, so it need not ask the database."""

    def __init__(self, bulk: Bulk, crypto: _Crypto, quarantine: Quarantine, result: LoadResult) -> None:
        self.bulk, self.crypto, self.quarantine, self.result = bulk, crypto, quarantine, result
        self.seen: set[str] = set()
        # id_hash -> person id, for persons handled in this run. A person's name and occupation come
        # from their first row in the input, so loading the same input twice changes nothing.
        self.persons: dict[str, int] = {}
        self.shops: set[str] = set()
        self.clerks: set[str] = set()
        # Tables empty at the start can only hold what this run wrote: no lookups needed.
        self.persons_empty = bulk.is_empty("persons")
        self.lines_empty = bulk.is_empty("lines")
        self.shops_empty = bulk.is_empty("shops")
        self.clerks_empty = bulk.is_empty("clerks")

    def run(self, batches) -> None:
        previous: _Prepared | None = None
        # Pipeline: the main process validates batch k+1 while the pool encrypts batch k,
        # and writes batch k while the pool hashes batch k+1.
        for batch in batches:
            prep = self.prepare(batch)
            if previous is not None:
                self.write(previous)
            self.lookup(prep)
            previous = prep
        if previous is not None:
            self.write(previous)

    def prepare(self, batch: sources.Batch) -> _Prepared:
        result = self.result
        result.read += batch.size
        _quarantine_rejected(batch, self.quarantine, result)
        checked = checks.check_subscribers(batch.arrays)
        good = checked.good.copy()
        reasons = dict(checked.reasons)
        missing_required = [c for c in checks.SUBSCRIBER_REQUIRED if c not in batch.present]
        if missing_required:  # the whole file lacks a column: every row breaks the contract
            why = f"file: has no column {', '.join(missing_required)}"
            reasons = dict.fromkeys(range(batch.size), why)
            good[:] = False
        msisdn = batch.column("msisdn")
        seen = self.seen
        for i in np.flatnonzero(good):
            m = msisdn[i]
            if m in seen:
                good[i] = False
                reasons[int(i)] = "msisdn: appears more than once in the input (first one loaded)"
            else:
                seen.add(m)
        for i, why in sorted(reasons.items()):
            row = {c: batch.column(c)[i] for c in checks.SUBSCRIBER_COLUMNS}
            self.quarantine.add(batch.file, batch.first_row + i, row, why)
            result.reasons.update({part.split(":", 1)[0] for part in why.split("; ")})
        good_idx = np.flatnonzero(good)
        id_upper = pc.utf8_upper(batch.arrays["id_no"]).to_pylist()
        person_row: dict[str, int] = {}
        for i in good_idx.tolist():
            person_row.setdefault(id_upper[i], i)
        keys = list(person_row)
        rows = np.fromiter(person_row.values(), dtype=np.int64, count=len(keys))
        owner, occupation = batch.column("owner_name"), batch.column("occupation")
        names = [owner[i] for i in rows]
        return _Prepared(
            batch=batch, good=good_idx, person_keys=keys, person_rows=rows, names=names,
            occupations=[occupation[i] for i in rows], checked=checked,
            id_hashes=self.crypto.submit(_hash_job, keys), name_hashes=self.crypto.submit(_hash_job, names),
        )

    def lookup(self, prep: _Prepared) -> None:
        """Find which persons exist already and start encrypting the new and changed ones."""
        id_hashes, name_hashes = prep.id_hashes(), prep.name_hashes()
        prep.fingerprints = fps = [hash(x) for x in zip(name_hashes, prep.occupations)]
        done = self.persons
        unknown = [h for h in id_hashes if h not in done]
        known: dict[str, tuple[int, int]] = {}
        if unknown and not self.persons_empty:
            for h, pid, nh, occ in self.bulk.fetch_in(
                "SELECT id_hash, id, name_hash, occupation FROM persons WHERE id_hash {IN}", unknown
            ):
                known[h] = (pid, hash((nh, occ)))
        prep.known = known
        prep.new = [j for j, h in enumerate(id_hashes) if h not in done and h not in known]
        prep.changed = [j for j, h in enumerate(id_hashes) if h in known and known[h][1] != fps[j]]
        prep.id_tokens = self.crypto.submit(_encrypt_job, [prep.person_keys[j] for j in prep.new])
        prep.name_tokens = self.crypto.submit(_encrypt_job, [prep.names[j] for j in prep.new + prep.changed])

    def write(self, prep: _Prepared) -> None:
        """Write one batch column-wise: Arrow builds the rows (and on PostgreSQL the COPY data) in C."""
        bulk, result, batch = self.bulk, self.result, prep.batch
        keys, names, occupations = prep.person_keys, prep.names, prep.occupations
        id_hashes, name_hashes = prep.id_hashes(), prep.name_hashes()
        id_tokens, name_tokens = prep.id_tokens(), prep.name_tokens()
        new, changed, known = prep.new, prep.changed, prep.known

        new_ids = bulk.allocate_ids("persons", len(new))
        if new:
            pick = pa.array(new, type=pa.int64())
            source_rows = pa.array(prep.person_rows[new])  # the batch row that carries each new person
            derived = _person_fields(pc.take(pa.array(keys, pa.string()), pick))
            persons_new = pa.table({
                "id": pa.array(new_ids, pa.int64()),
                "id_hash": pc.take(pa.array(id_hashes, pa.string()), pick),
                "id_enc": pa.array(id_tokens, pa.string()),
                "id_masked": derived["id_masked"],
                "name_enc": pa.array(name_tokens[:len(new)], pa.string()),
                "name_masked": _mask_names(pc.take(batch.arrays["owner_name"], source_rows)),
                "name_hash": pc.take(pa.array(name_hashes, pa.string()), pick),
                "birth_date": derived["birth_date"],
                "sex": derived["sex"],
                "division_code": derived["division_code"],
                "occupation": pc.take(batch.arrays["occupation"], source_rows),
            }).sort_by("id_hash")  # key order keeps B-tree inserts local
            bulk.insert("persons", ("id", *PERSON_COLUMNS), persons_new)
        offset = len(new)
        bulk.update("persons", "id", ("name_enc", "name_masked", "name_hash", "occupation"), [
            (name_tokens[offset + k], mask_name(names[j]), name_hashes[j], occupations[j], known[id_hashes[j]][0])
            for k, j in enumerate(changed)
        ])
        result.persons_new += len(new)
        result.persons_updated += len(changed)
        persons = self.persons
        for h, v in known.items():
            persons[h] = v[0]
        persons.update(zip((id_hashes[j] for j in new), new_ids))
        person_ids = np.fromiter((persons[h] for h in id_hashes), dtype=np.int64, count=len(id_hashes))

        take = pa.array(prep.good)
        col = {c: pc.take(batch.arrays[c], take) for c in checks.SUBSCRIBER_COLUMNS}
        # Each row's person: its (upper-case) ID number's position among the batch's persons.
        owner = pc.index_in(pc.utf8_upper(col["id_no"]), value_set=pa.array(keys, pa.string()))
        self._write_staff(col["shop_id"], col["clerk_id"])

        times = pa.array(checks.sql_times(prep.checked.derived["open_time"][prep.good]), pa.string())
        if bulk.pg:
            times = pc.binary_join_element_wise(times, "+00:00", "")
        lines = pa.table({
            "msisdn": col["msisdn"], "line_type": col["line_type"],
            "person_id": pa.array(person_ids[owner.to_numpy(zero_copy_only=False)]), "open_time": times,
            "shop_id": col["shop_id"], "clerk_id": col["clerk_id"], "status": col["status"], "imsi": col["imsi"],
            "carrier": pa.array(prep.checked.derived["carrier"][prep.good], pa.string()),
        }).sort_by("msisdn")
        if self.lines_empty:
            result.inserted += bulk.insert("lines", ("msisdn", *LINE_COLUMNS), lines)
            return
        time_sql = "to_char(open_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00:00'" if bulk.pg else "open_time"
        have = {
            r[0]: tuple(r)
            for r in bulk.fetch_in(
                f"SELECT msisdn, line_type, person_id, {time_sql}, shop_id, clerk_id, status, imsi, carrier "
                "FROM lines WHERE msisdn {IN}", lines.column("msisdn").to_pylist(),
            )
        }
        rows = table_rows(lines)
        fresh = [r for r in rows if r[0] not in have]
        changed_lines = [(*r[1:], r[0]) for r in rows if r[0] in have and have[r[0]] != r]
        result.inserted += bulk.insert("lines", ("msisdn", *LINE_COLUMNS), fresh)
        result.updated += bulk.update("lines", "msisdn", LINE_COLUMNS, changed_lines)

    def _write_staff(self, shop_id: pa.Array, clerk_id: pa.Array) -> None:
        """Shops and clerks not seen yet in this run; a clerk's shop is the one of their first line."""
        bulk, result = self.bulk, self.result
        shops = sorted(s for s in pc.unique(shop_id).to_pylist() if s not in self.shops)
        first = (
            pa.table({"clerk_id": clerk_id, "shop_id": shop_id})
            .group_by("clerk_id", use_threads=False).aggregate([("shop_id", "first")])
        )
        clerks = sorted((c, s) for c, s in zip(first.column(0).to_pylist(), first.column(1).to_pylist())
                        if c not in self.clerks)  # fmt: skip
        result.shops_new += bulk.insert_missing("shops", ("shop_id", "region_code"),
                                                [(s, shop_region(s)) for s in shops], known_absent=self.shops_empty)
        result.clerks_new += bulk.insert_missing("clerks", ("clerk_id", "shop_id"), clerks,
                                                 known_absent=self.clerks_empty)
        self.shops.update(shops)
        self.clerks.update(c for c, _ in clerks)


def table_rows(table: pa.Table) -> list[tuple]:
    return list(zip(*(c.to_pylist() for c in table.columns)))


def _mask_names(names: pa.Array) -> pa.Array:
    """fanzha.privacy.mask_name column-wise: the first character, then one * per further character."""
    n = pc.fill_null(pc.utf8_length(names), 0)
    stars = pc.binary_repeat("*", pc.max_element_wise(pc.subtract(n, 1), 0))
    return pc.if_else(pc.greater(n, 1), pc.binary_join_element_wise(pc.utf8_slice_codeunits(names, 0, 1), stars, ""), "*")


def _person_fields(arr: pa.Array) -> dict[str, pa.Array]:
    """Mask, birth date, sex and division of valid (upper-case) ID numbers, computed column-wise by Arrow."""

    def cut(a: int, b: int):
        return pc.utf8_slice_codeunits(arr, a, b)

    seq_digit = pc.cast(cut(16, 17), pa.int8())
    return {
        "id_masked": pc.binary_join_element_wise(cut(0, 4), "*" * 10, cut(14, 18), ""),
        "birth_date": pc.binary_join_element_wise(cut(6, 10), cut(10, 12), cut(12, 14), "-"),
        "sex": pc.if_else(pc.equal(pc.bit_wise_and(seq_digit, 1), 1), "M", "F"),
        "division_code": cut(0, 6),
    }


_SHOP_REGION = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def shop_region(shop_id: str) -> str | None:
    """The county of a shop whose code embeds a GB/T 2260 county code (operators' habit, e.g. YYT-421202-0001);
    None otherwise (the data contract carries no shop register). Feeds the dashboards' county filter."""
    from fanzha.ids import division

    m = _SHOP_REGION.search(shop_id or "")
    return m.group(1) if m and m.group(1)[4:] != "00" and division(m.group(1)) is not None else None


def load_subscribers(
    path: Path, *, url: str, settings: Settings | None = None, progress: bool = True, workers: int | None = None
) -> LoadResult:
    """Load subscriber rows (lines and their owners, shops, clerks) from PATH into the database at URL.

    WORKERS: processes for hashing/encryption (default: 2 for big inputs, none for small ones).
    """
    from fanzha.db import engine_for

    settings = settings or get_settings()
    started = time.perf_counter()
    path = Path(path)
    total = sources.total_bytes(path)
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if total >= POOL_MIN_BYTES else 0
    protector = Protector.from_settings(settings)
    result = LoadResult(kind="subscribers")
    quarantine = Quarantine(settings.home, "subscribers", checks.SUBSCRIBER_COLUMNS)
    bar = _Progress(progress, "subscribers", total)
    crypto = _Crypto(protector, workers)
    try:
        with transaction(engine_for(url)) as bulk:
            _maybe_bulk_mode(bulk, total, ("lines", "persons"))
            run = _SubscriberLoad(bulk, crypto, quarantine, result)

            def batches():
                for batch in sources.read_batches(path, checks.SUBSCRIBER_COLUMNS, on_bytes=bar.bytes):
                    yield batch
                    bar.rows(result.read)

            run.run(batches())
        result.quarantine_path = quarantine.commit()
    except BaseException:
        quarantine.discard()
        raise
    finally:
        crypto.close()
        bar.rows(result.read)
        bar.close()
    return result.finish(quarantined=quarantine.count, started=started)


def _quarantine_rejected(batch: sources.Batch, quarantine: Quarantine, result: LoadResult) -> None:
    """Rows the reader could not split into the header's columns (no row number: the CSV reader skips them)."""
    for text, why in batch.rejected:
        result.read += 1
        quarantine.add(batch.file, 0, {}, f"{why}: {text}")
        result.reasons.update({"file"})


def _maybe_bulk_mode(bulk: Bulk, total_bytes: int, tables: tuple[str, ...]) -> None:
    """Drop secondary indexes while loading when the input is larger than what is there already."""
    from fanzha.casework.models import metadata

    approx_rows = total_bytes // 120  # a subscriber CSV row is ~120 bytes
    if approx_rows < BULK_MODE_MIN_ROWS:
        return
    existing = bulk.scalar(f"SELECT count(*) FROM {tables[0]}") or 0
    if existing < approx_rows:
        for name in tables:
            # An empty table is never queried by key during the run (see _SubscriberLoad).
            bulk.drop_secondary(metadata.tables[name], unique=bulk.is_empty(name))


# --- cells ---------------------------------------------------------------------------------------


def load_cells(path: Path, *, url: str, progress: bool = True, settings: Settings | None = None) -> LoadResult:
    """Load radio cells from PATH into the database at URL (same rules as :func:`load_subscribers`)."""
    from fanzha.db import engine_for

    settings = settings or get_settings()
    started = time.perf_counter()
    path = Path(path)
    result = LoadResult(kind="cells")
    quarantine = Quarantine(settings.home, "cells", checks.CELL_COLUMNS)
    bar = _Progress(progress, "cells", sources.total_bytes(path))
    try:
        with transaction(engine_for(url)) as bulk:
            seen: set[str] = set()
            for batch in sources.read_batches(path, checks.CELL_COLUMNS, on_bytes=bar.bytes):
                _write_cells(bulk, batch, seen, quarantine, result)
                bar.rows(result.read)
        result.quarantine_path = quarantine.commit()
    except BaseException:
        quarantine.discard()
        raise
    finally:
        bar.close()
    return result.finish(quarantined=quarantine.count, started=started)


def _write_cells(bulk: Bulk, batch: sources.Batch, seen: set[str], quarantine: Quarantine, result: LoadResult) -> None:
    cols = {c: batch.column(c) for c in checks.CELL_COLUMNS}
    result.read += batch.size
    _quarantine_rejected(batch, quarantine, result)
    checked = checks.check_cells(batch.arrays)
    good, reasons = checked.good.copy(), dict(checked.reasons)
    missing = [c for c in checks.CELL_COLUMNS if c not in batch.present]
    if missing:
        good[:] = False
        reasons = {i: f"file: has no column {', '.join(missing)}" for i in range(batch.size)}
    for i in np.flatnonzero(good):
        if cols["cell_id"][i] in seen:
            good[i] = False
            reasons[int(i)] = "cell_id: appears more than once in the input (first one loaded)"
        seen.add(cols["cell_id"][i])
    for i, why in sorted(reasons.items()):
        quarantine.add(batch.file, batch.first_row + i, {c: cols[c][i] for c in checks.CELL_COLUMNS}, why)
        result.reasons.update({part.split(":", 1)[0] for part in why.split("; ")})
    lat, lon = checked.derived["lat"], checked.derived["lon"]
    rows = {cols["cell_id"][i]: (float(lat[i]), float(lon[i]), cols["region_code"][i]) for i in np.flatnonzero(good)}
    have = {
        r[0]: (r[1], r[2], r[3])
        for r in bulk.fetch_in("SELECT cell_id, lat, lon, region_code FROM cells WHERE cell_id {IN}", list(rows))
    }
    result.inserted += bulk.insert("cells", ("cell_id", "lat", "lon", "region_code"),
                                   [(c, *v) for c, v in rows.items() if c not in have])
    result.updated += bulk.update("cells", "cell_id", ("lat", "lon", "region_code"),
                                  [(*v, c) for c, v in rows.items() if c in have and have[c] != v])
