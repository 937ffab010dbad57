"""Clue batches (线索批次), reading side: what can be selected, what a selection covers, lists and details.

State changes (create, export, feedback) are in ``clue_flows.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from fanzha.casework.alerts.labels import subject_type_label
from fanzha.casework.alerts.models import Alert
from fanzha.casework.alerts.service import LINE_KEYS, _values
from fanzha.casework.cases.enums import STATE_LABELS, CaseState
from fanzha.casework.cases.models import Case, CaseLine
from fanzha.casework.cases import service as cases_service
from fanzha.casework.cases.present import case_title
from fanzha.casework.police.enums import BATCH_STATUS_LABELS, BatchStatus, SourceKind
from fanzha.casework.police.models import ClueBatch, ClueBatchFile, ClueBatchLine, ClueFeedback
from fanzha.casework.police.schemas import BatchFileOut, BatchOut
from fanzha.casework.registry.models import Line
from fanzha.privacy import redact

SIMBOX = "simbox"


class ClueError(ValueError):
    """A batch request that cannot be honoured; the message is safe to show."""


@dataclass
class Picked:
    msisdn: str
    kind: SourceKind
    ref: str
    case_id: int | None = None
    group: str = ""
    sources: list[str] = field(default_factory=list)


def resolve_selection(db: Session, *, case_ids: list[int], simbank_alert_ids: list[int],
                      msisdns: list[str]) -> list[Picked]:  # fmt: skip
    """Every line the selection covers, once, in selection order (cases, then SIM-bank groups, then numbers).
    A line reached twice keeps its first source and lists the others."""
    from fanzha.numbers import NumberError, parse_number

    picked: dict[str, Picked] = {}

    def add(p: Picked) -> None:
        label = f"{p.kind.value}:{p.ref}" if p.ref else p.kind.value
        if p.msisdn in picked:
            picked[p.msisdn].sources.append(label)
        else:
            p.sources.append(label)
            picked[p.msisdn] = p

    case_ids = list(dict.fromkeys(case_ids))
    found_cases = set(db.execute(select(Case.id).where(Case.id.in_(case_ids))).scalars()) if case_ids else set()
    missing = [c for c in case_ids if c not in found_cases]
    if missing:
        raise ClueError("案件不存在：" + "、".join(map(str, missing)))
    for cid in case_ids:
        for m in db.execute(select(CaseLine.msisdn).where(CaseLine.case_id == cid).order_by(CaseLine.id)).scalars():
            add(Picked(m, SourceKind.CASE, str(cid), case_id=cid))
    for aid in dict.fromkeys(simbank_alert_ids):
        alert = db.get(Alert, aid)
        if alert is None or alert.detector != SIMBOX:
            raise ClueError(f"猫池设备组 {aid} 不存在（须为 simbox 告警）")
        members = [m for m in _values(json.loads(alert.evidence or "{}"), LINE_KEYS) if m.isdigit()]
        if alert.subject_type == "msisdn":
            members = [alert.subject_key, *members]
        for m in dict.fromkeys(members):
            add(Picked(m, SourceKind.SIMBANK, str(aid), case_id=alert.case_id,
                       group=f"{alert.subject_type}:{alert.subject}"))  # fmt: skip
    bad, numbers = [], []
    for raw in msisdns:
        if not raw.strip():
            continue
        try:
            numbers.append(parse_number(raw).number)
        except NumberError:
            bad.append(redact(raw.strip())[:24])
    if bad:
        raise ClueError("号码格式无效：" + "、".join(bad[:10]))
    known = set(db.execute(select(Line.msisdn).where(Line.msisdn.in_(numbers))).scalars()) if numbers else set()
    unknown = [n for n in numbers if n not in known]
    if unknown:
        from fanzha.privacy import mask_msisdn

        raise ClueError("以下号码不在本网登记数据中：" + "、".join(mask_msisdn(n) for n in unknown[:10]))
    for n in numbers:
        add(Picked(n, SourceKind.LINE, ""))
    if not picked:
        raise ClueError("请至少选择一个案件、猫池设备组或号码")
    return list(picked.values())


def snapshot(db: Session, picks: list[Picked]) -> dict[str, dict]:
    """The evidence frozen into the batch for each line: registry facts, owner (masked), its alerts."""
    numbers = [p.msisdn for p in picks]
    lines = {ln.msisdn: ln for ln in db.execute(
        select(Line).options(selectinload(Line.person)).where(Line.msisdn.in_(numbers))).scalars()}  # fmt: skip
    alerts: dict[str, list[dict]] = {}
    for a in db.execute(select(Alert).where(Alert.subject_type == "msisdn", Alert.subject_key.in_(numbers),
                                            Alert.merged_into_id.is_(None)).order_by(Alert.score.desc(), Alert.id)
                        ).scalars():  # fmt: skip
        alerts.setdefault(a.subject_key, []).append(_alert(a))
    for p in picks:  # a SIM-bank group's own alert is evidence for each member line
        if p.kind is SourceKind.SIMBANK:
            a = db.get(Alert, int(p.ref))
            alerts.setdefault(p.msisdn, []).append(_alert(a))
    out = {}
    for p in picks:
        ln = lines.get(p.msisdn)
        person = ln.person if ln else None
        out[p.msisdn] = {
            "line": {"type": ln.line_type, "status": ln.status, "carrier": ln.carrier or "",
                     "open_time": ln.open_time.isoformat() if ln.open_time else None, "shop_id": ln.shop_id or "",
                     "clerk_id": ln.clerk_id or ""} if ln else {},
            "owner": {"name": person.name_masked or "", "id": person.id_masked} if person else {},
            "alerts": alerts.get(p.msisdn, []), "group": p.group, "sources": p.sources,
        }  # fmt: skip
    return out


def _alert(a: Alert) -> dict:
    try:
        evidence = {k: v for k, v in json.loads(a.evidence or "{}").items() if k != "traffic"}
    except ValueError:
        evidence = {}
    return {"alert_id": a.id, "detector": a.detector, "score": round(a.score, 4), "severity": a.severity,
            "event_time": a.event_time.isoformat() if a.event_time else None, "reasons": redact(a.reasons)[:300],
            "evidence": evidence}  # fmt: skip


# --- lists ---------------------------------------------------------------------------------------

def candidate_cases(db: Session, *, limit: int = 100) -> list[dict]:
    """Cases worth handing over (actioned, closed, or in review), newest first, with their line counts."""
    wanted = [CaseState.ACTIONED.value, CaseState.CLOSED.value, CaseState.OPEN.value, CaseState.L1_VERIFIED.value,
              CaseState.AWAITING_L3.value]  # fmt: skip
    rows = db.execute(
        select(Case, func.count(CaseLine.id)).join(CaseLine, CaseLine.case_id == Case.id, isouter=True)
        .where(Case.state.in_(wanted)).group_by(Case.id).order_by(Case.id.desc()).limit(limit)
    ).all()  # fmt: skip
    firsts = cases_service.first_alerts(db, case_ids=[c.id for c, _ in rows])  # titles as the case queue shows them
    return [{"id": c.id, "title": redact(case_title(c, firsts.get(c.id))), "state": STATE_LABELS[CaseState(c.state)],
             "lines": n, "score": round(c.max_score, 3)} for c, n in rows]  # fmt: skip


def candidate_simbanks(db: Session, *, limit: int = 100) -> list[dict]:
    rows = db.execute(select(Alert).where(Alert.detector == SIMBOX, Alert.merged_into_id.is_(None))
                      .order_by(Alert.score.desc(), Alert.id).limit(limit)).scalars()  # fmt: skip
    out = []
    for a in rows:
        members = _values(json.loads(a.evidence or "{}"), LINE_KEYS)
        out.append({"id": a.id, "subject": f"{subject_type_label(a.subject_type)} {a.subject}", "lines": len(members),
                    "score": round(a.score, 3), "reasons": redact(a.reasons)[:120]})  # fmt: skip
    return out


def get_batch(db: Session, *, batch_id: int, lock: bool = False) -> ClueBatch | None:
    return db.get(ClueBatch, batch_id, with_for_update=lock)


def by_number(db: Session, *, batch_no: str) -> ClueBatch | None:
    return db.execute(select(ClueBatch).where(ClueBatch.batch_no == batch_no.strip().upper())).scalar_one_or_none()


def list_batches(db: Session, *, limit: int = 200) -> list[ClueBatch]:
    return list(db.execute(select(ClueBatch).order_by(ClueBatch.id.desc()).limit(limit)).scalars())


def batch_lines(db: Session, *, batch_id: int) -> list[ClueBatchLine]:
    return list(db.execute(select(ClueBatchLine).where(ClueBatchLine.batch_id == batch_id)
                           .order_by(ClueBatchLine.id)).scalars())  # fmt: skip


def batch_files(db: Session, *, batch_id: int) -> list[ClueBatchFile]:
    return list(db.execute(select(ClueBatchFile).where(ClueBatchFile.batch_id == batch_id)
                           .order_by(ClueBatchFile.id)).scalars())  # fmt: skip


def feedback(db: Session, *, batch_id: int) -> list[ClueFeedback]:
    return list(db.execute(select(ClueFeedback).where(ClueFeedback.batch_id == batch_id)
                           .order_by(ClueFeedback.recorded_at, ClueFeedback.id)).scalars())  # fmt: skip


def present(db: Session, batch: ClueBatch, *, with_files: bool = False) -> BatchOut:
    totals = db.execute(select(func.coalesce(func.sum(ClueFeedback.arrests), 0),
                               func.coalesce(func.sum(ClueFeedback.devices_seized), 0),
                               func.coalesce(func.sum(ClueFeedback.cards_seized), 0))
                        .where(ClueFeedback.batch_id == batch.id)).one()  # fmt: skip
    files = [BatchFileOut(name=f.name, sha256=f.sha256, bytes=f.bytes) for f in batch_files(db, batch_id=batch.id)] \
        if with_files else []  # fmt: skip
    return BatchOut(
        id=batch.id, batch_no=batch.batch_no, title=batch.title, recipient=batch.recipient, status=batch.status,
        status_label=BATCH_STATUS_LABELS[BatchStatus(batch.status)], created_by=batch.created_by,
        created_at=batch.created_at, exported_at=batch.exported_at, line_count=batch.line_count,
        manifest_sha256=batch.manifest_sha256, arrests=int(totals[0]), devices_seized=int(totals[1]),
        cards_seized=int(totals[2]), files=files,
    )  # fmt: skip


def next_number(db: Session, *, at: datetime) -> str:
    """XS-<year>-<n>: n counts the year's batches from 1 (the unique constraint settles a race)."""
    from fanzha.casework.onboarding.notice import CST

    year = at.astimezone(CST).year
    prefix = f"XS-{year}-"
    last = db.execute(select(func.max(ClueBatch.batch_no)).where(ClueBatch.batch_no.startswith(prefix))).scalar()
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:04d}"
