"""Market-regulation tips: validation, intake (public page, officer form, file, API), triage, reads.

Each phone number a tip names is normalised (``fanzha.numbers``) and looked up in the registry; a number
that is one of the operator's own lines raises an alert (``alerts.service.raise_alert``, source ``report``,
detector ``tip_<category>``), so the anti-fraud analysts see it next to what the detectors found.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanzha.casework.alerts.models import Alert
from fanzha.casework.alerts.service import raise_alert
from fanzha.casework.audit import service as audit
from fanzha.casework.auth.principal import Principal
from fanzha.casework.bulk_intake import RowError, parse_phone, parse_time
from fanzha.casework.context import WorkContext, utcnow
from fanzha.casework.market.enums import CATEGORIES, CHANNELS, TIP_LABELS, TIP_TRANSITIONS, TipStatus
from fanzha.casework.market.models import MarketTip, TipEvent, TipNumber
from fanzha.casework.registry.models import Line
from fanzha.casework.transitions import next_state
from fanzha.privacy import mask_msisdn

COLUMNS = ("tip_id", "received_at", "channel", "category", "subject_name", "phone_numbers", "content",
           "reporter_contact")  # fmt: skip
REQUIRED = ("tip_id", "received_at", "channel", "category", "content")
MAX_NUMBERS = 20
_SPLIT = re.compile(r"[\s,，;；、/]+")


class TipError(ValueError):
    """A state change that is not allowed (the message says why)."""


@dataclass(frozen=True)
class TipData:
    tip_id: str | None  # None: a receipt number is issued at intake
    received_at: datetime | None  # None: now
    channel: str
    category: str
    subject_name: str | None
    numbers: tuple[str, ...]  # normalised, distinct
    content: str
    contact: str | None


def parse_numbers(value: str | None, column: str = "phone_numbers") -> tuple[str, ...]:
    parts = [p for p in _SPLIT.split(value or "") if p]
    if len(parts) > MAX_NUMBERS:
        raise RowError(f"{column}: more than {MAX_NUMBERS} numbers")
    return tuple(dict.fromkeys(parse_phone(p, column).number for p in parts))


def validate(row: dict, *, require_id: bool = True) -> TipData:
    """A contract row (or form fields) → TipData, or RowError naming the column."""
    tip_id = (row.get("tip_id") or "").strip() or None
    if require_id and not tip_id:
        raise RowError("tip_id: missing")
    if tip_id and len(tip_id) > 64:
        raise RowError("tip_id: longer than 64 characters")
    received = parse_time(row.get("received_at"), "received_at") if require_id or row.get("received_at") else None
    channel = (row.get("channel") or "").strip().lower()
    if channel not in CHANNELS:
        raise RowError(f"channel: must be one of {', '.join(CHANNELS)}, got {channel[:20]!r}")
    category = (row.get("category") or "").strip()
    if category not in CATEGORIES:
        raise RowError(f"category: must be one of {', '.join(CATEGORIES)}, got {category[:30]!r}")
    content = (row.get("content") or "").strip()
    if not content:
        raise RowError("content: missing")
    if len(content) > 5000:
        raise RowError("content: longer than 5000 characters")
    subject = (row.get("subject_name") or "").strip() or None
    if subject and len(subject) > 200:
        raise RowError("subject_name: longer than 200 characters")
    contact = (row.get("reporter_contact") or "").strip() or None
    if contact and len(contact) > 200:
        raise RowError("reporter_contact: longer than 200 characters")
    return TipData(tip_id=tip_id, received_at=received, channel=channel, category=category, subject_name=subject,
                   numbers=parse_numbers(row.get("phone_numbers")), content=content, contact=contact)  # fmt: skip


def mask_contact(contact: str) -> str:
    if "@" in contact:
        user, _, domain = contact.partition("@")
        return f"{user[:1]}***@{domain}"[:64]
    digits = re.sub(r"\D", "", contact)
    return mask_msisdn(digits) if len(digits) >= 7 else "***"


def _receipt(db: Session, *, intake: str, at: datetime) -> str:
    """回执编号: SCJG-W (public page) / SCJG-G (officer) - date - six random digits (not guessable in sequence)."""
    prefix = "SCJG-W" if intake == "public" else "SCJG-G"
    while True:
        candidate = f"{prefix}-{at:%Y%m%d}-{secrets.randbelow(10**6):06d}"
        if db.execute(select(MarketTip.id).where(MarketTip.tip_id == candidate)).first() is None:
            return candidate


def _event(db: Session, *, tip: MarketTip, actor: str, kind: str, note: str) -> None:
    db.add(TipEvent(tip_id=tip.id, at=utcnow(), actor=actor[:64], kind=kind, note=note[:4000]))


def intake(db: Session, *, ctx: WorkContext, data: TipData, via: str, actor: Principal) -> tuple[MarketTip, bool, int]:
    """Store one tip → (tip, created, alerts raised). The same tip_id again is a no-op (created False)."""
    if data.tip_id:
        existing = db.execute(select(MarketTip).where(MarketTip.tip_id == data.tip_id)).scalar_one_or_none()
        if existing is not None:
            return existing, False, 0
    now = utcnow()
    received = data.received_at or now
    tip = MarketTip(
        tip_id=data.tip_id or _receipt(db, intake=via, at=now), received_at=received, channel=data.channel,
        category=data.category, subject_name=data.subject_name, content=data.content,
        contact_enc=ctx.protector.encrypt(data.contact) if data.contact else None,
        contact_masked=mask_contact(data.contact) if data.contact else None, intake=via, intake_at=now,
        intake_by=actor.username[:64], status=TipStatus.NEW.value, status_since=now,
    )  # fmt: skip
    db.add(tip)
    db.flush()
    alerts = 0
    for msisdn in data.numbers:
        own = db.get(Line, msisdn) is not None
        link = TipNumber(tip_id=tip.id, msisdn=msisdn, own_line=own)
        if own:
            out = raise_alert(
                db, source="report", subject_type="msisdn", subject=msisdn, detector=f"tip_{data.category}"[:32],
                score=0.6, reasons=f"市场监管线索（{CATEGORIES[data.category]}）：{data.subject_name or '未具名主体'}",
                evidence={"tip_id": tip.tip_id, "category": data.category, "channel": data.channel,
                          "msisdns": list(data.numbers)},
                event_time=received, actor=actor, alert_id=f"tip-{tip.tip_id}-{msisdn}"[:64], settings=ctx.settings,
            )  # fmt: skip
            link.alert_id = out.alert.id
            alerts += not out.duplicate
        db.add(link)
    _event(db, tip=tip, actor=actor.username, kind="intake",
           note=f"{CHANNELS[data.channel]}受理，{len(data.numbers)} 个号码，{alerts} 条告警")  # fmt: skip
    audit.record(db, key=ctx.key, actor=actor, action="tip.intake", subject_type="market_tip", subject_id=tip.id,
                 detail={"tip_id": tip.tip_id, "via": via, "numbers": len(data.numbers), "alerts": alerts})  # fmt: skip
    return tip, True, alerts


def triage(db: Session, *, ctx: WorkContext, tip_id: int, actor: Principal, status: str | None = None,
           assignee: str | None = None, note: str = "") -> MarketTip:  # fmt: skip
    """Change status and/or assignee and/or add a note; each change goes to the tip's timeline and the audit."""
    tip = db.get(MarketTip, tip_id)
    if tip is None:
        raise TipError("线索不存在 tip not found")
    changes: dict[str, str] = {}
    if assignee and assignee.strip() and assignee.strip() not in officers(db):
        raise TipError(f"承办人须为市场监管人员 {assignee.strip()[:64]!r} cannot be assigned")
    if assignee is not None and assignee.strip() != (tip.assignee or ""):
        tip.assignee = assignee.strip()[:64] or None
        changes["assignee"] = tip.assignee or ""
        _event(db, tip=tip, actor=actor.username, kind="assign", note=f"承办人：{tip.assignee or '（无）'}")
        if tip.assignee and tip.status == TipStatus.NEW.value and not status:
            status = TipStatus.ASSIGNED.value
    if status and status != tip.status:
        current = TipStatus(tip.status)
        target = next_state(TipStatus, TIP_TRANSITIONS, TIP_LABELS, current=tip.status, target=status, noun="线索",
                            error=TipError)  # fmt: skip
        tip.status, tip.status_since = target.value, utcnow()
        changes["status"] = target.value
        _event(db, tip=tip, actor=actor.username, kind="status", note=f"{TIP_LABELS[current]} → {TIP_LABELS[target]}")
    if note.strip():
        _event(db, tip=tip, actor=actor.username, kind="note", note=note.strip())
        changes["note"] = "added"
    if not changes:
        raise TipError("没有变更 nothing to change")
    audit.record(db, key=ctx.key, actor=actor, action="tip.triage", subject_type="market_tip", subject_id=tip.id,
                 detail=changes)
    return tip


def queue(db: Session, *, status: str | None = None, category: str | None = None, channel: str | None = None,
          limit: int = 300) -> list[MarketTip]:  # fmt: skip
    """Tips newest first; ``status='open'`` means every open state."""
    from fanzha.casework.market.enums import OPEN_TIPS

    stmt = select(MarketTip)
    if status == "open":
        stmt = stmt.where(MarketTip.status.in_([s.value for s in OPEN_TIPS]))
    elif status:
        stmt = stmt.where(MarketTip.status == status)
    if category:
        stmt = stmt.where(MarketTip.category == category)
    if channel:
        stmt = stmt.where(MarketTip.channel == channel)
    return list(db.execute(stmt.order_by(MarketTip.received_at.desc(), MarketTip.id.desc()).limit(limit)).scalars())


def get(db: Session, *, tip_id: int) -> MarketTip | None:
    return db.get(MarketTip, tip_id)


def timeline(db: Session, *, tip_id: int) -> list[TipEvent]:
    return list(db.execute(select(TipEvent).where(TipEvent.tip_id == tip_id).order_by(TipEvent.at, TipEvent.id))
                .scalars())  # fmt: skip


@dataclass(frozen=True)
class NumberLink:
    msisdn: str
    own_line: bool
    line_status: str | None
    alerts: int  # primary alerts on this number, any source
    case_id: int | None  # the case of this tip's alert, else of the latest alert
    other_tips: int  # other tips naming the number


def number_links(db: Session, *, tip_id: int) -> list[NumberLink]:
    out = []
    for link in db.execute(select(TipNumber).where(TipNumber.tip_id == tip_id).order_by(TipNumber.id)).scalars():
        line = db.get(Line, link.msisdn)
        alerts = db.execute(select(Alert.case_id).where(Alert.subject_type == "msisdn", Alert.subject_key == link.msisdn,
                                                        Alert.merged_into_id.is_(None))
                            .order_by(Alert.last_seen.desc())).scalars().all()  # fmt: skip
        own_alert = db.get(Alert, link.alert_id) if link.alert_id else None
        others = db.execute(select(func.count()).where(TipNumber.msisdn == link.msisdn, TipNumber.tip_id != tip_id)
                            ).scalar_one()  # fmt: skip
        out.append(NumberLink(msisdn=link.msisdn, own_line=link.own_line, line_status=line.status if line else None,
                              alerts=len(alerts), case_id=(own_alert.case_id if own_alert else None) or
                              next((c for c in alerts if c), None), other_tips=others))  # fmt: skip
    return out


def numbers_of(db: Session, *, tip_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if tip_ids:
        for tid, m in db.execute(select(TipNumber.tip_id, TipNumber.msisdn).where(TipNumber.tip_id.in_(tip_ids))):
            out.setdefault(tid, []).append(m)
    return out


def officers(db: Session) -> list[str]:
    """Usernames that may be assigned a tip: active accounts holding TIP_MANAGE."""
    from fanzha.casework.auth import service as auth_service
    from fanzha.casework.auth.enums import Permission, permissions_for

    return [u.username for u in auth_service.list_users(db)
            if u.is_active and Permission.TIP_MANAGE in permissions_for(r.role for r in u.roles)]  # fmt: skip
