"""Clue batch state changes, each with its audit event in the caller's transaction.

    draft ──导出（写出文件包并登记哈希）──▶ exported ──▶ 战果反馈 (any number of times)

Export writes the package atomically before the database records it; if the transaction then fails, the
next export replaces the unrecorded folder, so a restart resumes cleanly.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fanzha.casework.audit import service as audit
from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.context import utcnow
from fanzha.casework.police import clues, exports
from fanzha.casework.police.clues import ClueError
from fanzha.casework.police.enums import BatchStatus
from fanzha.casework.police.models import ClueBatch, ClueBatchFile, ClueBatchLine, ClueFeedback
from fanzha.casework.police.schemas import BatchRequest, FeedbackRequest
from fanzha.privacy import redact


def package_root(home: Path) -> Path:
    return home / "police" / "batches"


def create(db: Session, *, key: bytes, actor: Principal, body: BatchRequest) -> ClueBatch:
    if not actor.can(Permission.CLUE_EXPORT):
        raise ClueError("无线索导出权限")
    picks = clues.resolve_selection(db, case_ids=body.case_ids, simbank_alert_ids=body.simbank_alert_ids,
                                    msisdns=body.msisdns)  # fmt: skip
    evidence = clues.snapshot(db, picks)
    now = utcnow()
    for _ in range(5):  # two people creating a batch at once: the loser takes the next number
        batch = ClueBatch(batch_no=clues.next_number(db, at=now), title=redact(body.title.strip()),
                          recipient=body.recipient.strip(), note=redact(body.note.strip()) or None,
                          status=BatchStatus.DRAFT.value, created_by=actor.username[:64], created_at=now,
                          line_count=len(picks))  # fmt: skip
        try:
            with db.begin_nested():
                db.add(batch)
                db.flush()
            break
        except IntegrityError:
            continue
    else:
        raise ClueError("批次编号分配冲突，请重试")
    db.add_all(ClueBatchLine(batch_id=batch.id, msisdn=p.msisdn, source_kind=p.kind.value, source_ref=p.ref,
                             case_id=p.case_id, evidence=json.dumps(evidence[p.msisdn], ensure_ascii=False))
               for p in picks)  # fmt: skip
    db.flush()
    audit.record(db, key=key, actor=actor, action="police.batch.create", subject_type="clue_batch",
                 subject_id=batch.batch_no, detail={"lines": len(picks), "cases": sorted(set(body.case_ids)),
                 "simbank_alerts": sorted(set(body.simbank_alert_ids)), "numbers": len(body.msisdns),
                 "recipient": batch.recipient})  # fmt: skip
    return batch


def export(db: Session, *, key: bytes, actor: Principal, batch_id: int, home: Path) -> ClueBatch:
    """Write the package and fix its hashes. Exporting an exported batch changes nothing."""
    if not actor.can(Permission.CLUE_EXPORT):
        raise ClueError("无线索导出权限")
    batch = clues.get_batch(db, batch_id=batch_id, lock=True)
    if batch is None:
        raise ClueError(f"线索批次 {batch_id} 不存在")
    if batch.status == BatchStatus.EXPORTED.value:
        return batch
    now = utcnow()
    info = exports.BatchInfo(batch_no=batch.batch_no, title=batch.title, recipient=batch.recipient,
                             note=batch.note or "", created_by=batch.created_by, created_at=batch.created_at,
                             exported_by=actor.username[:64], exported_at=now)  # fmt: skip
    root = package_root(home)
    folder, files, manifest_sha = exports.write_package(root, info, clues.batch_lines(db, batch_id=batch.id))
    db.add_all(ClueBatchFile(batch_id=batch.id, name=f.name, sha256=f.sha256, bytes=f.bytes) for f in files)
    batch.status = BatchStatus.EXPORTED.value
    batch.exported_by, batch.exported_at = info.exported_by, now
    batch.manifest_sha256 = manifest_sha
    batch.folder = str(folder.relative_to(home))
    audit.record(db, key=key, actor=actor, action="police.batch.export", subject_type="clue_batch",
                 subject_id=batch.batch_no, detail={"files": {f.name: f.sha256 for f in files},
                 "lines": batch.line_count})  # fmt: skip
    return batch


def record_feedback(db: Session, *, key: bytes, actor: Principal, batch_id: int, body: FeedbackRequest) -> ClueFeedback:
    if not actor.can(Permission.POLICE_DESK):
        raise ClueError("无警务协作权限")
    batch = clues.get_batch(db, batch_id=batch_id, lock=True)
    if batch is None:
        raise ClueError(f"线索批次 {batch_id} 不存在")
    if batch.status != BatchStatus.EXPORTED.value:
        raise ClueError("批次尚未导出移交，不能登记战果")
    if not (body.arrests or body.devices_seized or body.cards_seized or body.note.strip()):
        raise ClueError("请填写抓获人数、缴获设备、缴获电话卡或说明中的至少一项")
    fb = ClueFeedback(batch_id=batch.id, recorded_by=actor.username[:64], recorded_at=utcnow(), arrests=body.arrests,
                      devices_seized=body.devices_seized, cards_seized=body.cards_seized,
                      note=redact(body.note.strip()) or None)  # fmt: skip
    db.add(fb)
    db.flush()
    audit.record(db, key=key, actor=actor, action="police.batch.feedback", subject_type="clue_batch",
                 subject_id=batch.batch_no, detail={"arrests": fb.arrests, "devices": fb.devices_seized,
                 "cards": fb.cards_seized})  # fmt: skip
    return fb


def download(db: Session, *, key: bytes, actor: Principal, batch_id: int, name: str, home: Path) -> tuple[str, bytes]:
    """(file name, bytes) of one package file, checked against its recorded SHA-256; audited."""
    batch = clues.get_batch(db, batch_id=batch_id)
    if batch is None or batch.status != BatchStatus.EXPORTED.value or not batch.folder:
        raise ClueError("批次不存在或尚未导出")
    recorded = {f.name: f for f in clues.batch_files(db, batch_id=batch.id)}
    if name not in recorded:
        raise ClueError(f"批次中没有文件 {name[:40]}")
    try:
        data = exports.read_bytes_checked(home / batch.folder, name, recorded[name].sha256)
    except FileNotFoundError:
        raise ClueError(f"{name} 文件已丢失") from None
    except ValueError as exc:
        raise ClueError(str(exc)) from None
    audit.record(db, key=key, actor=actor, action="police.batch.download", subject_type="clue_batch",
                 subject_id=batch.batch_no, detail={"file": name, "sha256": recorded[name].sha256})  # fmt: skip
    return name, data
