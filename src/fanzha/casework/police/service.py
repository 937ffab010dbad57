"""Police query requests: validation, reading, and the result shown within the approved scope.

No state changes here (``flows.py`` changes state and writes the audit trail). ``result`` computes only the
granted scopes, masks everything unless the approval granted clear data, and refuses once the validity
period has passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from fanzha.casework.alerts.labels import detector_label, severity_label
from fanzha.casework.alerts.models import Alert
from fanzha.casework.cases.enums import STATE_LABELS, CaseState
from fanzha.casework.cases.models import Case, CaseLine
from fanzha.casework.context import aware, utcnow
from fanzha.casework.police import calls
from fanzha.casework.police.enums import (
    QUERY_STATUS_LABELS, SCOPE_LABELS, QueryStatus, Scope, SubjectType,
)  # fmt: skip
from fanzha.casework.police.models import PoliceQuery
from fanzha.casework.police.schemas import QueryOut, QueryResult, Section
from fanzha.casework.measures.enums import line_status_label
from fanzha.casework.onboarding.rules import line_type_label
from fanzha.casework.registry.models import Clerk, Line, Person, Shop
from fanzha.numbers import carrier_label
from fanzha.privacy import Protector, mask_id, mask_msisdn, mask_name, redact

MAX_LINES = 50  # lines under one ID shown at most
CALL_DAYS = 30


class QueryError(ValueError):
    """A request that cannot be honoured; the message is safe to show."""


def normalise_subject(subject_type: SubjectType, subject: str) -> tuple[str, str]:
    """(clear normal form, masked form) of a query subject, or QueryError saying what is wrong."""
    from fanzha.casework.onboarding import identity
    from fanzha.numbers import NumberError, parse_number

    if subject_type is SubjectType.ID_NO:
        try:
            number = identity.parse(subject).number
        except identity.InvalidId as exc:
            raise QueryError(f"证件号码无效：{exc}") from None
        return number, mask_id(number)
    try:
        number = parse_number(subject).number
    except NumberError as exc:
        raise QueryError(f"号码无效：{exc}") from None
    return number, mask_msisdn(number)


def scopes_of(value: str | None) -> list[Scope]:
    return [Scope(s) for s in (value or "").split(",") if s in Scope._value2member_map_]


def usable(q: PoliceQuery, *, now: datetime | None = None) -> bool:
    """Approved and within its validity period."""
    return (q.status == QueryStatus.APPROVED.value and q.valid_until is not None
            and aware(q.valid_until) > (now or utcnow()))  # fmt: skip


def status_label(q: PoliceQuery, *, now: datetime | None = None) -> str:
    if q.status == QueryStatus.APPROVED.value and not usable(q, now=now):
        return "已过期"
    return QUERY_STATUS_LABELS[QueryStatus(q.status)]


def present(q: PoliceQuery) -> QueryOut:
    return QueryOut(
        id=q.id, subject_type=q.subject_type, subject_masked=q.subject_masked, case_no=q.case_no,
        legal_basis=q.legal_basis, purpose=q.purpose, scopes_requested=[s.value for s in scopes_of(q.scopes_requested)],
        clear_requested=q.clear_requested, status=q.status, status_label=status_label(q), requested_by=q.requested_by,
        requested_at=q.requested_at, decided_by=q.decided_by, decided_at=q.decided_at, decision_note=q.decision_note,
        scopes_granted=[s.value for s in scopes_of(q.scopes_granted)], clear_granted=q.clear_granted,
        valid_until=q.valid_until, usable=usable(q),
    )  # fmt: skip


def get_query(db: Session, *, query_id: int, lock: bool = False) -> PoliceQuery | None:
    return db.get(PoliceQuery, query_id, with_for_update=lock)


def list_queries(db: Session, *, requested_by: str | None = None, status: str | None = None,
                 limit: int = 200) -> list[PoliceQuery]:  # fmt: skip
    stmt = select(PoliceQuery)
    if requested_by is not None:
        stmt = stmt.where(PoliceQuery.requested_by == requested_by)
    if status:
        stmt = stmt.where(PoliceQuery.status == status)
    return list(db.execute(stmt.order_by(PoliceQuery.id.desc()).limit(limit)).scalars())


@dataclass
class QueryCounts:
    requests: int
    approved: int
    refused: int
    pending: int


def query_stats(db: Session, *, since: datetime, until: datetime) -> QueryCounts:
    """Query requests received in [since, until), by outcome (for the KPI dashboard)."""
    rows = dict(db.execute(
        select(PoliceQuery.status, func.count()).where(PoliceQuery.requested_at >= since,
                                                       PoliceQuery.requested_at < until)
        .group_by(PoliceQuery.status)
    ).all())  # fmt: skip
    get = lambda s: int(rows.get(s.value, 0))  # noqa: E731
    return QueryCounts(requests=sum(int(v) for v in rows.values()), approved=get(QueryStatus.APPROVED),
                       refused=get(QueryStatus.REFUSED), pending=get(QueryStatus.PENDING))  # fmt: skip


# --- the result -----------------------------------------------------------------------------------

def mask_imei(imei: str) -> str:
    """Keep the TAC (device model) and the last two digits: ``35391110*****12``."""
    s = imei.strip()
    return s[:8] + "*" * max(len(s) - 10, 0) + s[-2:] if len(s) > 10 else "*" * len(s)


@dataclass
class _Subject:
    person: Person | None
    lines: list[Line]  # the lines the query is about (the number, or every line under the ID)


def _resolve(db: Session, q: PoliceQuery, clear_subject: str) -> _Subject:
    if q.subject_type == SubjectType.MSISDN.value:
        line = db.execute(select(Line).options(selectinload(Line.person)).where(Line.msisdn == clear_subject)
                          ).scalar_one_or_none()  # fmt: skip
        return _Subject(person=line.person if line else None, lines=[line] if line else [])
    person = db.execute(select(Person).where(Person.id_hash == q.subject_hash)).scalar_one_or_none()
    lines = [] if person is None else list(db.execute(
        select(Line).where(Line.person_id == person.id).order_by(Line.open_time, Line.msisdn).limit(MAX_LINES)
    ).scalars())  # fmt: skip
    return _Subject(person=person, lines=lines)


class _Shown:
    """Masks values unless the approval granted clear data."""

    def __init__(self, protector: Protector, clear: bool) -> None:
        self.protector, self.clear = protector, clear

    def msisdn(self, v: str | None) -> str:
        return (v or "") if self.clear else mask_msisdn(v)

    def imei(self, v: str) -> str:
        return v if self.clear else mask_imei(v)

    def name(self, enc: str | None, masked: str | None) -> str:
        if self.clear and enc:
            return self.protector.decrypt(enc)
        return masked or ""

    def id_no(self, person: Person) -> str:
        return self.protector.decrypt(person.id_enc) if self.clear else person.id_masked

    def plain_name(self, v: str | None) -> str:
        return (v or "") if self.clear else mask_name(v)


def _owner(subject: _Subject, shown: _Shown) -> Section:
    sec = Section(scope=Scope.OWNER.value, title=SCOPE_LABELS[Scope.OWNER],
                  columns=["姓名", "证件号码", "性别", "出生日期", "户籍地代码"])  # fmt: skip
    p = subject.person
    if p is None:
        sec.note = "登记数据中无此机主"
        return sec
    sex = {"M": "男", "F": "女"}.get(p.sex or "", "")
    sec.rows.append([shown.name(p.name_enc, p.name_masked), shown.id_no(p), sex,
                     p.birth_date.isoformat() if p.birth_date else "", p.division_code or ""])  # fmt: skip
    return sec


def _lines(db: Session, subject: _Subject, shown: _Shown) -> Section:
    sec = Section(scope=Scope.LINES.value, title=SCOPE_LABELS[Scope.LINES],
                  columns=["号码", "类型", "状态", "运营商", "开户时间"])  # fmt: skip
    if subject.person is None:
        sec.note = "登记数据中无此机主"
        return sec
    lines = db.execute(select(Line).where(Line.person_id == subject.person.id)
                       .order_by(Line.open_time, Line.msisdn).limit(MAX_LINES)).scalars()  # fmt: skip
    sec.rows = [[shown.msisdn(ln.msisdn), line_type_label(ln.line_type), line_status_label(ln.status),
                 carrier_label(ln.carrier), ln.open_time] for ln in lines]
    return sec


def _opening(db: Session, subject: _Subject, shown: _Shown) -> Section:
    sec = Section(scope=Scope.OPENING.value, title=SCOPE_LABELS[Scope.OPENING],
                  columns=["号码", "开户时间", "营业厅编号", "营业厅", "营业员编号", "营业员"])  # fmt: skip
    shops = {s.shop_id: s for s in db.execute(select(Shop).where(
        Shop.shop_id.in_([ln.shop_id for ln in subject.lines if ln.shop_id]))).scalars()}  # fmt: skip
    clerks = {c.clerk_id: c for c in db.execute(select(Clerk).where(
        Clerk.clerk_id.in_([ln.clerk_id for ln in subject.lines if ln.clerk_id]))).scalars()}  # fmt: skip
    for ln in subject.lines:
        shop, clerk = shops.get(ln.shop_id or ""), clerks.get(ln.clerk_id or "")
        sec.rows.append([shown.msisdn(ln.msisdn), ln.open_time, ln.shop_id or "", shop.name if shop and shop.name else "",
                         ln.clerk_id or "", shown.plain_name(clerk.name) if clerk and clerk.name else ""])  # fmt: skip
    return sec


def _calls(stores: Iterable[Path], subject: _Subject, shown: _Shown) -> Section:
    sec = Section(scope=Scope.CALLS.value, title=f"{SCOPE_LABELS[Scope.CALLS]}（每个号码最近 {CALL_DAYS} 天）",
                  columns=["号码", "首次", "末次", "通话", "主叫", "被叫", "接通", "不同对端", "通话时长中位数(秒)",
                           "夜间(0-6时)占比", "基站数", "最常联系对端(次数)"])  # fmt: skip
    for s in calls.summaries(stores, [ln.msisdn for ln in subject.lines], days=CALL_DAYS):
        peers = "；".join(f"{shown.msisdn(p)}({n})" for p, n in s.top_peers)
        sec.rows.append([shown.msisdn(s.msisdn), s.first, s.last, s.calls, s.outgoing, s.incoming, s.answered,
                         s.distinct_peers, s.median_duration_s if s.median_duration_s is not None else "",
                         f"{s.night_share:.1%}", s.cells, peers])  # fmt: skip
    if not sec.rows:
        sec.note = "话单库中无此号码的通话记录"
    return sec


def _devices(stores: Iterable[Path], subject: _Subject, shown: _Shown) -> Section:
    sec = Section(scope=Scope.DEVICES.value, title=SCOPE_LABELS[Scope.DEVICES],
                  columns=["号码", "IMEI", "机型代码(TAC)", "首次", "末次", "通话次数"])  # fmt: skip
    for d in calls.devices(stores, [ln.msisdn for ln in subject.lines]):
        sec.rows.append([shown.msisdn(d.msisdn), shown.imei(d.imei), d.imei[:8], d.first, d.last, d.calls])
    if not sec.rows:
        sec.note = "话单库中无此号码的设备记录"
    return sec


def _alerts(db: Session, subject: _Subject, shown: _Shown) -> Section:
    sec = Section(scope=Scope.ALERTS.value, title=SCOPE_LABELS[Scope.ALERTS],
                  columns=["号码", "告警", "得分", "等级", "事件时间", "原因", "案件", "案件状态"])  # fmt: skip
    numbers = [ln.msisdn for ln in subject.lines]
    if not numbers:
        return sec
    alerts = db.execute(select(Alert).where(Alert.subject_type == "msisdn", Alert.subject_key.in_(numbers),
                                            Alert.merged_into_id.is_(None))
                        .order_by(Alert.score.desc(), Alert.id).limit(100)).scalars().all()  # fmt: skip
    cases = {c.id: c for c in db.execute(select(Case).join(CaseLine, CaseLine.case_id == Case.id)
                                         .where(CaseLine.msisdn.in_(numbers))).scalars()}  # fmt: skip
    for a in alerts:
        case = cases.get(a.case_id or -1)
        sec.rows.append([shown.msisdn(a.subject_key), detector_label(a.detector), round(a.score, 3),
                         severity_label(a.severity), a.event_time,
                         redact(a.reasons)[:200], a.case_id or "",
                         STATE_LABELS.get(CaseState(case.state), case.state) if case else ""])  # fmt: skip
    if not sec.rows:
        sec.note = "无涉诈告警"
    return sec


def result(db: Session, *, q: PoliceQuery, protector: Protector, stores: Iterable[Path]) -> QueryResult:
    """The approved view of a query. Raises QueryError when it is not (or no longer) usable."""
    if q.status != QueryStatus.APPROVED.value:
        raise QueryError("该协查请求未获批准，无法查看结果")
    if not usable(q):
        raise QueryError("该协查请求已超过有效期，结果不再显示")
    shown = _Shown(protector, q.clear_granted)
    subject = _resolve(db, q, protector.decrypt(q.subject_enc))
    builders = {
        Scope.OWNER: lambda: _owner(subject, shown), Scope.LINES: lambda: _lines(db, subject, shown),
        Scope.OPENING: lambda: _opening(db, subject, shown), Scope.CALLS: lambda: _calls(stores, subject, shown),
        Scope.DEVICES: lambda: _devices(stores, subject, shown), Scope.ALERTS: lambda: _alerts(db, subject, shown),
    }  # fmt: skip
    granted = scopes_of(q.scopes_granted)
    sections = [builders[s]() for s in Scope if s in granted]  # fixed order, only what was granted
    if not subject.lines and subject.person is None:
        for sec in sections:
            sec.note = sec.note or "登记数据中无此查询对象"
    return QueryResult(query=present(q), clear=q.clear_granted, sections=sections)


def result_digest(res: QueryResult) -> dict:
    """What the audit trail keeps about a shown result: scopes and row counts, never the values."""
    return {"scopes": [s.scope for s in res.sections], "rows": {s.scope: len(s.rows) for s in res.sections},
            "clear": res.clear}  # fmt: skip


# --- clue batches: the KPI counts -------------------------------------------------------------------

@dataclass
class ClueStats:
    batches: int  # batches exported (handed over) in the period
    lines_sent: int  # lines in those batches
    arrests: int  # feedback recorded in the period
    devices: int
    cards: int


def clue_stats(db: Session, *, since: datetime, until: datetime) -> ClueStats:
    """Clue batches handed over in [since, until) and the police feedback recorded in it (for the KPIs)."""
    from fanzha.casework.police.models import ClueBatch, ClueFeedback

    sent = db.execute(select(func.count(), func.coalesce(func.sum(ClueBatch.line_count), 0))
                      .where(ClueBatch.exported_at >= since, ClueBatch.exported_at < until)).one()  # fmt: skip
    fb = db.execute(select(func.coalesce(func.sum(ClueFeedback.arrests), 0),
                           func.coalesce(func.sum(ClueFeedback.devices_seized), 0),
                           func.coalesce(func.sum(ClueFeedback.cards_seized), 0))
                    .where(ClueFeedback.recorded_at >= since, ClueFeedback.recorded_at < until)).one()  # fmt: skip
    return ClueStats(batches=int(sent[0]), lines_sent=int(sent[1]), arrests=int(fb[0]), devices=int(fb[1]),
                     cards=int(fb[2]))  # fmt: skip
