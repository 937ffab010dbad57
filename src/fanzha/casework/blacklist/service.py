"""Blacklist reads and validation (no state changes here: flows.py changes state and writes the audit trail)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from fanzha.casework.blacklist.enums import STATUS_LABELS, EntryStatus
from fanzha.casework.blacklist.models import BlacklistEntry
from fanzha.casework.blacklist.schemas import EntryOut
from fanzha.casework.registry.models import Line, Person
from fanzha.db import core
from fanzha.privacy import mask_msisdn

DEFAULT_BAN_YEARS = 5
CONTRACT_COLUMNS = ("id_no", "name", "case_no", "decided_on", "ban_years", "keep_msisdn")
_NUMBER = re.compile(r"^(1\d{10}|0\d{9,11})$")  # mobile, or fixed line with area code


def expiry(decided_on: date, ban_years: int) -> date:
    """First day after the ban (29 February rolls to 28 February)."""
    try:
        return decided_on.replace(year=decided_on.year + ban_years)
    except ValueError:
        return decided_on.replace(year=decided_on.year + ban_years, day=28)


def in_force(*columns):
    """SELECT ``columns`` of the ban in force for :person_hash on :on (the latest-ending one), as a statement
    to bind; the counter check joins it as a derived table into its one read."""
    return (
        select(*columns)
        .where(BlacklistEntry.person_hash == bindparam("person_hash"), BlacklistEntry.status == EntryStatus.ACTIVE.value,
               BlacklistEntry.expires_on > bindparam("on"))
        .order_by(BlacklistEntry.expires_on.desc()).limit(1)
    )  # fmt: skip


# Built once (columns, not an entity: no ORM loading).
_ACTIVE_ENTRY = in_force(BlacklistEntry.id, BlacklistEntry.case_no, BlacklistEntry.decided_on, BlacklistEntry.ban_years,
                         BlacklistEntry.expires_on, BlacklistEntry.keep_msisdn)  # fmt: skip


def active_entry(db: Session, *, person_hash: str, on: date):
    """The ban in force for this person on ``on`` (the latest-ending one), if any: a row with the entry's id,
    case_no, decided_on, ban_years, expires_on and keep_msisdn."""
    return core(db).execute(_ACTIVE_ENTRY, {"person_hash": person_hash, "on": on}).first()


@dataclass(frozen=True)
class ValidRow:
    id_no: str
    name: str
    case_no: str
    decided_on: date
    ban_years: int
    keep_msisdn: str | None


class RowError(ValueError):
    """Why a blacklist row is refused (goes to the quarantine file)."""


def validate_row(row: dict, *, today: date) -> ValidRow:
    """One contract row → ValidRow, or RowError with a short reason code and message."""
    from fanzha.casework.onboarding import identity

    id_no = (row.get("id_no") or "").strip().upper()
    try:
        identity.parse(id_no, today=today)
    except identity.InvalidId as exc:
        raise RowError(f"id_no: {exc}") from None
    name = (row.get("name") or "").strip()
    if not name or len(name) > 32:
        raise RowError("name: 姓名为空或过长")
    case_no = (row.get("case_no") or "").strip()
    if not case_no or len(case_no) > 64:
        raise RowError("case_no: 案号为空或过长")
    try:
        decided_on = date.fromisoformat((row.get("decided_on") or "").strip())
    except ValueError:
        raise RowError("decided_on: 日期格式应为 YYYY-MM-DD") from None
    if decided_on > today:
        raise RowError("decided_on: 决定日期在未来")
    raw_years = (row.get("ban_years") or "").strip()
    try:
        ban_years = int(raw_years) if raw_years else DEFAULT_BAN_YEARS
    except ValueError:
        raise RowError("ban_years: 应为整数") from None
    if not 1 <= ban_years <= 20:
        raise RowError("ban_years: 应在1至20年之间")
    keep = (row.get("keep_msisdn") or "").strip() or None
    if keep is not None and not _NUMBER.fullmatch(keep):
        raise RowError("keep_msisdn: 号码格式无效")
    return ValidRow(id_no, name, case_no, decided_on, ban_years, keep)


def lines_beyond_kept(db: Session, *, person_hash: str, keep_msisdn: str | None) -> list[str]:
    """Lines in use under this person except the kept one. With no kept number given, the oldest mobile
    line is kept (a banned person keeps one card only)."""
    rows = db.execute(
        select(Line.msisdn, Line.line_type).join(Person, Line.person_id == Person.id)
        .where(Person.id_hash == person_hash, Line.status.in_(("active", "suspended")))
        .order_by(Line.open_time, Line.msisdn)
    ).all()  # fmt: skip
    msisdns = [r.msisdn for r in rows]
    if keep_msisdn is None:
        mobile = [r.msisdn for r in rows if r.line_type == "mobile"]
        keep_msisdn = mobile[0] if mobile else None
    return [m for m in msisdns if m != keep_msisdn]


def present(entry: BlacklistEntry) -> EntryOut:
    return EntryOut(
        id=entry.id, id_masked=entry.id_masked, name_masked=entry.name_masked, case_no=entry.case_no,
        decided_on=entry.decided_on, ban_years=entry.ban_years, expires_on=entry.expires_on,
        keep_msisdn=mask_msisdn(entry.keep_msisdn) if entry.keep_msisdn else None, source=entry.source,
        status=entry.status, status_label=STATUS_LABELS[EntryStatus(entry.status)], requested_by=entry.requested_by,
        decided_by=entry.decided_by, created_at=entry.created_at,
    )  # fmt: skip


def list_entries(db: Session, *, status: str | None = None, limit: int = 200) -> list[BlacklistEntry]:
    stmt = select(BlacklistEntry)
    if status:
        stmt = stmt.where(BlacklistEntry.status == status)
    return list(db.execute(stmt.order_by(BlacklistEntry.id.desc()).limit(limit)).scalars())
