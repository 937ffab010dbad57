"""Queries over registry persons/lines, scoped to the principal's shops, masked unless unmasked on purpose."""

from __future__ import annotations

import json

from cryptography.fernet import InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fanzha.casework.audit import service as audit
from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.auth.scoping import shop_filter
from fanzha.casework.lookup.schemas import LineClear, LineMasked, LookupQuery
from fanzha.casework.registry.models import Line, Person
from fanzha.privacy import Protector, mask_id, mask_msisdn, mask_name, redact

MAX_RESULTS = 50
REF_TTL = 3600
REF_PURPOSE = "line.unmask"  # what a lookup reference is for; an encrypted number made elsewhere is not one


class NotAllowed(PermissionError):
    pass


def _masked(line: Line) -> LineMasked:
    person = line.person
    return LineMasked(
        msisdn=mask_msisdn(line.msisdn), line_type=line.line_type, status=line.status, carrier=line.carrier,
        shop_id=line.shop_id, open_time=line.open_time,
        owner_name=(person.name_masked if person else None), owner_id=(person.id_masked if person else None),
    )  # fmt: skip


def find_lines(
    session: Session, *, key: bytes, principal: Principal, protector: Protector, query: LookupQuery
) -> list[tuple[str, LineMasked]]:
    """[(reference, masked line)]. The reference names the line for ``unmask_line`` without showing it:
    the msisdn encrypted with the data key (opaque in page source, valid for REF_TTL seconds), bound to the user
    it is issued to and to unmasking: another user (or another feature's token) cannot use it."""
    stmt = select(Line).options(selectinload(Line.person)).where(shop_filter(principal, Line.shop_id))
    if query.msisdn:
        stmt = stmt.where(Line.msisdn == query.msisdn)
    if query.id_no:
        stmt = stmt.join(Person, Line.person_id == Person.id).where(Person.id_hash == protector.hash(query.id_no))
    lines = list(session.execute(stmt.order_by(Line.msisdn).limit(MAX_RESULTS)).scalars())
    person_ids = sorted({ln.person_id for ln in lines if ln.person_id is not None})
    audit.record(
        session, key=key, actor=principal, action="line.lookup",
        subject_type="person" if query.id_no else "line",
        subject_id=(person_ids[0] if len(person_ids) == 1 else None) if query.id_no else query.msisdn,
        detail={"by": "id_no" if query.id_no else "msisdn", "results": len(lines),
                "query": mask_id(query.id_no) if query.id_no else mask_msisdn(query.msisdn)},
    )  # fmt: skip
    return [(_reference(protector, principal, ln.msisdn), _masked(ln)) for ln in lines]


def _reference(protector: Protector, principal: Principal, msisdn: str) -> str:
    return protector.encrypt(json.dumps({"m": msisdn, "u": principal.username, "p": REF_PURPOSE}))


def _msisdn_of(protector: Protector, principal: Principal, ref: str) -> str | None:
    """The number a reference names, if it was issued to ``principal`` for unmasking and has not expired."""
    try:
        bound = json.loads(protector.decrypt(ref, ttl=REF_TTL))
    except (InvalidToken, ValueError, TypeError):
        return None
    if not isinstance(bound, dict) or bound.get("p") != REF_PURPOSE or bound.get("u") != principal.username:
        return None
    return str(bound.get("m") or "")


def unmask_line(
    session: Session, *, key: bytes, principal: Principal, protector: Protector, ref: str, purpose: str
) -> LineClear | None:
    """The clear line and owner, audited with the purpose. None if the reference is invalid, expired, issued to
    someone else, or the line is unknown or out of the principal's scope."""
    if not principal.can(Permission.PERSONAL_UNMASK):
        raise NotAllowed("personal.unmask required")
    purpose = purpose.strip()
    if len(purpose) < 4:
        raise ValueError("a purpose of at least 4 characters is required")
    msisdn = _msisdn_of(protector, principal, ref)
    if not msisdn:
        return None
    line = session.execute(
        select(Line).options(selectinload(Line.person))
        .where(Line.msisdn == msisdn.strip(), shop_filter(principal, Line.shop_id))
    ).scalar_one_or_none()  # fmt: skip
    if line is None:
        return None
    person = line.person
    audit.record(
        session, key=key, actor=principal, action="personal.unmask", subject_type="line", subject_id=line.msisdn,
        purpose=redact(purpose), detail={"person_id": person.id if person else None},
    )  # fmt: skip
    return LineClear(
        msisdn=line.msisdn, line_type=line.line_type, status=line.status, carrier=line.carrier,
        shop_id=line.shop_id, open_time=line.open_time,
        owner_name=protector.decrypt(person.name_enc) if person and person.name_enc else None,
        owner_id=protector.decrypt(person.id_enc) if person else None, purpose=purpose,
    )  # fmt: skip
