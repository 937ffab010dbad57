"""Bulk import of a reports file (contract columns), e.g. the daily 12321 hand-over or the simulator's
``reports.csv``. Bad rows are quarantined with the reason; re-running resumes (idempotent on report_id)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine

from fanzha.casework.auth.principal import Principal
from fanzha.casework.bulk_intake import IntakeSummary, import_file
from fanzha.casework.context import work_context
from fanzha.casework.reports import service
from fanzha.config import Settings


def import_reports(engine: Engine, *, path: Path, actor: Principal, settings: Settings | None = None,
                   progress: Callable[[int], None] | None = None, name: str | None = None) -> IntakeSummary:  # fmt: skip
    ctx = work_context(settings)

    def handle(db, row: dict) -> tuple[str, int]:
        out = service.intake(db, ctx=ctx, data=service.validate(row), via="import", actor=actor)
        return out.outcome, int(out.alert_raised)

    return import_file(engine, path=path, kind="reports", columns=service.COLUMNS, required=service.REQUIRED,
                       handle=handle, settings=ctx.settings, progress=progress, name=name)  # fmt: skip
