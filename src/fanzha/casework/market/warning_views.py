"""消费警示 officer pages: list, write/edit, publish, withdraw (permission TIP_MANAGE)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.cases.views import RowId, ctx_of
from fanzha.casework.market import warnings as service
from fanzha.casework.market.enums import CATEGORIES, WARNING_LABELS, WarningStatus
from fanzha.casework.types import Text
from fanzha.web import nav
from fanzha.web.deps import Db, require
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
nav.register(nav.NavItem("消费警示", "/market/warnings", Permission.TIP_MANAGE, 62))
TIP = require(Permission.TIP_MANAGE)


def _list(request: Request, db, *, message: str | None = None, edit=None, status_code: int = 200):
    rows = [{"id": w.id, "title": w.title, "status": w.status, "status_label": WARNING_LABELS[WarningStatus(w.status)],
             "updated_at": w.updated_at, "published_at": w.published_at, "by": w.created_by}
            for w in service.all_warnings(db)]  # fmt: skip
    return render(request, "market_warnings.html", {"warnings": rows, "categories": CATEGORIES, "message": message,
                                                    "edit": edit}, status_code=status_code)  # fmt: skip


@router.get("/market/warnings", include_in_schema=False)
def warnings_page(request: Request, db: Db, _: Principal = Depends(TIP)):
    return _list(request, db)


@router.get("/market/warnings/{warning_id}", include_in_schema=False)
def edit_page(request: Request, warning_id: RowId, db: Db, _: Principal = Depends(TIP)):
    w = service.get(db, warning_id=warning_id)
    if w is None:
        raise HTTPException(status_code=404, detail="警示不存在 warning not found")
    return _list(request, db, edit=w)


@router.post("/market/warnings", include_in_schema=False)
def save_warning(request: Request, db: Db, title: Text = Form(max_length=120), body: Text = Form(max_length=20000),
                 category: str = Form(default="", max_length=24), warning_id: int | None = Form(default=None, ge=1),
                 publish: str = Form(default="", max_length=3), who: Principal = Depends(TIP)):  # fmt: skip
    try:
        w = service.save(db, ctx=ctx_of(request), actor=who, title=title, body=body, category=category or None,
                         warning_id=warning_id)  # fmt: skip
        if publish == "yes" and w.status != WarningStatus.PUBLISHED.value:
            service.set_published(db, ctx=ctx_of(request), actor=who, warning_id=w.id, publish=True)
    except service.WarningError as exc:
        db.rollback()
        return _list(request, db, message=str(exc), status_code=422)
    db.commit()
    return RedirectResponse("/market/warnings", status_code=303)


@router.post("/market/warnings/{warning_id}/publish", include_in_schema=False)
def publish_warning(request: Request, warning_id: RowId, db: Db, action: str = Form(max_length=10),
                    who: Principal = Depends(TIP)):  # fmt: skip
    try:
        service.set_published(db, ctx=ctx_of(request), actor=who, warning_id=warning_id, publish=action == "publish")
    except service.WarningError as exc:
        db.rollback()
        return _list(request, db, message=str(exc), status_code=409)
    db.commit()
    return RedirectResponse("/market/warnings", status_code=303)
