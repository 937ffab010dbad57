"""Bulk import of contract files that arrive from outside (12321 reports, market-regulation tips).

One loop for every such file: read CSV (UTF-8 or GB18030/GBK), .xlsx or Parquet (a file or a folder, the one
reader ``registry.sources``), check the header (a missing required column refuses the file, by name), hand each row to
the domain's ``handle`` inside a savepoint, quarantine a refused row with its reason (never dropped
silently), commit every ``batch`` rows. Intake is idempotent on the external id, so an interrupted import
resumes by running it again. The quarantine file (owner-only) goes to ``<home>/imports/``.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from fanzha.casework.context import utcnow
from fanzha.casework.registry.sources import read_batches
from fanzha.config import Settings


class RowError(ValueError):
    """A row breaks the contract. The message starts with the column name: ``reported_number: …``."""


@dataclass
class IntakeSummary:
    rows: int = 0
    outcomes: Counter = field(default_factory=Counter)  # added / known (same id again) / repeat …
    quarantined: Counter = field(default_factory=Counter)  # reason (column) → rows
    alerts: int = 0
    quarantine_file: Path | None = None
    ignored_columns: list[str] = field(default_factory=list)  # header names the contract does not know

    @property
    def added(self) -> int:
        return self.outcomes["added"] + self.outcomes["repeat"]

    def as_dict(self) -> dict:
        return {"rows": self.rows, **{k: int(v) for k, v in self.outcomes.items()},
                "quarantined": sum(self.quarantined.values()), "reasons": dict(self.quarantined),
                "alerts": self.alerts, "quarantine_file": str(self.quarantine_file) if self.quarantine_file else None,
                "ignored_columns": list(self.ignored_columns)}


def reason_key(exc: Exception) -> str:
    return str(exc).split(":", 1)[0][:60] or type(exc).__name__


def import_file(
    engine: Engine, *, path: Path, kind: str, columns: tuple[str, ...], required: tuple[str, ...],
    handle: Callable[[Session, dict], tuple[str, int]], settings: Settings, batch: int = 200,
    progress: Callable[[int], None] | None = None, name: str | None = None,
) -> IntakeSummary:  # fmt: skip
    """``handle(db, row) -> (outcome, alerts raised)``; it raises RowError (or ValueError) for a bad row.
    NAME: the file's name as the user gave it (messages); a wrong header raises SourceError (Chinese)."""
    from fanzha.casework.import_formats import FORMATS, import_format
    from fanzha.casework.registry.sources import SourceError, header_problem

    labels = import_format(kind).labels if kind in FORMATS else None
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    summary = IntakeSummary()
    bad: list[dict] = []
    db = factory()
    try:
        for chunk in read_batches(Path(path), columns, name=name):
            if problem := header_problem(chunk, required, labels=labels):
                raise SourceError(problem)
            summary.ignored_columns += [c for c in chunk.unknown if c not in summary.ignored_columns]
            for text, why in chunk.rejected:  # the reader could not split the row: quarantined as it was
                summary.rows += 1
                summary.quarantined[reason_key(ValueError(why))] += 1
                bad.append({"file": chunk.label, "row": "", "reason": f"{why}：{text}"[:300], **dict.fromkeys(columns, "")})
            lists = {c: chunk.column(c) for c in columns}
            for i in range(chunk.size):
                row = {c: lists[c][i] for c in columns}
                summary.rows += 1
                try:
                    with db.begin_nested():  # a refused row rolls back alone
                        outcome, alerts = handle(db, row)
                except ValueError as exc:
                    summary.quarantined[reason_key(exc)] += 1
                    bad.append({"file": chunk.label, "row": chunk.first_row + i, "reason": str(exc)[:300],
                                **{c: row[c] or "" for c in columns}})  # fmt: skip
                else:
                    summary.outcomes[outcome] += 1
                    summary.alerts += alerts
                if summary.rows % batch == 0:
                    db.commit()
                if progress:
                    progress(1)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    finally:
        db.close()
    if bad:
        summary.quarantine_file = write_quarantine(settings, kind=kind, rows=bad,
                                                   fields=["file", "row", "reason", *columns])  # fmt: skip
    return summary


def write_quarantine(settings: Settings, *, kind: str, rows: list[dict], fields: list[str]) -> Path:
    folder = settings.home / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{kind}-quarantine-{utcnow():%Y%m%dT%H%M%S%f}.csv"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # personal data: owner only
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return target


def parse_time(value: str | None, column: str):
    """ISO 8601; a time without offset is China Standard Time (data contract). Returned in UTC."""
    from datetime import datetime

    from fanzha.casework.context import input_time

    if not value:
        raise RowError(f"{column}: missing")
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise RowError(f"{column}: not an ISO 8601 time: {value[:40]!r}") from None
    if not 2000 <= at.year <= 2100:  # far-off years overflow time-zone arithmetic; reports and tips are recent
        raise RowError(f"{column}: year {at.year} is outside 2000–2100")
    return input_time(at)


def parse_phone(value: str, column: str):
    """A phone number normalised by ``fanzha.numbers`` (one place for number rules), or RowError."""
    from fanzha.numbers import NumberError, parse_number

    try:
        return parse_number(value)
    except NumberError as exc:
        raise RowError(f"{column}: {exc}") from None


def run_with_progress(importer, *, path: Path, label: str, actor, settings: Settings) -> IntakeSummary:
    """Run ``importer`` (import_reports / import_tips) on the application database with a rich progress bar
    and print the summary (CLI use)."""
    from rich.console import Console
    from rich.progress import Progress

    from fanzha.casework.registry.sources import SourceError, count_rows
    from fanzha.db import get_engine

    console = Console()
    try:
        with Progress() as bar:
            task = bar.add_task(label, total=count_rows(path))
            summary = importer(get_engine(), path=path, actor=actor, settings=settings,
                               progress=lambda n: bar.advance(task, n))  # fmt: skip
    except SourceError as exc:  # wrong type, encoding or header: the file is not imported at all
        console.print(f"[red]error: {exc}")
        raise SystemExit(2) from None
    parts = ", ".join(f"{k} {v}" for k, v in sorted(summary.outcomes.items()))
    console.print(f"rows {summary.rows}: {parts or 'nothing new'}; alerts raised {summary.alerts}; "
                  f"quarantined {sum(summary.quarantined.values())}")
    for reason, n in summary.quarantined.most_common():
        console.print(f"  quarantined {n}: {reason}")
    if summary.ignored_columns:
        console.print(f"ignored unknown columns: {', '.join(summary.ignored_columns)}")
    if summary.quarantine_file:
        console.print(f"quarantine file: {summary.quarantine_file}")
    return summary
