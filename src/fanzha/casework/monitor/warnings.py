"""Victim early warning (鹰眼-like): the operator's own subscribers a fraud line reached are warned.

When the monitor alerts a line as a fraud caller or SIM-bank member, the peers it called or texted in
the live window that are the operator's own lines (registry) go on the warning list — elderly owners
(≥ ``monitor_elderly_age``) and students first, then the longest calls — at most
``monitor_warning_max_per_line`` per line; a subscriber who opted out, or was warned within
``monitor_warning_dedup_days``, is left out. The list is handed to the adapter
(:mod:`.adapters`) after commit; a failed hand-over stays pending and goes again.

    people_warned(db, since, until)   # distinct subscribers handed a warning in [since, until)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from fanzha.casework.context import utcnow
from fanzha.casework.monitor.adapters import WarningAdapter, WarningPayload, load_warning_adapter
from fanzha.casework.monitor.models import VictimWarning, WarningOptOut
from fanzha.casework.registry.models import Line, Person
from fanzha.config import Settings

STUDENT = ("student", "学生")


@dataclass(frozen=True)
class Contact:
    fraud_msisdn: str
    peer: str
    contacts: int
    longest_s: int
    last_ts: int | None


def _age(birth: date | None, today: date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _chunks(items: list, n: int = 500):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def plan_warnings(db: Session, *, contacts: list[Contact], detectors: dict[str, str], settings: Settings,
                  now: datetime | None = None) -> int:
    """Add warnings for ``contacts`` of the alerted lines in ``detectors`` (msisdn → detector); returns
    how many were added. Runs in the caller's transaction (the monitor's alert transaction)."""
    now = now or utcnow()
    contacts = [c for c in contacts if c.fraud_msisdn in detectors and c.peer not in detectors]
    if not contacts:
        return 0
    peers = sorted({c.peer for c in contacts})
    owners: dict[str, tuple[date | None, str | None]] = {}
    for part in _chunks(peers):
        for msisdn, birth, occupation in db.execute(
                select(Line.msisdn, Person.birth_date, Person.occupation)
                .outerjoin(Person, Person.id == Line.person_id).where(Line.msisdn.in_(part))):
            owners[msisdn] = (birth, occupation)
    if not owners:
        return 0
    own = sorted(owners)
    blocked: set[str] = set()
    since = now - timedelta(days=settings.monitor_warning_dedup_days)
    for part in _chunks(own):
        blocked.update(db.execute(select(WarningOptOut.msisdn).where(WarningOptOut.msisdn.in_(part))).scalars())
        blocked.update(db.execute(select(VictimWarning.msisdn).where(
            VictimWarning.msisdn.in_(part), VictimWarning.created_at >= since)).scalars())
    today = now.astimezone(UTC).date()
    by_line: dict[str, list[tuple]] = {}
    for c in contacts:
        if c.peer not in owners or c.peer in blocked:
            continue
        birth, occupation = owners[c.peer]
        age = _age(birth, today)
        group = ("elderly" if age is not None and age >= settings.monitor_elderly_age
                 else "student" if (occupation or "").strip().lower() in STUDENT else "other")
        by_line.setdefault(c.fraud_msisdn, []).append((0 if group != "other" else 1, -c.longest_s, c, group))
    added = 0
    for fraud, rows in by_line.items():
        for prio, _, c, group in sorted(rows, key=lambda r: (r[0], r[1], r[2].peer))[: settings.monitor_warning_max_per_line]:
            if c.peer in blocked:  # warned for an earlier line in this very pass
                continue
            blocked.add(c.peer)
            last = datetime.fromtimestamp(c.last_ts, UTC) if c.last_ts is not None else None
            db.add(VictimWarning(msisdn=c.peer, fraud_msisdn=fraud, detector=detectors[fraud][:32], priority=prio,
                                 group=group, calls=int(c.contacts), longest_call_s=int(c.longest_s or 0),
                                 last_contact=last, status="pending", created_at=now))
            added += 1
    db.flush()
    return added


def hand_over(bind: Engine | sessionmaker, *, settings: Settings, adapter: WarningAdapter | None = None,
              limit: int = 5000) -> int:
    """Give pending warnings (best first) to the adapter; mark them handed only if it took them."""
    factory = bind if isinstance(bind, sessionmaker) else sessionmaker(bind=bind, expire_on_commit=False)
    with factory() as db:
        rows = list(db.execute(select(VictimWarning).where(VictimWarning.status == "pending")
                               .order_by(VictimWarning.priority, VictimWarning.longest_call_s.desc(), VictimWarning.id)
                               .limit(limit)).scalars())
        if not rows:
            return 0
        adapter = adapter or load_warning_adapter(settings)
        payload = [WarningPayload(warning_id=r.id, msisdn=r.msisdn, fraud_tail=r.fraud_msisdn[-4:], group=r.group,
                                  priority=r.priority, longest_call_s=r.longest_call_s) for r in rows]
        now = utcnow()
        try:
            adapter.send(payload)
        except Exception as exc:  # any channel failure: keep them pending, record why
            for r in rows:
                r.attempts += 1
                r.last_error = f"{type(exc).__name__}: {exc}"[:500]
            db.commit()
            return 0
        for r in rows:
            r.status, r.channel, r.handed_at = "handed", adapter.name[:32], now
            r.attempts += 1
        db.commit()
        return len(rows)


def opt_out(db: Session, *, msisdn: str, via: str = "sms", now: datetime | None = None) -> bool:
    """Stop warnings to ``msisdn`` (pending ones are withdrawn). True when newly opted out."""
    msisdn = msisdn.strip()
    if db.get(WarningOptOut, msisdn) is not None:
        return False
    db.add(WarningOptOut(msisdn=msisdn, via=via[:32], created_at=now or utcnow()))
    db.execute(update(VictimWarning).where(VictimWarning.msisdn == msisdn, VictimWarning.status == "pending")
               .values(status="opted_out"))
    db.flush()
    return True


def people_warned(db: Session, since: datetime, until: datetime) -> int:
    """Distinct subscribers whose warning was handed to a channel in [since, until)."""
    return int(db.execute(select(func.count(func.distinct(VictimWarning.msisdn))).where(
        VictimWarning.status == "handed", VictimWarning.handed_at >= since.astimezone(UTC),
        VictimWarning.handed_at < until.astimezone(UTC))).scalar_one())
