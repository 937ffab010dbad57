"""消费警示 Consumer warnings: an officer drafts, publishes, withdraws; the public page lists published ones.

    draft ──发布──▶ published ──撤回──▶ withdrawn ──重新发布──▶ published
Editing a published warning keeps it published (corrections show at once). Every step is audited.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanzha.casework.audit import service as audit
from fanzha.casework.auth.principal import Principal
from fanzha.casework.context import WorkContext, utcnow
from fanzha.casework.market.enums import CATEGORIES, WarningStatus
from fanzha.casework.market.models import ConsumerWarning


class WarningError(ValueError):
    pass


def _check(title: str, body: str, category: str | None) -> tuple[str, str, str | None]:
    # Browsers send form text with CRLF line ends; paragraphs are split on blank lines when shown.
    title, body, category = title.strip(), body.replace("\r\n", "\n").strip(), (category or "").strip() or None
    if not title:
        raise WarningError("标题不能为空 title is empty")
    if len(title) > 120:
        raise WarningError("标题不超过 120 字 title too long")
    if not body:
        raise WarningError("正文不能为空 body is empty")
    if category and category not in CATEGORIES:
        raise WarningError("未知类别 unknown category")
    return title, body, category


def save(db: Session, *, ctx: WorkContext, actor: Principal, title: str, body: str, category: str | None = None,
         warning_id: int | None = None) -> ConsumerWarning:  # fmt: skip
    """Create a draft (``warning_id`` None) or edit an existing warning."""
    title, body, category = _check(title, body, category)
    now = utcnow()
    if warning_id is None:
        w = ConsumerWarning(title=title, body=body, category=category, status=WarningStatus.DRAFT.value,
                            created_at=now, created_by=actor.username[:64], updated_at=now)  # fmt: skip
        db.add(w)
        db.flush()
        action = "warning.create"
    else:
        w = get(db, warning_id=warning_id)
        if w is None:
            raise WarningError("警示不存在 warning not found")
        w.title, w.body, w.category, w.updated_at = title, body, category, now
        action = "warning.edit"
    audit.record(db, key=ctx.key, actor=actor, action=action, subject_type="consumer_warning", subject_id=w.id,
                 detail={"status": w.status})
    return w


def set_published(db: Session, *, ctx: WorkContext, actor: Principal, warning_id: int, publish: bool) -> ConsumerWarning:
    w = get(db, warning_id=warning_id)
    if w is None:
        raise WarningError("警示不存在 warning not found")
    if publish:
        if w.status == WarningStatus.PUBLISHED.value:
            raise WarningError("已发布 already published")
        w.status, w.published_at, w.published_by = WarningStatus.PUBLISHED.value, utcnow(), actor.username[:64]
    else:
        if w.status != WarningStatus.PUBLISHED.value:
            raise WarningError("未发布，无需撤回 not published")
        w.status = WarningStatus.WITHDRAWN.value
    w.updated_at = utcnow()
    audit.record(db, key=ctx.key, actor=actor, action="warning.publish" if publish else "warning.withdraw",
                 subject_type="consumer_warning", subject_id=w.id)  # fmt: skip
    return w


def get(db: Session, *, warning_id: int) -> ConsumerWarning | None:
    return db.get(ConsumerWarning, warning_id)


def all_warnings(db: Session) -> list[ConsumerWarning]:
    return list(db.execute(select(ConsumerWarning).order_by(ConsumerWarning.updated_at.desc(),
                                                            ConsumerWarning.id.desc())).scalars())  # fmt: skip


def published(db: Session, *, limit: int = 50) -> list[ConsumerWarning]:
    return list(db.execute(select(ConsumerWarning).where(ConsumerWarning.status == WarningStatus.PUBLISHED.value)
                           .order_by(ConsumerWarning.published_at.desc(), ConsumerWarning.id.desc()).limit(limit))
                .scalars())  # fmt: skip


def published_one(db: Session, *, warning_id: int) -> ConsumerWarning | None:
    w = get(db, warning_id=warning_id)
    return w if w is not None and w.status == WarningStatus.PUBLISHED.value else None
