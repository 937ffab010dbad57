"""What casework services need from settings, resolved once per call: thresholds, the audit key, the protector.

Services take ``settings=None`` (meaning ``get_settings()``), so callers in other domains need not build this.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

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


class ReplayClock:
    """A settable casework clock, for replaying history (the demo replays its simulated week: alerts arrive
    at their detection time, reviewers decide hours later). Audit events keep the wall clock."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def set(self, at: datetime) -> None:
        self.at = at


_clock: ContextVar[ReplayClock | None] = ContextVar("fanzha_casework_clock", default=None)


@contextmanager
def replay_clock(at: datetime) -> Iterator[ReplayClock]:
    """Within the block (this thread/context only), casework ``utcnow()`` reads the returned clock."""
    clock = ReplayClock(at)
    token = _clock.set(clock)
    try:
        yield clock
    finally:
        _clock.reset(token)


def utcnow() -> datetime:
    clock = _clock.get()
    return clock.at if clock is not None else datetime.now(UTC)


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


def day_start(day: date) -> datetime:
    """Midnight China Standard Time of ``day``, as UTC: the bounds of filters by day (days are CST days)."""
    return input_time(datetime.combine(day, time()))
