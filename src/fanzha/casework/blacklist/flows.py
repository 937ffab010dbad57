"""Blacklist state changes, each with its audit event in the same transaction."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from fanzha.casework.audit import service as audit
from fanzha.casework.auth.principal import Principal
from fanzha.casework.blacklist import measures, service
from fanzha.casework.blacklist.enums import TRANSITIONS, EntryStatus, Source
from fanzha.casework.blacklist.models import BlacklistEntry
from fanzha.casework.blacklist.schemas import ImportSummary, ManualEntryRequest
from fanzha.privacy import Protector, mask_id, mask_name, redact


class BlacklistError(ValueError):
    """A blacklist request that cannot be honoured; the message is safe to show."""


def _move(entry: BlacklistEntry, target: EntryStatus) -> None:
    if target not in TRANSITIONS[EntryStatus(entry.status)]:
        raise BlacklistError(f"entry {entry.id}: {entry.status} → {target.value} is not allowed")
    entry.status = target.value


def _new_entry(*, protector: Protector, row: service.ValidRow, source: Source, status: EntryStatus, actor: Principal,
               reason: str | None) -> BlacklistEntry:  # fmt: skip
    return BlacklistEntry(
        person_hash=protector.hash(row.id_no), id_enc=protector.encrypt(row.id_no), id_masked=mask_id(row.id_no),
        name_masked=mask_name(row.name), case_no=row.case_no, decided_on=row.decided_on, ban_years=row.ban_years,
        expires_on=service.expiry(row.decided_on, row.ban_years), keep_msisdn=row.keep_msisdn, source=source.value,
        status=status.value, reason=reason, requested_by=actor.username[:64], created_at=datetime.now(UTC),
    )  # fmt: skip


def _activate_measures(db: Session, *, key: bytes, actor: Principal, entry: BlacklistEntry) -> int:
    """A ban in force: the lines beyond the kept one are proposed for shutdown, and the person's open counter
    checks are refused (a check escalated before the ban must not end in a card)."""
    from fanzha.casework.onboarding import flows as onboarding  # onboarding reads the ban: import at use

    onboarding.refuse_open_checks(db, key=key, actor=actor, person_hash=entry.person_hash, case_no=entry.case_no,
                                  expires_on=entry.expires_on, keep_msisdn=entry.keep_msisdn)  # fmt: skip
    msisdns = service.lines_beyond_kept(db, person_hash=entry.person_hash, keep_msisdn=entry.keep_msisdn)
    return measures.propose_for_blacklisted(db, key=key, actor=actor, msisdns=msisdns, case_no=entry.case_no,
                                            entry_id=entry.id)  # fmt: skip


def import_csv(db: Session, *, key: bytes, protector: Protector, actor: Principal, path: Path,
               quarantine: Path | None = None, today: date | None = None, progress=None,
               name: str | None = None) -> ImportSummary:  # fmt: skip
    """Import the police list (contract columns) from a CSV (UTF-8 or GB18030/GBK), .xlsx or Parquet file, read
    by ``registry.sources``. Bad rows go to the quarantine file with the reason; a row already present (same
    case number and person) is counted, not duplicated. NAME: the file's name as the user gave it."""
    from fanzha.casework.import_formats import import_format
    from fanzha.casework.registry.sources import SourceError, header_problem, read_batches

    today = today or date.today()
    quarantine = quarantine or path.with_name(path.stem + ".quarantine.csv")
    spec = import_format("blacklist")
    reasons: Counter[str] = Counter()
    bad: list[dict] = []
    ignored: list[str] = []
    rows = added = present = expired = proposed = 0
    seen: set[tuple[str, str]] = set()
    try:
        for chunk in read_batches(path, service.CONTRACT_COLUMNS, name=name):
            if problem := header_problem(chunk, spec.required, labels=spec.labels):
                raise BlacklistError(problem)
            ignored += [c for c in chunk.unknown if c not in ignored]
            for text_, why in chunk.rejected:  # the reader could not split the row: quarantined as it was
                rows += 1
                reasons["file"] += 1
                bad.append({"line": "", "reason": f"{why}：{text_}"[:300], **dict.fromkeys(service.CONTRACT_COLUMNS, "")})
            lists = {c: chunk.column(c) for c in service.CONTRACT_COLUMNS}
            for i in range(chunk.size):
                raw = {c: lists[c][i] or "" for c in service.CONTRACT_COLUMNS}
                line_no = chunk.first_row + i + 1  # the header is line 1
                rows += 1
                if progress:
                    progress()
                try:
                    row = service.validate_row(raw, today=today)
                except service.RowError as exc:
                    field = str(exc).split(":", 1)[0]
                    reasons[field] += 1
                    bad.append({"line": line_no, "reason": str(exc), **raw})
                    continue
                person_hash = protector.hash(row.id_no)
                if (row.case_no, person_hash) in seen or db.execute(
                    select(BlacklistEntry.id).where(BlacklistEntry.case_no == row.case_no,
                                                    BlacklistEntry.person_hash == person_hash)
                ).first():  # fmt: skip
                    present += 1
                    continue
                seen.add((row.case_no, person_hash))
                ends = service.expiry(row.decided_on, row.ban_years)
                status = EntryStatus.ACTIVE if ends > today else EntryStatus.EXPIRED
                entry = _new_entry(protector=protector, row=row, source=Source.POLICE_CSV, status=status, actor=actor,
                                   reason=None)  # fmt: skip
                db.add(entry)
                db.flush()
                added += 1
                if status is EntryStatus.EXPIRED:
                    expired += 1
                else:
                    proposed += _activate_measures(db, key=key, actor=actor, entry=entry)
    except SourceError as exc:  # wrong type, encoding or an empty file: the message says which
        raise BlacklistError(str(exc)) from None
    if bad:
        with quarantine.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=["line", "reason", *service.CONTRACT_COLUMNS])
            writer.writeheader()
            writer.writerows(bad)
    summary = ImportSummary(rows=rows, added=added, already_present=present, expired_on_arrival=expired,
                            quarantined=len(bad), reasons=dict(reasons), measures_proposed=proposed,
                            quarantine_file=str(quarantine) if bad else None, ignored_columns=ignored)  # fmt: skip
    if added >= 100:
        # Fresh statistics for the planners: without them both picked the (status, expires_on) index for the
        # counter check's ban lookup and scanned every active ban on each check.
        db.execute(text("ANALYZE blacklist_entries"))
    audit.record(db, key=key, actor=actor, action="blacklist.import", subject_type="file", subject_id=name or path.name,
                 detail=summary.model_dump(exclude={"quarantine_file"}))  # fmt: skip
    return summary


def request_manual(db: Session, *, key: bytes, protector: Protector, actor: Principal,
                   body: ManualEntryRequest, today: date | None = None) -> BlacklistEntry:  # fmt: skip
    """A manual entry waits for an L2 reviewer (four eyes: not the one who asked)."""
    try:
        row = service.validate_row(body.model_dump(mode="json") | {"ban_years": str(body.ban_years),
                                   "keep_msisdn": body.keep_msisdn or ""}, today=today or date.today())  # fmt: skip
    except service.RowError as exc:
        raise BlacklistError(str(exc)) from None
    entry = _new_entry(protector=protector, row=row, source=Source.MANUAL, status=EntryStatus.PENDING, actor=actor,
                       reason=redact(body.reason))  # fmt: skip
    db.add(entry)
    db.flush()
    audit.record(db, key=key, actor=actor, action="blacklist.request", subject_type="blacklist_entry",
                 subject_id=entry.id, purpose=redact(body.reason), detail={"id": entry.id_masked,
                 "case_no": entry.case_no, "ban_years": entry.ban_years})  # fmt: skip
    return entry


def decide(db: Session, *, key: bytes, actor: Principal, entry_id: int, approve: bool, note: str = "") -> BlacklistEntry:
    entry = db.get(BlacklistEntry, entry_id, with_for_update=True)
    if entry is None:
        raise BlacklistError(f"entry {entry_id} not found")
    if entry.requested_by == actor.username:
        raise BlacklistError("不能审批自己提交的名单申请（双人复核）")
    _move(entry, EntryStatus.ACTIVE if approve else EntryStatus.REJECTED)
    entry.decided_by = actor.username[:64]
    entry.decided_at = datetime.now(UTC)
    proposed = _activate_measures(db, key=key, actor=actor, entry=entry) if approve else 0
    audit.record(db, key=key, actor=actor, action="blacklist.decide", subject_type="blacklist_entry",
                 subject_id=entry.id, purpose=redact(note) or None,
                 detail={"approve": approve, "measures_proposed": proposed})  # fmt: skip
    return entry


def expire_due(db: Session, *, key: bytes, actor: Principal, on: date | None = None) -> int:
    """Active bans whose time is up become expired (the check already ignores them from that day)."""
    on = on or date.today()
    due = list(db.execute(
        select(BlacklistEntry).where(BlacklistEntry.status == EntryStatus.ACTIVE.value, BlacklistEntry.expires_on <= on)
    ).scalars())  # fmt: skip
    for entry in due:
        _move(entry, EntryStatus.EXPIRED)
    if due:
        audit.record(db, key=key, actor=actor, action="blacklist.expire", subject_type="blacklist",
                     detail={"expired": len(due), "ids": [e.id for e in due][:100], "on": on.isoformat()})  # fmt: skip
    return len(due)


def lift(db: Session, *, key: bytes, actor: Principal, entry_id: int, reason: str) -> BlacklistEntry:
    entry = db.get(BlacklistEntry, entry_id, with_for_update=True)
    if entry is None:
        raise BlacklistError(f"entry {entry_id} not found")
    _move(entry, EntryStatus.LIFTED)
    entry.decided_by, entry.decided_at = actor.username[:64], datetime.now(UTC)
    audit.record(db, key=key, actor=actor, action="blacklist.lift", subject_type="blacklist_entry",
                 subject_id=entry.id, purpose=redact(reason))  # fmt: skip
    return entry
