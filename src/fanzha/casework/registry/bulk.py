"""Fast set-based writes on one open transaction, for SQLite and PostgreSQL.

SQLAlchemy's ORM costs ~50 µs a row; loading millions of rows needs the driver's own bulk paths:
``executemany`` on SQLite, ``COPY`` on PostgreSQL. All statements run on the caller's connection,
inside its transaction, so a failed load leaves nothing behind.

On PostgreSQL, writes are handed to one background thread in order: the server ingests batch k (in its
own process, on the other core) while Python prepares batch k+1. Every read first waits for the queued
writes, so reads see them. (On SQLite the driver would hand the GIL back and forth once per row: no thread.)
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Table, UniqueConstraint
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex


# SQLite settings for the length of a bulk load (restored afterwards: the connection goes back to the pool).
# A 1 GiB page cache holds most of a 2-million-line load, so the index builds at the end read from memory;
# sorter threads let CREATE INDEX use the second core.
_SQLITE_BULK_PRAGMAS = {"cache_size": -1048576, "temp_store": 2, "threads": 2}


@contextmanager
def transaction(engine: Engine) -> Iterator[Bulk]:
    """One all-or-nothing transaction for a bulk load.

    On SQLite, foreign keys are not enforced while it runs (PRAGMA foreign_keys can only change outside a
    transaction): enforcing them costs three index probes per inserted line, about 60 % of the insert time.
    The loaders write parents (persons, shops, clerks) before the rows that point to them, in the same
    transaction, so the references hold by construction; the tests check them with PRAGMA foreign_key_check.
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        raw = conn.connection.driver_connection
        saved = {}
        if sqlite:
            saved = {k: raw.execute(f"PRAGMA {k}").fetchone()[0] for k in ("foreign_keys", *_SQLITE_BULK_PRAGMAS)}
            for k, v in {"foreign_keys": 0, **_SQLITE_BULK_PRAGMAS}.items():
                raw.execute(f"PRAGMA {k} = {int(v)}")
        try:
            with conn.begin():
                bulk = Bulk(conn)
                try:
                    yield bulk
                    bulk.finish()
                finally:
                    bulk.close()
            if sqlite:
                # Fold the load's write-ahead log (hundreds of MB at 2 M lines) into the database now and
                # truncate it, rather than leave it to the first checkpoints under the counter's load.
                raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            for k, v in saved.items():
                raw.execute(f"PRAGMA {k} = {int(v)}")


class Bulk:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        if self.dialect not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"bulk loading supports SQLite and PostgreSQL, not {self.dialect}")
        self.raw = conn.connection.driver_connection
        self.pg = self.dialect == "postgresql"
        self._dropped: list = []
        self._next_id: dict[str, int] = {}
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fanzha-copy") if self.pg else None
        self._pending: list[Future] = []
        if self.pg:
            # Index rebuilds after a bulk load sort in memory instead of on disk.
            self.raw.execute("SET LOCAL maintenance_work_mem = '256MB'")
        elif not self.raw.in_transaction:
            # Take the write lock now: ids handed out by allocate_ids stay ours until commit.
            self.raw.execute("BEGIN IMMEDIATE")

    # -- ordering -----------------------------------------------------------------------------------

    def _submit(self, fn, *args) -> None:
        if self._writer is None:
            fn(*args)
        else:
            self._pending.append(self._writer.submit(fn, *args))

    def wait(self) -> None:
        """Wait for the queued writes; the first failure is raised here (and the transaction rolls back)."""
        pending, self._pending = self._pending, []
        for fut in pending:
            fut.result()

    def finish(self) -> None:
        """End of a successful load: queued writes done, dropped indexes back, id sequences moved on."""
        self.wait()
        self.restore()
        if self.pg:
            for table, nxt in self._next_id.items():
                seq = self._sequence(table)
                self.raw.execute(f"SELECT setval(%s, greatest(%s, (SELECT last_value FROM {seq})))", (seq, nxt - 1))

    def close(self) -> None:
        if self._writer is not None:
            for fut in self._pending:
                fut.cancel()
            self._writer.shutdown(wait=True)

    # -- reads ------------------------------------------------------------------------------------

    def fetch_in(self, sql: str, keys: Sequence) -> list[tuple]:
        """Run SQL whose ``{IN}`` marker stands for "<column> is one of KEYS"."""
        if not keys:
            return []
        self.wait()
        keys = list(keys)
        if self.pg:
            cur = self.raw.execute(sql.replace("{IN}", "= ANY(%s)"), (keys,))
        else:
            # json_each turns one bound parameter into a table: no limit on the number of keys.
            cur = self.raw.execute(sql.replace("{IN}", "IN (SELECT value FROM json_each(?))"), (json.dumps(keys),))
        return cur.fetchall()

    def is_empty(self, table: str) -> bool:
        return self.scalar(f"SELECT 1 FROM {table} LIMIT 1") is None

    def allocate_ids(self, table: str, n: int) -> list[int]:
        """N new values for TABLE's integer key ``id``, so inserted rows need no read-back."""
        if n == 0:
            return []
        if table not in self._next_id:
            if self.pg:
                # No other writer may take ids meanwhile: inserts into TABLE wait for this transaction
                # (readers do not). The sequence is moved past the ids used in finish().
                self.raw.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
                start = self.scalar(
                    f"SELECT greatest((SELECT max(id) FROM {table}), "
                    f"(SELECT CASE WHEN is_called THEN last_value END FROM {self._sequence(table)}))"
                )
            else:
                start = self.scalar(f"SELECT max(id) FROM {table}")
            self._next_id[table] = (start or 0) + 1
        start = self._next_id[table]
        self._next_id[table] = start + n
        return list(range(start, start + n))

    def _sequence(self, table: str) -> str:
        return self.raw.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,)).fetchone()[0]

    def scalar(self, sql: str):
        self.wait()
        row = self.raw.execute(sql).fetchone()
        return row[0] if row else None

    # -- writes -----------------------------------------------------------------------------------

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[tuple] | pa.Table) -> int:
        """Insert ROWS (tuples, or an Arrow table with exactly COLUMNS) into TABLE; returns how many."""
        if isinstance(rows, pa.Table):
            if rows.column_names != list(columns):
                raise ValueError(f"table columns {rows.column_names} are not {list(columns)}")
            if rows.num_rows == 0:
                return 0
            if self.pg:  # COPY text format built by Arrow: no Python object per value
                self._submit(self._copy, f"COPY {table} ({', '.join(columns)}) FROM STDIN", _copy_text(rows))
                return rows.num_rows
            rows = list(zip(*(c.to_pylist() for c in rows.columns)))
        if not rows:
            return 0
        cols = ", ".join(columns)
        if self.pg:
            # CSV built by the csv module (C) is several times faster than psycopg's write_row;
            # None is written unquoted-empty, which COPY reads as NULL (loaders never pass "").
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(rows)
            self._submit(self._copy, f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)", buf.getvalue())
        else:
            marks = ", ".join("?" * len(columns))
            self.raw.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
        return len(rows)

    def _copy(self, sql: str, data: str | bytes) -> None:
        with self.raw.cursor() as cur, cur.copy(sql) as copy:
            copy.write(data)

    def insert_missing(self, table: str, columns: Sequence[str], rows: Sequence[tuple], *, known_absent=False) -> int:
        """Insert rows whose first column (the key) is not in TABLE yet; returns how many were new.

        KNOWN_ABSENT: the caller knows none of these keys is stored (the table was empty when its load
        began and the caller passes each key once), so no lookup is needed."""
        if not rows:
            return 0
        if not known_absent:
            key = columns[0]
            have = {r[0] for r in self.fetch_in(f"SELECT {key} FROM {table} WHERE {key} {{IN}}", [r[0] for r in rows])}
            rows = [r for r in rows if r[0] not in have]
        return self.insert(table, columns, rows)

    def update(self, table: str, key: str, columns: Sequence[str], rows: Sequence[tuple]) -> int:
        """Rows are (value for each of COLUMNS..., key value)."""
        if not rows:
            return 0
        if self.pg:
            self.wait()
            tmp = f"_upd_{table}"
            cols = ", ".join([*columns, key])
            self.raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {tmp} AS SELECT {cols} FROM {table} WITH NO DATA")
            self.raw.execute(f"TRUNCATE {tmp}")
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(rows)
            self._copy(f"COPY {tmp} ({cols}) FROM STDIN WITH (FORMAT csv)", buf.getvalue())
            sets = ", ".join(f"{c} = u.{c}" for c in columns)
            self.raw.execute(f"UPDATE {table} SET {sets} FROM {tmp} u WHERE {table}.{key} = u.{key}")
        else:
            sets = ", ".join(f"{c} = ?" for c in columns)
            self.raw.executemany(f"UPDATE {table} SET {sets} WHERE {key} = ?", rows)
        return len(rows)

    # -- bulk mode --------------------------------------------------------------------------------

    def drop_secondary(self, table: Table, *, unique: bool = False) -> None:
        """Drop TABLE's secondary indexes (and on PostgreSQL its foreign keys) until :meth:`restore`.

        Building an index once after millions of inserts is several times faster than keeping it
        up to date row by row; the DDL is part of the transaction, so a failure restores them.
        """
        self.wait()
        for idx in sorted(table.indexes, key=lambda i: i.name):
            self.conn.execute(DropIndex(idx))
            self._dropped.append(CreateIndex(idx))
        if self.pg and unique:  # only safe when nothing will be looked up by these keys meanwhile
            for uq in sorted((c for c in table.constraints if isinstance(c, UniqueConstraint)), key=lambda c: str(c.name)):
                self.conn.execute(DropConstraint(uq))
                self._dropped.append(AddConstraint(uq))
        if self.pg:
            for fk in sorted(table.foreign_key_constraints, key=lambda c: str(c.name)):
                self.conn.execute(DropConstraint(fk))
                self._dropped.append(AddConstraint(fk))

    def restore(self) -> None:
        self.wait()
        while self._dropped:
            self.conn.execute(self._dropped.pop())


_TEXT_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def _copy_text(table: pa.Table) -> bytes:
    """TABLE in PostgreSQL's COPY text format (tab-separated, backslash escapes, \\N for NULL), built by Arrow."""
    fields = []
    for column in table.columns:
        values = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        if not pa.types.is_string(values.type):
            values = pc.cast(values, pa.string())
        for char, escaped in _TEXT_ESCAPES:
            values = pc.replace_substring(values, char, escaped)
        fields.append(pc.fill_null(values, "\\N"))
    lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*fields, "\t"), "\n", "")
    # The values of a string array lie back to back in its data buffer: that is the whole COPY input.
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    start, end = int(offsets[lines.offset]), int(offsets[lines.offset + len(lines)])
    return lines.buffers()[2].slice(start, end - start).to_pybytes()
