"""The checks of the counter gate. ``evaluate`` reads; it writes nothing (flows.submit_check stores the result).

Each finding is a (code, level, plain-Chinese text); the strictest level decides pass / escalate / refuse.
Every query here is one indexed lookup, so a check answers in milliseconds with millions of lines loaded;
the shop and clerk fraud shares (an aggregate over their lines) are cached for ``staff.cache_seconds``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from fanzha.casework.blacklist import service as blacklist
from fanzha.casework.onboarding import identity
from fanzha.casework.onboarding.crosscarrier import CrossCarrierRegistry
from fanzha.casework.onboarding.enums import Level
from fanzha.casework.onboarding.models import OnboardingCheck
from fanzha.casework.onboarding.rules import LINE_TYPE_LABELS, Rules
from fanzha.casework.onboarding.schemas import CheckRequest, Finding
from fanzha.casework.registry.models import Line, Person
from fanzha.privacy import Protector, mask_msisdn

ACTIVE_STATUSES = ("active", "suspended")  # lines in use: they count against the caps


@dataclass
class Gate:
    """Everything a check needs besides the database session (built once per app)."""

    rules: Rules
    cross_carrier: CrossCarrierRegistry
    protector: Protector
    key: bytes  # audit chain key
    staff_cache: dict = field(default_factory=dict)


@dataclass
class Evaluation:
    findings: list[Finding]
    level: Level
    person_hash: str
    facts: identity.IdFacts | None
    requested: dict[str, int]


def _f(code: str, level: Level, text: str) -> Finding:
    return Finding(code=code, level=level.name.lower(), text=text)


def requested_counts(req: CheckRequest) -> dict[str, int]:
    out: dict[str, int] = {}
    for ln in req.lines:
        out[ln.line_type] = out.get(ln.line_type, 0) + ln.count
    return out


# The lookups of a check, built once (each is then only re-bound: no expression building or cache-key
# computation per request). Each is an index lookup: persons.id_hash (unique), lines.person_id,
# onboarding_checks (person_hash, created_at) and (shop_id, created_at).
_PERSON_AND_LINES = (
    select(Person.name_enc, Line.line_type, Line.status, func.count(Line.msisdn))
    .select_from(Person).outerjoin(Line, Line.person_id == Person.id)
    .where(Person.id_hash == bindparam("person_hash"))
    .group_by(Person.id, Person.name_enc, Line.line_type, Line.status)
)  # fmt: skip
_OTHER_SHOPS = (
    select(func.count(func.distinct(OnboardingCheck.shop_id)))
    .where(OnboardingCheck.person_hash == bindparam("person_hash"),
           OnboardingCheck.created_at >= bindparam("person_since"), OnboardingCheck.shop_id != bindparam("shop_id"))
).scalar_subquery()  # fmt: skip
_TOGETHER = (
    select(func.count(func.distinct(OnboardingCheck.person_hash)))
    .where(OnboardingCheck.shop_id == bindparam("shop_id"), OnboardingCheck.created_at >= bindparam("group_since"),
           OnboardingCheck.person_hash != bindparam("person_hash"))
).scalar_subquery()  # fmt: skip
_RECENT = select(_OTHER_SHOPS, _TOGETHER)


def _person_and_lines(db: Session, person_hash: str, fraud_statuses) -> tuple[str | None, bool, dict[str, int], int]:
    """One query: (encrypted registered name, person known?, lines in use by type, fraud-involved lines)."""
    rows = db.execute(_PERSON_AND_LINES, {"person_hash": person_hash}).all()
    active: dict[str, int] = {}
    fraud = 0
    for _, line_type, status, n in rows:
        if status in ACTIVE_STATUSES:
            active[line_type] = active.get(line_type, 0) + n
        if status in fraud_statuses:
            fraud += n
    return (rows[0][0] if rows else None), bool(rows), active, fraud


def _recent(db: Session, *, person_hash: str, shop_id: str | None, person_since: datetime,
            group_since: datetime) -> tuple[int, int]:  # fmt: skip
    """One query: (other shops that checked this person since person_since, other people checked at this shop
    since group_since)."""
    row = db.execute(_RECENT, {"person_hash": person_hash, "shop_id": shop_id or "", "person_since": person_since,
                               "group_since": group_since}).one()  # fmt: skip
    return int(row[0] or 0), int(row[1] or 0)


def staff_share(db: Session, *, gate: Gate, column, value: str) -> tuple[int, int]:
    """(lines opened, lines later involved in fraud) for one shop or clerk, cached."""
    key = (column.key, value)
    hit = gate.staff_cache.get(key)
    now = time.monotonic()
    if hit and hit[0] > now:
        return hit[1]
    row = db.execute(
        select(func.count(), func.count().filter(Line.status.in_(sorted(gate.rules.fraud_statuses))))
        .where(column == value)
    ).one()  # fmt: skip
    result = (int(row[0]), int(row[1] or 0))
    gate.staff_cache[key] = (now + gate.rules.staff_cache_seconds, result)
    return result


def evaluate(db: Session, *, gate: Gate, request: CheckRequest, shop_id: str | None, clerk: str,
             now: datetime | None = None) -> Evaluation:  # fmt: skip
    rules = gate.rules
    now = now or datetime.now(UTC)
    today = now.date()
    requested = requested_counts(request)
    total_req = sum(requested.values())
    person_hash = gate.protector.hash(request.id_no)
    findings: list[Finding] = []

    # 1. The ID itself: an invalid number ends the check.
    try:
        facts = identity.parse(request.id_no, today=today)
    except identity.InvalidId as exc:
        findings.append(_f("id_invalid", Level.REFUSE, f"{exc}。请核对证件后重新录入。"))
        return Evaluation(findings, Level.REFUSE, person_hash, None, requested)
    age = facts.age(today)
    if age < rules.min_age:
        findings.append(_f("minor", Level.REFUSE, f"客户未满{rules.min_age}周岁（{age}岁），须由监护人按规定办理。"))

    # 2. Police blacklist: five-year ban, one kept line.
    entry = blacklist.active_entry(db, person_hash=person_hash, on=today)
    if entry is not None:
        kept = f"，仅保留号码 {mask_msisdn(entry.keep_msisdn)}" if entry.keep_msisdn else ""
        findings.append(_f("blacklist", Level.REFUSE,
                           f"该证件在公安机关惩戒名单内（案号 {entry.case_no}），{entry.expires_on:%Y-%m-%d} 前不得新办电话卡{kept}。"))  # fmt: skip

    # 3. The person and their lines at this operator.
    name_enc, known, here, fraud_lines = _person_and_lines(db, person_hash, rules.fraud_statuses)
    if known:
        if name_enc:
            registered = gate.protector.decrypt(name_enc).strip()
            if registered and registered != request.name.strip():
                findings.append(_f("name_mismatch", Level.REFUSE, "姓名与本证件在我司登记的姓名不一致，请核对人证。"))
        if fraud_lines:
            findings.append(_f("prior_fraud", rules.prior_fraud_level,
                               f"该客户名下已有{fraud_lines}个号码因涉诈被关停。"))  # fmt: skip

    # 4. Caps: at this operator (national rule: refuse) and across carriers (一证通查: escalate).
    elsewhere = gate.cross_carrier.lines_elsewhere(person_hash=person_hash)
    for line_type, want in requested.items():
        label = LINE_TYPE_LABELS[line_type]
        have = here.get(line_type, 0)
        cap = rules.cap_per_operator.get(line_type)
        if cap is not None and have + want > cap:
            findings.append(_f("cap_operator", Level.REFUSE,
                               f"该证件在我司已有{have}个{label}，再办{want}个将超过每人{cap}个的上限。"))  # fmt: skip
        cap_all = rules.cap_all_carriers.get(line_type)
        other = sum(v.get(line_type, 0) for v in elsewhere.values())
        if cap_all is not None and have + other + want > cap_all:
            findings.append(_f("cap_all_carriers", Level.ESCALATE,
                               f"一证通查：该证件在各运营商共有{have + other}个{label}，再办{want}个将超过{cap_all}个。"))  # fmt: skip

    # 5. Scenarios: bulk lines, age bands, purpose, home region.
    for line_type, want in requested.items():
        limit = rules.bulk.get(line_type)
        if limit and want >= limit:
            findings.append(_f("bulk", Level.ESCALATE,
                               f"一次申请{want}个{LINE_TYPE_LABELS[line_type]}，属批量办卡高风险场景。"))  # fmt: skip
    for band in rules.age_bands:
        if band.min_age <= age <= band.max_age:
            if total_req >= band.escalate_lines_at_least:
                findings.append(_f("age_band", Level.ESCALATE,
                                   f"{band.name}客户（{age}岁）一次申请{total_req}个号码，须二级稽核确认。"))  # fmt: skip
            findings.append(_f("reminder", Level.REMIND, band.reminder))
    purpose = request.purpose.strip()
    if rules.purpose_required and not purpose:
        findings.append(_f("purpose_missing", Level.ESCALATE, "未说明办卡用途，请询问并记录。"))
    hits = [w for w in rules.suspicious_words if w in purpose]
    if hits:
        findings.append(_f("purpose_suspicious", rules.purpose_level,
                           f"办卡用途含高风险说法（{'、'.join(hits)}），疑似为他人办卡或出租出售。"))  # fmt: skip
    if any(facts.division_code.startswith(r) for r in rules.high_risk_regions):
        findings.append(_f("high_risk_region", rules.region_level,
                           f"证件归属地（{facts.division_name or facts.division_code}）在高风险地区名单内。"))  # fmt: skip

    # 6. Velocity: this person at other shops; several people together here.
    other_shops, together = _recent(db, person_hash=person_hash, shop_id=shop_id,
                                    person_since=now - timedelta(hours=rules.velocity_hours),
                                    group_since=now - timedelta(minutes=rules.group_minutes))  # fmt: skip
    if other_shops >= rules.velocity_shops:
        findings.append(_f("multi_shop", Level.ESCALATE,
                           f"该客户{rules.velocity_hours:g}小时内已在另外{other_shops}个营业厅办理或查询开卡。"))  # fmt: skip
    if shop_id and together + 1 >= rules.group_people:
        findings.append(_f("group_opening", Level.ESCALATE,
                           f"{rules.group_minutes:g}分钟内本厅已有{together}名其他客户开卡，疑似结伙批量办卡。"))  # fmt: skip

    # 7. Shop and clerk risk: share of their lines later used for fraud.
    for column, value, who in ((Line.clerk_id, clerk, "营业员"), (Line.shop_id, shop_id, "营业厅")):
        if not value:
            continue
        total, fraud = staff_share(db, gate=gate, column=column, value=value)
        limit = rules.clerk_share if who == "营业员" else rules.shop_share
        if total >= rules.staff_min_lines and fraud / total >= limit:
            findings.append(_f(f"{'clerk' if who == '营业员' else 'shop'}_risk", rules.staff_level,
                               f"本{who}经办号码中{fraud / total:.1%}后来涉诈（{fraud}/{total}），请严格执行核验流程。"))  # fmt: skip

    level = max((Level.parse(f.level) for f in findings), default=Level.INFO)
    return Evaluation(findings, level, person_hash, facts, requested)

