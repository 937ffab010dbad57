"""The checks of the counter gate. ``evaluate`` reads; it writes nothing (flows.submit_check stores the result).

Each finding is a (code, level, plain-Chinese text); the strictest level decides pass / escalate / refuse.
A check reads everything in one statement of indexed lookups, so it answers in milliseconds with millions of
lines loaded; the shop and clerk fraud shares (an aggregate over their lines) are cached for ``staff.cache_seconds``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import bindparam, func, select, true
from sqlalchemy.orm import Session

from fanzha.casework.blacklist import service as blacklist
from fanzha.casework.blacklist.models import BlacklistEntry
from fanzha.casework.onboarding import identity
from fanzha.casework.onboarding.crosscarrier import CARRIER_LABELS, OTHER_CARRIERS, CrossCarrierRegistry
from fanzha.casework.onboarding.enums import CheckStatus, Level
from fanzha.casework.onboarding.models import OnboardingCheck
from fanzha.casework.onboarding.rules import LINE_TYPE_LABELS, Rules
from fanzha.casework.onboarding.schemas import CarrierHolding, CheckRequest, Finding, HoldingsOut
from fanzha.casework.registry.models import Line, Person
from fanzha.db import core
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


@dataclass(frozen=True)
class Holdings:
    """Lines in use under one ID: here (the registry) and at the other carriers (一证通查 adapter). What the
    三查询 step shows and what the caps count: one object for both."""

    here: dict[str, int]
    elsewhere: dict[str, dict[str, int]]

    def of(self, line_type: str) -> tuple[int, int]:
        """(here, at the other carriers) for one line type."""
        return self.here.get(line_type, 0), sum(v.get(line_type, 0) for v in self.elsewhere.values())

    def present(self) -> HoldingsOut:
        rows = [CarrierHolding(carrier="本运营商", lines={t: n for t, n in self.here.items() if n},
                               total=sum(self.here.values()))]  # fmt: skip
        # The adapter answered: a carrier it names no lines for holds none.
        others = list(dict.fromkeys([*OTHER_CARRIERS, *self.elsewhere])) if self.elsewhere else []
        for c in others:
            v = self.elsewhere.get(c, {})
            rows.append(CarrierHolding(carrier=CARRIER_LABELS.get(c, c), lines={t: n for t, n in v.items() if n},
                                       total=sum(v.values())))  # fmt: skip
        total = sum(r.total for r in rows)
        parts = "，".join(f"{r.carrier} {r.total} 个" for r in rows)
        known = "" if self.elsewhere else "（其他运营商暂无查询结果）"
        return HoldingsOut(carriers=rows, total=total, text=f"一证通查：名下在用号码共{total}个（{parts}）{known}。")


def holdings(db: Session, *, gate: Gate, person_hash: str) -> Holdings:
    return Holdings(here=lines_in_use(db, person_hash=person_hash),
                    elsewhere=gate.cross_carrier.lines_elsewhere(person_hash=person_hash))  # fmt: skip


@dataclass
class Evaluation:
    findings: list[Finding]
    level: Level
    person_hash: str
    facts: identity.IdFacts | None
    requested: dict[str, int]
    holdings: Holdings | None = None  # None: the ID was invalid, nothing was looked up


def _f(code: str, level: Level, text: str) -> Finding:
    return Finding(code=code, level=level.name.lower(), text=text)


def requested_counts(req: CheckRequest) -> dict[str, int]:
    out: dict[str, int] = {}
    for ln in req.lines:
        out[ln.line_type] = out.get(ln.line_type, 0) + ln.count
    return out


# What a check reads, as ONE statement of one-row derived tables (five index lookups: blacklist person_hash,
# persons.id_hash, lines.person_id, onboarding_checks (person_hash, created_at) and (clerk, created_at)),
# built once per set of fraud statuses and then only re-bound. On PostgreSQL every statement is a round trip
# with its own client and server CPU; reading the ban, the person, their lines and the recent checks apart
# cost three of them.
_OTHER_SHOPS = (
    select(func.count(func.distinct(OnboardingCheck.shop_id)))
    .where(OnboardingCheck.person_hash == bindparam("person_hash"),
           OnboardingCheck.created_at >= bindparam("person_since"), OnboardingCheck.shop_id != bindparam("shop_id"))
).scalar_subquery()  # fmt: skip
# Other people this CLERK opened lines for in the group window: checks completed (notice signed) in the window.
# A refused check (a typo, a ban), one still under way, one walked away from and the person's own earlier checks
# are no group. Per clerk, not per shop: a clerk serves one customer at a time and the checklist with the signed
# notice takes minutes, so ordinary service cannot complete many in the window, however busy the shop; at a shop
# with six clerks three openings in 15 minutes are an ordinary morning (benchmarks/onboarding_group.py: a
# shop-wide count escalated 82 % of ordinary customers). Read from the most recent GROUP_SCAN such checks (a
# backward scan of the (clerk, created_at) index that stops early), bounded by creation time: a check completed
# in the window was made at most GROUP_OPEN_WITHIN before it. Only when all GROUP_SCAN rows came from too few
# people is the window counted in full.
GROUP_SCAN = 64
GROUP_OPEN_WITHIN = timedelta(hours=2)
_TOGETHER_FILTER = (OnboardingCheck.clerk == bindparam("clerk"),
                    OnboardingCheck.created_at >= bindparam("group_made_since"),
                    OnboardingCheck.status == CheckStatus.COMPLETED.value,
                    OnboardingCheck.completed_at >= bindparam("group_since"),
                    OnboardingCheck.person_hash != bindparam("person_hash"))  # fmt: skip
_LATEST_OTHERS = (
    select(OnboardingCheck.person_hash).where(*_TOGETHER_FILTER)
    .order_by(OnboardingCheck.created_at.desc()).limit(GROUP_SCAN).subquery()
)  # fmt: skip
_TOGETHER_ALL = select(func.count(func.distinct(OnboardingCheck.person_hash))).where(*_TOGETHER_FILTER)


@dataclass(frozen=True)
class Facts:
    """What the database knows about the person and the shop's recent checks, read in one statement."""

    ban: tuple[str, date, str | None] | None  # (case_no, expires_on, keep_msisdn) of the ban in force
    known: bool  # the ID is registered at this operator
    name_enc: str | None  # the registered name, encrypted
    active: dict[str, int]  # lines in use, by type
    fraud_lines: int  # lines shut down or otherwise marked as fraud-involved
    other_shops: int  # other shops that checked this person in the velocity window
    together: int  # other people this clerk completed an opening for in the group window
    together_at_least: bool  # ``together`` is a lower bound (the window holds more than GROUP_SCAN checks)


@lru_cache(maxsize=8)
def _facts_statement(fraud_statuses: frozenset[str]):
    """One row: joined one-row derived tables (the person and the ban may be absent: outer joins)."""
    h = bindparam("person_hash")
    in_use = Line.status.in_(ACTIVE_STATUSES)
    person = (
        select(Person.id, Person.name_enc,
               *(func.count(Line.msisdn).filter(in_use, Line.line_type == t).label(f"in_use_{t}") for t in LINE_TYPE_LABELS),
               func.count(Line.msisdn).filter(Line.status.in_(sorted(fraud_statuses))).label("fraud"))
        .select_from(Person).outerjoin(Line, Line.person_id == Person.id).where(Person.id_hash == h)
        .group_by(Person.id, Person.name_enc).subquery("person")
    )  # fmt: skip
    ban = blacklist.in_force(BlacklistEntry.case_no, BlacklistEntry.expires_on, BlacklistEntry.keep_msisdn).subquery("ban")
    group = (
        select(func.count(func.distinct(_LATEST_OTHERS.c.person_hash)).label("together"), func.count().label("scanned"))
        .select_from(_LATEST_OTHERS).subquery("grp")
    )  # fmt: skip
    return select(
        ban.c.case_no, ban.c.expires_on, ban.c.keep_msisdn, person.c.id, person.c.name_enc,
        *(person.c[f"in_use_{t}"] for t in LINE_TYPE_LABELS), person.c.fraud,
        _OTHER_SHOPS.label("other_shops"), group.c.together, group.c.scanned,
    ).select_from(group.outerjoin(person, true()).outerjoin(ban, true()))  # fmt: skip


def read_facts(db: Session, *, person_hash: str, shop_id: str | None, clerk: str, on: date, fraud_statuses,
               person_since: datetime, group_since: datetime, group_enough: int) -> Facts:  # fmt: skip
    """The check's lookups in one statement. ``together`` is exact below ``group_enough``."""
    params = {"person_hash": person_hash, "shop_id": shop_id or "", "clerk": clerk[:64], "on": on,
              "person_since": person_since, "group_since": group_since,
              "group_made_since": group_since - GROUP_OPEN_WITHIN}  # fmt: skip
    row = core(db).execute(_facts_statement(frozenset(fraud_statuses)), params).one()._mapping
    together, at_least = row["together"], row["scanned"] >= GROUP_SCAN
    if at_least and together < group_enough:
        together, at_least = core(db).execute(_TOGETHER_ALL, params).scalar_one(), False
    return Facts(
        ban=(row["case_no"], row["expires_on"], row["keep_msisdn"]) if row["case_no"] is not None else None,
        known=row["id"] is not None, name_enc=row["name_enc"],
        active={t: int(row[f"in_use_{t}"] or 0) for t in LINE_TYPE_LABELS}, fraud_lines=int(row["fraud"] or 0),
        other_shops=int(row["other_shops"] or 0), together=int(together or 0), together_at_least=at_least,
    )  # fmt: skip


def staff_share(db: Session, *, gate: Gate, column, value: str) -> tuple[int, int]:
    """(lines opened, lines later involved in fraud) for one shop or clerk, cached."""
    key = (column.key, value)
    hit = gate.staff_cache.get(key)
    now = time.monotonic()
    if hit and hit[0] > now:
        return hit[1]
    row = core(db).execute(
        select(func.count(), func.count().filter(Line.status.in_(sorted(gate.rules.fraud_statuses))))
        .where(column == value)
    ).one()  # fmt: skip
    result = (int(row[0]), int(row[1] or 0))
    gate.staff_cache[key] = (now + gate.rules.staff_cache_seconds, result)
    return result



def ban_finding(case_no: str, expires_on: date, keep_msisdn: str | None) -> Finding:
    """The refusal for a ban in force (the one wording, at the first check and at every later decision)."""
    kept = f"，仅保留号码 {mask_msisdn(keep_msisdn)}" if keep_msisdn else ""
    return _f("blacklist", Level.REFUSE,
              f"该证件在公安机关惩戒名单内（案号 {case_no}），{expires_on:%Y-%m-%d} 前不得新办电话卡{kept}。")  # fmt: skip


def cap_findings(rules: Rules, *, requested: dict[str, int], held: Holdings) -> list[Finding]:
    """The line caps: at this operator (national rule: refuse) and across carriers (一证通查: escalate)."""
    out: list[Finding] = []
    for line_type, want in requested.items():
        label = LINE_TYPE_LABELS[line_type]
        have, other = held.of(line_type)
        cap = rules.cap_per_operator.get(line_type)
        if cap is not None and have + want > cap:
            out.append(_f("cap_operator", Level.REFUSE,
                          f"该证件在我司已有{have}个{label}，再办{want}个将超过每人{cap}个的上限。"))  # fmt: skip
        cap_all = rules.cap_all_carriers.get(line_type)
        if cap_all is not None and have + other + want > cap_all:
            out.append(_f("cap_all_carriers", Level.ESCALATE,
                          f"一证通查：该证件在各运营商共有{have + other}个{label}，再办{want}个将超过{cap_all}个。"))  # fmt: skip
    return out


def lines_in_use(db: Session, *, person_hash: str) -> dict[str, int]:
    """The person's lines in use at this operator, by type (what the caps count)."""
    rows = core(db).execute(
        select(Line.line_type, func.count()).join(Person, Line.person_id == Person.id)
        .where(Person.id_hash == person_hash, Line.status.in_(ACTIVE_STATUSES)).group_by(Line.line_type)
    ).all()  # fmt: skip
    return {t: int(n) for t, n in rows}


def recheck(db: Session, *, gate: Gate, person_hash: str, requested: dict[str, int], now: datetime) -> list[Finding]:
    """The ban and the line caps as they stand NOW, for a check decided earlier: a check waits (for L2, for the
    checklist, for the signature) and a ban or other lines may arrive meanwhile. Every decision on a stored check
    (flows.review, flows.record_step, flows.sign_notice) goes through this."""
    findings: list[Finding] = []
    ban = blacklist.active_entry(db, person_hash=person_hash, on=now.date())
    if ban is not None:
        findings.append(ban_finding(ban.case_no, ban.expires_on, ban.keep_msisdn))
    findings += cap_findings(gate.rules, requested=requested, held=holdings(db, gate=gate, person_hash=person_hash))
    return findings


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

    found = read_facts(db, person_hash=person_hash, shop_id=shop_id, clerk=clerk, on=today,
                       fraud_statuses=rules.fraud_statuses,
                       person_since=now - timedelta(hours=rules.velocity_hours),
                       group_since=now - timedelta(minutes=rules.group_minutes), group_enough=rules.group_people - 1)

    # 2. Police blacklist: five-year ban, one kept line.
    if found.ban is not None:
        findings.append(ban_finding(*found.ban))

    # 3. The person and their lines at this operator.
    here = found.active
    if found.known:
        if found.name_enc:
            registered = gate.protector.decrypt(found.name_enc).strip()
            if registered and registered != request.name.strip():
                findings.append(_f("name_mismatch", Level.REFUSE, "姓名与本证件在我司登记的姓名不一致，请核对人证。"))
        if found.fraud_lines:
            findings.append(_f("prior_fraud", rules.prior_fraud_level,
                               f"该客户名下已有{found.fraud_lines}个号码因涉诈被关停。"))  # fmt: skip

    # 4. Caps: at this operator (national rule: refuse) and across carriers (一证通查: escalate).
    held = Holdings(here=here, elsewhere=gate.cross_carrier.lines_elsewhere(person_hash=person_hash))
    findings += cap_findings(rules, requested=requested, held=held)

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

    # 6. Velocity: this person at other shops; several people opened in quick succession by this clerk.
    if found.other_shops >= rules.velocity_shops:
        findings.append(_f("multi_shop", Level.ESCALATE,
                           f"该客户{rules.velocity_hours:g}小时内已在另外{found.other_shops}个营业厅办理或查询开卡。"))  # fmt: skip
    if found.together + 1 >= rules.group_people:
        findings.append(_f("group_opening", Level.ESCALATE,
                           f"{rules.group_minutes:g}分钟内本营业员已为{'至少' if found.together_at_least else ''}"
                           f"{found.together}名其他客户办结开卡，快于正常核验流程，疑似结伙批量办卡。"))  # fmt: skip

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
    return Evaluation(findings, level, person_hash, facts, requested, held)

