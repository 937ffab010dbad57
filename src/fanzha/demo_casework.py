"""The demo's casework week, replayed on the casework clock (:func:`fanzha.casework.context.replay_clock`).

1. **Inbox**: the detector's alerts arrive in hourly batches, in the hour after their event time (24×7
   monitoring); auto-suspension orders are executed by the BSS two minutes later.
2. **Review** (三级稽核) by the demo reviewer accounts, one person per level: L1 10–50 min after the case was
   opened, L2 0.5–3 h later, L3 (shutdowns, many lines) 1–6 h after that; orders executed two minutes after
   approval. Decisions follow the simulator's ground truth (``labels.csv``) as a careful reviewer would reach
   them: all subject lines ordinary → dismissed at L1 as a false positive; otherwise verified and approved
   (suspension; shutdown for SIM-bank lines, which needs L3). A share of the cases is left in the L1 queue, and
   a step that would fall after the present is not taken — so the backlog shows open and overdue work.
3. **Appeals**: the owner of a restricted line re-verifies at the counter and the appeal is upheld (the line
   is restored); a second appeal fails re-verification and is rejected.

The clock never runs past the present. Audit events keep the wall clock (they record when the demo ran).
"""

from __future__ import annotations

import csv
import heapq
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from fanzha.casework.auth import service as auth_service
from fanzha.casework.auth.principal import Principal
from fanzha.casework.context import aware, replay_clock, work_context
from fanzha.config import Settings
from fanzha.db import engine_for, session_scope

OPEN_SHARE = 0.2  # cases deliberately left in the L1 queue
EXECUTE = timedelta(minutes=2)  # BSS turnaround


@dataclass
class InboxSummary:
    batches: int = 0
    imported: int = 0
    cases: set[int] = field(default_factory=set)
    orders: int = 0


@dataclass
class ReviewSummary:
    verified: int = 0
    approved: int = 0
    escalated_l3: int = 0
    dismissed: int = 0
    left_open: int = 0
    orders_sent: int = 0
    appeals: dict[str, str] = field(default_factory=dict)  # masked msisdn → outcome


def _batches(alerts_csv: Path, folder: Path, *, now: datetime) -> list[tuple[datetime, Path]]:
    """Split the detector's alerts by the hour after their event time: [(arrival time, chunk file)]."""
    with open(alerts_csv, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        groups: dict[datetime, list[dict]] = defaultdict(list)
        for row in reader:
            try:
                at = datetime.fromisoformat(row["event_time"].strip())
                at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
                arrival = at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1, minutes=5)
            except (KeyError, ValueError):
                arrival = now  # no usable time: it arrives now (a bad row is quarantined by the importer)
            groups[min(arrival, now)].append(row)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for arrival in sorted(groups):
        path = folder / f"alerts-{arrival:%Y%m%dT%H%M}.csv"
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=header)
            writer.writeheader()
            writer.writerows(groups[arrival])
        out.append((arrival, path))
    return out


def _people(db) -> dict[str, Principal]:
    out = {}
    for name in ("demo_reviewer_l1", "demo_reviewer_l2", "demo_reviewer_l3", "demo_clerk"):
        user = auth_service.get_user(db, username=name)
        if user is None:
            raise RuntimeError(f"demo account {name} missing: create the demo accounts first")
        out[name] = auth_service.principal_for(user, via="cli")
    return out


def _fraud_lines(labels_csv: Path) -> dict[str, str]:
    with open(labels_csv, encoding="utf-8", newline="") as fh:
        return {r["msisdn"]: r["label"] for r in csv.DictReader(fh) if r["label"] != "normal"}


class _Week:
    """Events in time order: alert batches arrive, reviewers act on what has arrived by then."""

    def __init__(self, settings: Settings, labels_csv: Path, seed: int) -> None:
        self.settings, self.engine = settings, engine_for(settings.db_url)
        self.ctx = work_context(settings)
        self.fraud = _fraud_lines(labels_csv)
        self.rng = random.Random(seed)
        self.now = datetime.now(UTC)
        self.events: list[tuple[datetime, int, str, object]] = []
        self.seq = 0
        self.seen_cases: set[int] = set()
        self.inbox, self.review = InboxSummary(), ReviewSummary()
        with session_scope(self.engine) as db:
            self.people = _people(db)

    def push(self, at: datetime, kind: str, payload) -> None:
        if at > self.now:  # the present: what would happen later has not happened yet
            if kind != "batch":
                self.review.left_open += kind == "l1"
            return
        self.seq += 1
        heapq.heappush(self.events, (at, self.seq, kind, payload))

    def run(self, batches: list[tuple[datetime, Path]], progress=None) -> None:
        for arrival, path in batches:
            self.push(arrival, "batch", path)
        if progress:
            progress.total(len(batches))
        while self.events:
            at, _, kind, payload = heapq.heappop(self.events)
            with replay_clock(at):
                getattr(self, f"_on_{kind}")(at, payload)
            if progress and kind == "batch":
                progress.advance()

    def _dispatch(self, at: datetime) -> int:
        from fanzha.casework.measures.dispatch import dispatch_orders

        with replay_clock(min(at + EXECUTE, self.now)):
            return dispatch_orders(self.engine, settings=self.settings).sent

    def _on_batch(self, at: datetime, path: Path) -> None:
        from fanzha.casework.alerts.importer import import_alerts
        from fanzha.casework.cases.models import Case

        got = import_alerts(self.engine, path=path, actor=Principal.system("detector"), settings=self.settings)
        self.inbox.batches += 1
        self.inbox.imported += got.imported
        self.inbox.cases |= got.cases
        self.inbox.orders += got.orders
        if got.orders:
            self._dispatch(at)
        with session_scope(self.engine) as db:
            new = sorted(c for c in got.cases if c not in self.seen_cases and db.get(Case, c).state == "open")
        for case_id in new:
            self.seen_cases.add(case_id)
            if self.rng.random() < OPEN_SHARE:
                self.review.left_open += 1
                continue
            self.push(at + timedelta(minutes=self.rng.uniform(10, 50)), "l1", case_id)

    def _transition(self, case_id: int, action: str, actor: str, note: str, measure: str | None = None):
        from fanzha.casework.cases import flows

        with session_scope(self.engine) as db:
            return flows.transition(db, ctx=self.ctx, case_id=case_id, action=action, actor=self.people[actor],
                                    note=note, measure=measure).state  # fmt: skip

    def _labels(self, case_id: int) -> set[str]:
        from fanzha.casework.cases import service

        with session_scope(self.engine) as db:
            return {self.fraud.get(m, "normal") for m in service.subject_msisdns(db, case_id=case_id)}

    def _on_l1(self, at: datetime, case_id: int) -> None:
        labels = self._labels(case_id)
        if not labels:  # a cell-only case waits for an analyst to name its lines
            self.review.left_open += 1
        elif labels == {"normal"}:
            self._transition(case_id, "l1_dismiss", "demo_reviewer_l1", "核实通话对象为正常业务往来，证据不足")
            self.review.dismissed += 1
            self.review.orders_sent += self._dispatch(at)  # restores of lines suspended before review
        else:
            self._transition(case_id, "l1_verify", "demo_reviewer_l1", "话单特征与告警一致，证据属实")
            self.review.verified += 1
            self.push(at + timedelta(hours=self.rng.uniform(0.5, 3)), "l2", case_id)

    def _on_l2(self, at: datetime, case_id: int) -> None:
        measure = "shutdown" if "simbox" in self._labels(case_id) else "suspend"
        state = self._transition(case_id, "l2_approve", "demo_reviewer_l2", "同意处置", measure=measure)
        if state == "awaiting_l3":
            self.review.escalated_l3 += 1
            self.push(at + timedelta(hours=self.rng.uniform(1, 6)), "l3", case_id)
        else:
            self.review.approved += 1
            self.review.orders_sent += self._dispatch(at)

    def _on_l3(self, at: datetime, case_id: int) -> None:
        self._transition(case_id, "l3_approve", "demo_reviewer_l3", "高影响处置（关停/多号码），同意")
        self.review.approved += 1
        self.review.orders_sent += self._dispatch(at)


def replay_week(*, settings: Settings, alerts_csv: Path, labels_csv: Path, seed: int = 1,
                progress=None) -> tuple[InboxSummary, ReviewSummary]:  # fmt: skip
    """The inbox and the review, replayed in time order (see the module docstring); then the appeals."""
    week = _Week(settings, labels_csv, seed)
    week.run(_batches(alerts_csv, alerts_csv.parent / "replay", now=week.now), progress=progress)
    week.review.appeals = _appeals(settings=settings, fraud=week.fraud, people=week.people, now=week.now,
                                   summary=week.review)  # fmt: skip
    return week.inbox, week.review


def _appeals(*, settings: Settings, fraud: dict[str, str], people, now: datetime, summary) -> dict[str, str]:
    """Two owners of lines restricted by the review appeal three hours ago: one upheld, one rejected."""
    from fanzha.casework.appeals import flows as appeals
    from fanzha.casework.cases.models import Case
    from fanzha.casework.measures.dispatch import dispatch_orders
    from fanzha.casework.measures.models import MeasureOrder
    from fanzha.casework.registry.models import Line
    from fanzha.privacy import mask_msisdn

    engine = engine_for(settings.db_url)
    ctx = work_context(settings)
    filed = now - timedelta(hours=3)
    out: dict[str, str] = {}
    with replay_clock(filed) as clock, session_scope(engine) as db:
        restricted = list(db.execute(
            select(Line).join(MeasureOrder, MeasureOrder.msisdn == Line.msisdn).join(Case, Case.id == MeasureOrder.case_id)
            .where(Line.status.in_(["suspended", "restricted"]), MeasureOrder.status == "done",
                   MeasureOrder.done_at < filed - timedelta(hours=1))
            .order_by(Case.max_score, Line.msisdn).distinct()
        ).scalars())  # fmt: skip
        # Upheld: preferably a line the simulator says is ordinary (a true false positive), else the weakest case.
        candidates = sorted(restricted, key=lambda ln: ln.msisdn in fraud)
        if not candidates:
            return out
        upheld_line = candidates[0]
        rejected_line = next((ln for ln in restricted if ln.msisdn in fraud and ln is not upheld_line), None)
        clerk = people["demo_clerk"]
        appeal = appeals.file_appeal(db, ctx=ctx, msisdn=upheld_line.msisdn, channel="counter", actor=clerk,
                                     statement="本人正常使用，号码用于个体经营联系客户，申请恢复")  # fmt: skip
        # The owner shows the ID card at the counter (the demo reads it back from the registry to play the owner).
        id_no = ctx.protector.decrypt(upheld_line.person.id_enc) if upheld_line.person else ""
        clock.set(filed + timedelta(minutes=30))
        appeals.record_reverification(db, ctx=ctx, appeal_id=appeal.id, id_no=id_no, person_present=True,
                                      purpose="个体经营联系客户", actor=clerk)  # fmt: skip
        clock.set(filed + timedelta(hours=1))
        if appeal.status == "reverified":
            appeals.decide(db, ctx=ctx, appeal_id=appeal.id, upheld=True, actor=people["demo_reviewer_l2"],
                           note="本人到场核验通过，用途合理，申诉成立")  # fmt: skip
        out[mask_msisdn(upheld_line.msisdn)] = appeal.status
        if rejected_line is not None:
            second = appeals.file_appeal(db, ctx=ctx, msisdn=rejected_line.msisdn, channel="counter", actor=clerk,
                                         statement="号码被停机，申请恢复")  # fmt: skip
            appeals.record_reverification(db, ctx=ctx, appeal_id=second.id, id_no="", person_present=False,
                                          purpose="未说明", actor=clerk)  # fmt: skip
            appeals.decide(db, ctx=ctx, appeal_id=second.id, upheld=False, actor=people["demo_reviewer_l3"],
                           note="机主未到场、证件不符，维持停机")  # fmt: skip
            out[mask_msisdn(rejected_line.msisdn)] = second.status
    with replay_clock(filed + timedelta(hours=1) + EXECUTE):
        summary.orders_sent += dispatch_orders(engine, settings=settings).sent
    return out
