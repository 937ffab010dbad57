"""Supervision KPIs computed from the casework tables. Each function takes a session and a :class:`KpiFilter`
and returns plain rows; :mod:`fanzha.supervision.providers` turns them into dashboard panels, the CLI prints them.

Definitions (also shown under each panel):
- a line is *shut* (处置) when the BSS confirmed a restrictive measure order (status ``done``; restrict,
  suspend, re-verify or shutdown — not restore); its day is the CST day of ``done_at``;
- the *detector* of a shut line is the detector of the highest-scoring alert on that line in the order's case
  (else the case's highest-scoring alert; orders without a case count under their source, e.g. police);
- *alert to measure* is from the first alert on the line in that case being received to the order's ``done_at``
  (alerts received after the measure do not count; a line without its own alert takes the case's first);
- the *backlog* is a snapshot at ``now`` (SLA logic of the cases and appeals services); the county filter
  applies, the time range does not (old overdue work must stay visible);
- the appeal *false-positive rate* is upheld appeals ÷ decided appeals (filed in the range): a rate among the
  owners who appealed, with a denominator of a few appeals; it is always shown with both counts;
- the *share of shut lines found wrong on appeal* is upheld appeals ÷ lines shut in the range: a floor (not
  every owner of a wrongly shut line appeals), shown with both counts too.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanzha.casework.alerts.models import Alert
from fanzha.casework.appeals import service as appeals_service
from fanzha.casework.appeals.enums import OPEN_APPEALS, AppealStatus
from fanzha.casework.appeals.models import Appeal
from fanzha.casework.cases import service as cases_service
from fanzha.casework.cases.enums import IN_WORK_STATES, STATE_LABELS, CaseState
from fanzha.casework.cases.models import Case, CaseEvent, CaseLine
from fanzha.casework.context import aware
from fanzha.casework.measures.enums import OPEN_ORDER_STATUSES, Measure, OrderStatus
from fanzha.casework.measures.models import MeasureOrder
from fanzha.supervision.filters import KpiFilter, county_lines, day_of

RESTRICTIVE = tuple(m.value for m in Measure if m != Measure.RESTORE)
LAG_BUCKETS = [(60, "≤1分钟"), (3600, "1–60分钟"), (4 * 3600, "1–4小时"), (24 * 3600, "4–24小时"), (None, ">24小时")]


# --- lines shut ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShutLine:
    msisdn: str
    day: date
    detector: str
    done_at: datetime
    lag_seconds: float | None  # first alert on the line (in the order's case) → done; None without an alert


def _county(stmt, column, flt: KpiFilter):
    return stmt.where(column.in_(county_lines(flt.county))) if flt.county else stmt


def shut_lines(db: Session, flt: KpiFilter) -> list[ShutLine]:
    """Each line shut in the range once (its first confirmed restrictive order in the range)."""
    stmt = (select(MeasureOrder.msisdn, MeasureOrder.case_id, MeasureOrder.source, MeasureOrder.done_at)
            .where(MeasureOrder.status == OrderStatus.DONE.value, MeasureOrder.measure.in_(RESTRICTIVE),
                   MeasureOrder.done_at >= flt.since, MeasureOrder.done_at < flt.until)
            .order_by(MeasureOrder.done_at, MeasureOrder.id))  # fmt: skip
    orders = db.execute(_county(stmt, MeasureOrder.msisdn, flt)).all()
    case_ids = sorted({o.case_id for o in orders if o.case_id is not None})
    alerts: dict[int, list] = defaultdict(list)
    for start in range(0, len(case_ids), 500):  # bounded IN lists
        chunk = case_ids[start:start + 500]
        for a in db.execute(select(Alert.case_id, Alert.subject, Alert.detector, Alert.score, Alert.received_at)
                            .where(Alert.case_id.in_(chunk))).all():  # fmt: skip
            alerts[a.case_id].append(a)
    seen: set[str] = set()
    out = []
    for o in orders:
        if o.msisdn in seen:
            continue
        seen.add(o.msisdn)
        done = aware(o.done_at)
        found = [a for a in alerts.get(o.case_id, []) if aware(a.received_at) <= done]  # what was known then
        own = [a for a in found if a.subject == o.msisdn]
        best = max(own or found, key=lambda a: a.score, default=None)
        first = min((aware(a.received_at) for a in (own or found)), default=None)
        out.append(ShutLine(msisdn=o.msisdn, day=day_of(done), detector=best.detector if best else o.source,
                            done_at=done, lag_seconds=(done - first).total_seconds() if first else None))  # fmt: skip
    return out


def shut_by_day_detector(lines: list[ShutLine]) -> dict[tuple[date, str], int]:
    return dict(Counter((ln.day, ln.detector) for ln in lines))


# --- backlog -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BacklogRow:
    key: str
    label: str
    open: int
    overdue: int


def backlog(db: Session, flt: KpiFilter, *, now: datetime) -> list[BacklogRow]:
    """Cases in each review state, primary alerts still awaiting a decision, open appeals and undelivered orders,
    each with how many are past their SLA deadline."""
    case_stmt = select(Case).where(Case.state.in_([s.value for s in IN_WORK_STATES]))  # 在办: as the case queue
    if flt.county:
        case_stmt = case_stmt.where(Case.id.in_(select(CaseLine.case_id).where(
            CaseLine.msisdn.in_(county_lines(flt.county)))))  # fmt: skip
    cases = list(db.execute(case_stmt).scalars())
    overdue_ids = {c.id for c in cases if cases_service.is_overdue(c, now=now)}
    rows = []
    for state in (CaseState.OPEN, CaseState.L1_VERIFIED, CaseState.AWAITING_L3):
        mine = [c for c in cases if c.state == state.value]
        rows.append(BacklogRow(f"cases_{state.value}", f"案件：{STATE_LABELS[state]}", len(mine),
                               sum(c.id in overdue_ids for c in mine)))  # fmt: skip
    # Alerts: primary alerts whose case still waits for review (their SLA is the case's).
    alert_stmt = (select(Alert.case_id).where(Alert.merged_into_id.is_(None))
                  .where(Alert.case_id.in_([c.id for c in cases]) if cases else Alert.id.is_(None)))  # fmt: skip
    alert_cases = list(db.execute(alert_stmt).scalars()) if cases else []
    rows.append(BacklogRow("alerts", "告警：待处理", len(alert_cases), sum(cid in overdue_ids for cid in alert_cases)))
    appeal_stmt = select(Appeal).where(Appeal.status.in_([s.value for s in OPEN_APPEALS]))
    open_appeals = list(db.execute(_county(appeal_stmt, Appeal.msisdn, flt)).scalars())
    rows.append(BacklogRow("appeals", "申诉：待决定", len(open_appeals),
                           sum(appeals_service.is_overdue(a, now=now) for a in open_appeals)))  # fmt: skip
    order_stmt = select(MeasureOrder.status).where(MeasureOrder.status.in_([s.value for s in OPEN_ORDER_STATUSES]))
    statuses = list(db.execute(_county(order_stmt, MeasureOrder.msisdn, flt)).scalars())
    rows.append(BacklogRow("orders", "处置指令：未执行", len(statuses),
                           sum(s == OrderStatus.FAILED.value for s in statuses)))  # fmt: skip
    return rows


# --- alert to measure ----------------------------------------------------------------------------

@dataclass
class LagStats:
    count: int = 0
    median_s: float | None = None
    p90_s: float | None = None
    within_1h: float | None = None  # share of lines shut within an hour of the alert
    buckets: list[tuple[str, int]] = field(default_factory=list)


def _quantile(sorted_values: list[float], q: float) -> float:
    # Nearest-rank on the sorted sample: the value an operator can point at (no interpolation).
    index = max(0, min(len(sorted_values) - 1, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[index]


def lag_stats(lags: list[float]) -> LagStats:
    values = sorted(v for v in lags if v is not None)
    if not values:
        return LagStats(buckets=[(label, 0) for _, label in LAG_BUCKETS])
    counts = Counter()
    for v in values:
        for limit, label in LAG_BUCKETS:
            if limit is None or v <= limit:
                counts[label] += 1
                break
    return LagStats(count=len(values), median_s=_quantile(values, 0.5), p90_s=_quantile(values, 0.9),
                    within_1h=sum(v <= 3600 for v in values) / len(values),
                    buckets=[(label, counts[label]) for _, label in LAG_BUCKETS])  # fmt: skip


def lag_by_detector(lines: list[ShutLine]) -> dict[str, LagStats]:
    groups: dict[str, list[float]] = defaultdict(list)
    for ln in lines:
        if ln.lag_seconds is not None:
            groups[ln.detector].append(ln.lag_seconds)
    return {det: lag_stats(v) for det, v in sorted(groups.items())}


# --- appeals and review outcomes -----------------------------------------------------------------

@dataclass
class AppealFigures:
    filed: int = 0
    decided: int = 0
    upheld: int = 0
    rejected: int = 0
    open: int = 0
    by_detector: dict[str, Counter] = field(default_factory=dict)  # detector → Counter(status)
    reviews_confirmed: int = 0  # cases decided in the range: measure approved
    reviews_dismissed: int = 0  # … dismissed as false positives at review
    shut: int = 0  # lines shut in the range (``shut_lines``)

    @property
    def false_positive_rate(self) -> float | None:
        """Upheld ÷ decided appeals: among the owners who appealed, not among the lines shut."""
        return self.upheld / self.decided if self.decided else None

    @property
    def shut_false_positive_share(self) -> float | None:
        """Upheld appeals ÷ lines shut in the range: a floor on the share of shutdowns that were wrong."""
        return self.upheld / self.shut if self.shut else None

    @property
    def dismissal_rate(self) -> float | None:
        total = self.reviews_confirmed + self.reviews_dismissed
        return self.reviews_dismissed / total if total else None


def case_detectors(db: Session, case_ids) -> dict[int, str]:
    """The detector of each case's highest-scoring alert."""
    ids = sorted({c for c in case_ids if c is not None})
    out: dict[int, tuple[float, str]] = {}
    for start in range(0, len(ids), 500):
        for cid, det, score in db.execute(select(Alert.case_id, Alert.detector, Alert.score)
                                          .where(Alert.case_id.in_(ids[start:start + 500]))).all():  # fmt: skip
            if cid not in out or score > out[cid][0]:
                out[cid] = (score, det)
    return {cid: det for cid, (_, det) in out.items()}


def appeal_figures(db: Session, flt: KpiFilter) -> AppealFigures:
    stmt = select(Appeal.status, Appeal.case_id).where(Appeal.filed_at >= flt.since, Appeal.filed_at < flt.until)
    appeals = db.execute(_county(stmt, Appeal.msisdn, flt)).all()
    detectors = case_detectors(db, [a.case_id for a in appeals])
    fig = AppealFigures(filed=len(appeals))
    for status, case_id in appeals:
        det = detectors.get(case_id, "no_case")
        fig.by_detector.setdefault(det, Counter())[status] += 1
        if status == AppealStatus.UPHELD.value:
            fig.upheld += 1
        elif status == AppealStatus.REJECTED.value:
            fig.rejected += 1
        else:
            fig.open += 1
    fig.decided = fig.upheld + fig.rejected
    fig.shut = len(shut_lines(db, flt))
    # Review outcomes: the last decision (to actioned or dismissed) of each case inside the range.
    ev = (select(CaseEvent.case_id, CaseEvent.to_state, CaseEvent.at, CaseEvent.id)
          .where(CaseEvent.to_state.in_([CaseState.ACTIONED.value, CaseState.DISMISSED.value]),
                 CaseEvent.at >= flt.since, CaseEvent.at < flt.until))  # fmt: skip
    if flt.county:
        ev = ev.where(CaseEvent.case_id.in_(select(CaseLine.case_id).where(CaseLine.msisdn.in_(county_lines(flt.county)))))
    last: dict[int, tuple] = {}
    for cid, to_state, at, eid in db.execute(ev).all():
        if cid not in last or (aware(at), eid) > last[cid][:2]:
            last[cid] = (aware(at), eid, to_state)
    for _, _, to_state in last.values():
        if to_state == CaseState.ACTIONED.value:
            fig.reviews_confirmed += 1
        else:
            fig.reviews_dismissed += 1
    return fig


# --- year over year by shop and clerk ------------------------------------------------------------

def fraud_statuses() -> frozenset[str]:
    from fanzha.casework.onboarding.rules import load_rules

    return load_rules().fraud_statuses


def yoy(db: Session, flt: KpiFilter, *, actor, by: str, limit: int = 20):
    """(years, rows) of the onboarding accountability ranking, limited to the county's shops."""
    from fanzha.casework.onboarding.accountability import ranking

    return ranking(db, actor=actor, by=by, fraud_statuses=fraud_statuses(), years=2, limit=limit, region=flt.county)

