"""Public pages, no login: the tip form (举报线索, CSRF + per-address rate limit, receipt number shown) and the
consumer warnings (消费警示) written for elderly readers: large type, high contrast, no JavaScript."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request

from fanzha.casework.auth.principal import Principal
from fanzha.casework.bulk_intake import RowError
from fanzha.casework.cases.views import RowId, ctx_of
from fanzha.casework.market import service, warnings
from fanzha.casework.market.enums import CATEGORIES
from fanzha.casework.types import Text
from fanzha.web.deps import Db, public
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
PUBLIC_ACTOR = Principal(user_id=None, username="public-web", via="system")
FIELD_LABELS = {"category": "问题类型", "subject_name": "商家或单位名称", "phone_numbers": "对方电话",
                "content": "情况描述", "reporter_contact": "您的联系方式", "received_at": "时间", "channel": "渠道"}


def _form(request: Request, *, values: dict | None = None, message: str | None = None, status_code: int = 200):
    return render(request, "public_tip.html", {"categories": CATEGORIES, "v": values or {}, "message": message},
                  status_code=status_code)  # fmt: skip


@router.get("/tip", include_in_schema=False)
def tip_form(request: Request, _=Depends(public())):
    return _form(request)


@router.post("/tip", include_in_schema=False)
def submit_tip(
    request: Request, db: Db,
    category: str = Form(default="", max_length=24), subject_name: Text = Form(default="", max_length=200),
    phone_numbers: Text = Form(default="", max_length=400), content: Text = Form(default="", max_length=5000),
    reporter_contact: Text = Form(default="", max_length=200),
    _=Depends(public(rate="public_form")),
):  # fmt: skip
    values = {"channel": "web", "category": category, "subject_name": subject_name, "phone_numbers": phone_numbers,
              "content": content, "reporter_contact": reporter_contact}  # fmt: skip
    try:
        data = service.validate(values, require_id=False)
    except RowError as exc:
        field, _, detail = str(exc).partition(":")
        label = FIELD_LABELS.get(field.strip(), field)
        text = "请填写" + label if detail.strip() == "missing" else f"{label}填写有误：{detail.strip()}"
        return _form(request, values=values, message=text, status_code=422)
    tip, _, _ = service.intake(db, ctx=ctx_of(request), data=data, via="public", actor=PUBLIC_ACTOR)
    db.commit()
    return render(request, "public_tip_done.html", {"receipt": tip.tip_id})


@router.get("/warnings", include_in_schema=False)
def warnings_list(request: Request, db: Db, _=Depends(public())):
    rows = warnings.published(db)
    return render(request, "public_warnings.html", {"warnings": rows, "categories": CATEGORIES})


@router.get("/warnings/{warning_id}", include_in_schema=False)
def warning_page(request: Request, warning_id: RowId, db: Db, _=Depends(public())):
    w = warnings.published_one(db, warning_id=warning_id)
    if w is None:
        raise HTTPException(status_code=404, detail="该警示不存在或已撤回")
    return render(request, "public_warning.html", {"w": w, "categories": CATEGORIES})
