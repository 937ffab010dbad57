"""Fast set-based writes on one open transaction, for SQLite and PostgreSQL.

SQLAlchemy's ORM costs ~50 µs a row; loading millions of rows needs the driver's own bulk paths:
``executemany`` on SQLite, ``COPY`` on PostgreSQL. All statements run on the caller's connection,
inside its transaction, so a failed load leaves nothing behind.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from sqlalchemy import Table, UniqueConstraint
from sqlalchemy.engine import Connection
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex


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
        if self.pg:
            # Index rebuilds after a bulk load sort in memory instead of on disk.
            self.raw.execute("SET LOCAL maintenance_work_mem = '256MB'")
        else:
            self.raw.execute("PRAGMA cache_size = -262144")  # 256 MB page cache for index inserts
            self.raw.execute("PRAGMA temp_store = MEMORY")
            if not self.raw.in_transaction:
                # Take the write lock now: ids handed out by allocate_ids stay ours until commit.
                self.raw.execute("BEGIN IMMEDIATE")

    # -- reads ------------------------------------------------------------------------------------

    def fetch_in(self, sql: str, keys: Sequence) -> list[tuple]:
        """Run SQL whose ``{IN}`` marker stands for "<column> is one of KEYS"."""
        if not keys:
            return []
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
        if self.pg:
            rows = self.raw.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", (table, n)
            ).fetchall()
            return [r[0] for r in rows]
        if table not in self._next_id:
            self._next_id[table] = (self.scalar(f"SELECT max(id) FROM {table}") or 0) + 1
        start = self._next_id[table]
        self._next_id[table] = start + n
        return list(range(start, start + n))

    def scalar(self, sql: str):
        row = self.raw.execute(sql).fetchone()
        return row[0] if row else None

    # -- writes -----------------------------------------------------------------------------------

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> int:
        if not rows:
            return 0
        cols = ", ".join(columns)
        if self.pg:
            # CSV built by the csv module (C) is several times faster than psycopg's write_row;
            # None is written unquoted-empty, which COPY reads as NULL (loaders never pass "").
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(rows)
            with self.raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(buf.getvalue())
        else:
            marks = ", ".join("?" * len(columns))
            self.raw.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
        return len(rows)

    def insert_missing(self, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> int:
        """Insert rows whose first column (the key) is not in TABLE yet; returns how many were new."""
        if not rows:
            return 0
        key = columns[0]
        have = {r[0] for r in self.fetch_in(f"SELECT {key} FROM {table} WHERE {key} {{IN}}", [r[0] for r in rows])}
        return self.insert(table, columns, [r for r in rows if r[0] not in have])

    def update(self, table: str, key: str, columns: Sequence[str], rows: Sequence[tuple]) -> int:
        """Rows are (value for each of COLUMNS..., key value)."""
        if not rows:
            return 0
        if self.pg:
            tmp = f"_upd_{table}"
            cols = ", ".join([*columns, key])
            self.raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {tmp} AS SELECT {cols} FROM {table} WITH NO DATA")
            self.raw.execute(f"TRUNCATE {tmp}")
            self.insert(tmp, [*columns, key], rows)
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
        while self._dropped:
            self.conn.execute(self._dropped.pop())
