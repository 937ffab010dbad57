"""What casework services need from settings, resolved once per call: thresholds, the audit key, the protector.

Services take ``settings=None`` (meaning ``get_settings()``), so callers in other domains need not build this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fanzha.config import Settings, get_settings
from fanzha.privacy import Protector


@dataclass(frozen=True)
class WorkContext:
    settings: Settings
    key: bytes  # audit chain key
    protector: Protector


def work_context(settings: Settings | None = None) -> WorkContext:
    from fanzha.casework.audit.service import chain_key

    settings = settings or get_settings()
    return WorkContext(settings=settings, key=chain_key(settings), protector=Protector.from_settings(settings))


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(at: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes (stored as UTC); make every comparison aware."""
    if at is None:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def input_time(at: datetime | None) -> datetime | None:
    """A time from outside (files, API): naive means China Standard Time (data contract). Stored as UTC,
    because SQLite keeps the wall-clock digits and drops the offset."""
    from datetime import timedelta, timezone

    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone(timedelta(hours=8)))
    return at.astimezone(UTC)
