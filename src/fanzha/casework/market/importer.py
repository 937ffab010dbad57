"""Bulk import of a tips file (contract columns: tip_id, received_at, channel, category, subject_name,
phone_numbers, content, reporter_contact). Bad rows are quarantined with the reason; re-running resumes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine

from fanzha.casework.auth.principal import Principal
from fanzha.casework.bulk_intake import IntakeSummary, import_file
from fanzha.casework.context import work_context
from fanzha.casework.market import service
from fanzha.config import Settings


def import_tips(engine: Engine, *, path: Path, actor: Principal, settings: Settings | None = None,
                progress: Callable[[int], None] | None = None, name: str | None = None) -> IntakeSummary:  # fmt: skip
    ctx = work_context(settings)

    def handle(db, row: dict) -> tuple[str, int]:
        _, created, alerts = service.intake(db, ctx=ctx, data=service.validate(row), via="import", actor=actor)
        return ("added" if created else "known"), alerts

    return import_file(engine, path=path, kind="tips", columns=service.COLUMNS, required=service.REQUIRED,
                       handle=handle, settings=ctx.settings, progress=progress, name=name)  # fmt: skip
