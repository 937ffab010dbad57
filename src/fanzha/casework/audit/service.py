"""Append to and check the hash chain; search it.

Ordering under concurrency: ``record`` first runs ``UPDATE audit_head SET seq = seq + 1 … RETURNING``.
That row lock (PostgreSQL) or write lock (SQLite) is held until the caller's transaction ends, so
appends are serialised in commit order, and seq is gap-free unless an event is removed afterwards.
Because every audited change waits for that lock, the time from ``record`` to the commit is the chain's
critical section: callers record last and commit at once (the counter check commits in its view), and
``record`` itself is three prepared statements with no ORM object. On PostgreSQL the event and the new head
hash are one statement, held back (``fanzha.db.defer_to_commit``) and sent with the COMMIT in one pipeline: the
lock is held for one round trip and the server releases it at the commit without waiting for this thread again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone

from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from fanzha.casework.audit.models import AuditEvent, AuditHead
from fanzha.casework.audit.schemas import AuditEventOut, AuditQuery, VerifyResult
from fanzha.casework.auth.principal import Principal
from fanzha.privacy import derived_key, mask_msisdn, redact
from fanzha.db import core, defer_to_commit

GENESIS = "0" * 64
CST = timezone(timedelta(hours=8))


def chain_key(settings) -> bytes:
    """The HMAC key of the chain, derived from FANZHA_HASH_KEY (without it, nobody can re-forge a chain)."""
    return derived_key(settings.keys()[0], "audit-chain")


def _canonical_time(at: datetime) -> str:
    # SQLite hands datetimes back naive; PostgreSQL as aware. Hash one UTC form for both.
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def _utc(at: datetime) -> datetime:
    # Stored times are UTC; a naive filter value is taken as China Standard Time, like every input.
    if at.tzinfo is None:
        at = at.replace(tzinfo=CST)
    return at.astimezone(UTC)


def _digest(key: bytes, *, seq, at, actor_id, actor, action, subject_type, subject_id, purpose, detail, prev_hash) -> str:
    payload = json.dumps(
        [seq, _canonical_time(at), actor_id, actor, action, subject_type, subject_id, purpose, detail, prev_hash],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


class Recorded(NamedTuple):
    seq: int
    hash: str


_FIELDS = ("seq", "at", "actor_id", "actor", "action", "subject_type", "subject_id", "purpose", "detail", "prev_hash")
# Built once: the statements of an append are compiled once per dialect and then only re-bound. On the tables,
# not the mapped classes, and run on the session's connection: no ORM bulk-update machinery per event.
_HEAD, _EVENT = AuditHead.__table__, AuditEvent.__table__
_TAKE_HEAD = _HEAD.update().where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq + 1).returning(_HEAD.c.seq, _HEAD.c.hash)
_INSERT_EVENT = _EVENT.insert().values({f: bindparam(f"e_{f}") for f in (*_FIELDS, "hash")})
_SET_HEAD_HASH = _HEAD.update().where(_HEAD.c.id == 1).values(hash=bindparam("head_hash"))
# PostgreSQL: the event and the new head hash in one statement, sent with the COMMIT (``defer_to_commit``).
_INSERT_AND_SET_HEAD = _SET_HEAD_HASH.add_cte(_INSERT_EVENT.cte("new_event"))


def record(
    session: Session,
    *,
    key: bytes,
    actor: Principal,
    action: str,
    subject_type: str | None = None,
    subject_id: str | int | None = None,
    purpose: str | None = None,
    detail: dict | None = None,
) -> Recorded:
    """Append one event in the caller's transaction (it commits or rolls back with the change).

    ``detail`` must not hold personal data in clear (ID numbers, names); pass masked forms or internal ids.
    Record last in the transaction and commit soon after: other appends wait for this one's commit.
    """
    detail_json = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    conn = core(session)
    head = conn.execute(_TAKE_HEAD).one()
    fields = dict(
        seq=int(head.seq),
        at=datetime.now(UTC),
        actor_id=actor.user_id,
        actor=actor.username[:64],
        action=action[:64],
        subject_type=subject_type[:32] if subject_type else None,
        subject_id=str(subject_id)[:64] if subject_id is not None else None,
        purpose=purpose,
        detail=detail_json,
        prev_hash=head.hash,
    )
    digest = _digest(key, **fields)
    values = {f"e_{k}": v for k, v in fields.items()} | {"e_hash": digest}
    if conn.dialect.name == "postgresql":
        defer_to_commit(conn, _INSERT_AND_SET_HEAD, {**values, "head_hash": digest})
    else:
        conn.execute(_INSERT_EVENT, values)
        conn.execute(_SET_HEAD_HASH, {"head_hash": digest})
    return Recorded(fields["seq"], digest)


def verify(session: Session, *, key: bytes, batch: int = 5000) -> VerifyResult:
    """Walk the whole chain; report every altered, missing or re-linked event by its seq."""
    problems: list[str] = []
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch)).scalars()
    for ev in rows:
        checked += 1
        if ev.seq != expected_seq:
            missing = f"{expected_seq}" if ev.seq == expected_seq + 1 else f"{expected_seq}–{ev.seq - 1}"
            problems.append(f"event seq {missing} missing (deleted)")
        elif ev.prev_hash != prev_hash:
            problems.append(f"event seq {ev.seq}: prev_hash does not link to event {ev.seq - 1}")
        fields = dict(
            seq=ev.seq, at=ev.at, actor_id=ev.actor_id, actor=ev.actor, action=ev.action,
            subject_type=ev.subject_type, subject_id=ev.subject_id, purpose=ev.purpose,
            detail=ev.detail, prev_hash=ev.prev_hash,
        )  # fmt: skip
        if not hmac.compare_digest(_digest(key, **fields), ev.hash):
            problems.append(f"event seq {ev.seq}: content altered (hash mismatch)")
        expected_seq, prev_hash = ev.seq + 1, ev.hash
    head = session.get(AuditHead, 1)
    last_seq = expected_seq - 1
    if head is None:
        problems.append("audit_head row missing")
        head_seq, head_hash = last_seq, prev_hash
    else:
        head_seq, head_hash = int(head.seq), head.hash
        if head_seq > last_seq:
            problems.append(f"events seq {last_seq + 1}–{head_seq} missing at the end (deleted)")
        elif head_seq != last_seq or head_hash != prev_hash:
            problems.append(f"audit_head (seq {head_seq}) does not match the last event (seq {last_seq})")
    return VerifyResult(ok=not problems, checked=checked, head_seq=head_seq, head_hash=head_hash, problems=problems)


def search(session: Session, *, query: AuditQuery) -> list[AuditEvent]:
    """Newest first. Every filter is a bound parameter; text filters match exactly (actor, action) or by prefix."""
    stmt = select(AuditEvent)
    if query.actor:
        stmt = stmt.where(AuditEvent.actor == query.actor)
    if query.action:
        stmt = stmt.where(AuditEvent.action.startswith(query.action, autoescape=True))
    if query.subject_type:
        stmt = stmt.where(AuditEvent.subject_type == query.subject_type)
    if query.subject_id:
        stmt = stmt.where(AuditEvent.subject_id == query.subject_id)
    if query.since:
        stmt = stmt.where(AuditEvent.at >= _utc(query.since))
    if query.until:
        stmt = stmt.where(AuditEvent.at <= _utc(query.until))
    stmt = stmt.order_by(AuditEvent.seq.desc()).limit(query.limit).offset(query.offset)
    return list(session.execute(stmt).scalars())


def _masked(value):
    """Numbers and ID numbers inside an event's detail, masked wherever they sit (``record`` asks for masked
    forms, but the trail is append-only: what an older or careless caller wrote is masked on the way out)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def present(event: AuditEvent) -> AuditEventOut:
    """The masked, display form of an event (pages, API, exports)."""
    subject = event.subject_id
    if subject and event.subject_type in {"line", "msisdn"}:
        subject = mask_msisdn(subject)
    else:
        subject = redact(subject) if subject else subject
    try:
        detail = _masked(json.loads(event.detail or "{}"))
    except ValueError:
        detail = {"raw": redact(event.detail)}
    return AuditEventOut(
        seq=event.seq, at=event.at, actor=event.actor, action=event.action, subject_type=event.subject_type,
        subject_id=subject, purpose=redact(event.purpose) if event.purpose else None, detail=detail,
    )  # fmt: skip
