"""号码查询 page and API. Searches are POSTed so numbers and ID numbers never sit in URLs or access logs."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from pydantic import ValidationError

from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.lookup import service
from fanzha.casework.lookup.schemas import LineClear, LineFound, LookupQuery, UnmaskRequest
from fanzha.casework.types import Text
from fanzha.web.deps import Db, require
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])


def _ctx(request: Request) -> dict:
    st = request.app.state
    return {"key": st.audit_key, "protector": st.protector}


@router.get("/lines", include_in_schema=False)
def lookup_page(request: Request, _: Principal = Depends(require(Permission.LINE_LOOKUP))):
    return render(request, "lookup.html", {})


@router.post("/lines", include_in_schema=False)
def lookup_submit(
    request: Request,
    db: Db,
    msisdn: Text = Form(default="", max_length=200),
    id_no: Text = Form(default="", max_length=200),
    who: Principal = Depends(require(Permission.LINE_LOOKUP, rate="query")),
):
    try:
        query = LookupQuery(msisdn=msisdn[:20] or None, id_no=id_no[:18] or None)
    except ValidationError:
        return render(request, "lookup.html", {"error": "请输入号码或证件号码 Enter a number or an ID number."},
                      status_code=422)  # fmt: skip
    rows = service.find_lines(db, principal=who, query=query, **_ctx(request))
    return render(request, "lookup.html", {"rows": rows, "searched": True,
                                           "can_unmask": who.can(Permission.PERSONAL_UNMASK)})  # fmt: skip


@router.post("/lines/unmask", include_in_schema=False)
def unmask_submit(
    request: Request,
    db: Db,
    ref: Text = Form(max_length=400),
    purpose: Text = Form(default="", max_length=200),
    who: Principal = Depends(require(Permission.PERSONAL_UNMASK, rate="query")),
):
    if len(purpose.strip()) < 4:
        return render(request, "lookup.html", {"error": "请填写查询事由（至少4个字）A purpose is required."},
                      status_code=422)  # fmt: skip
    line = service.unmask_line(db, principal=who, ref=ref, purpose=purpose, **_ctx(request))
    if line is None:
        return render(request, "lookup.html", {"error": "未找到或已过期，请重新查询 Not found or expired."},
                      status_code=404)  # fmt: skip
    db.commit()  # the audit event is stored before any clear value leaves
    return render(request, "lookup.html", {"clear": line})


@router.post("/api/lines/search", response_model=list[LineFound], tags=["lookup"])
def api_search(
    request: Request, query: LookupQuery, db: Db,
    who: Principal = Depends(require(Permission.LINE_LOOKUP, rate="query")),
) -> list[LineFound]:  # fmt: skip
    """号码查询 Lines by number or by owner ID number, masked. Each result has a ``ref`` for unmasking."""
    rows = service.find_lines(db, principal=who, query=query, **_ctx(request))
    return [LineFound(ref=ref, **line.model_dump()) for ref, line in rows]


@router.post("/api/lines/unmask", response_model=LineClear, tags=["lookup"],
             responses={404: {"description": "unknown, expired or out-of-scope reference"}})  # fmt: skip
def api_unmask(
    request: Request, body: UnmaskRequest, db: Db,
    who: Principal = Depends(require(Permission.PERSONAL_UNMASK, rate="query")),
) -> LineClear:  # fmt: skip
    """查看明文 The line and owner in clear, for a stated purpose. Audited."""
    try:
        line = service.unmask_line(db, principal=who, ref=body.ref, purpose=body.purpose, **_ctx(request))
    except ValueError as exc:  # e.g. a purpose that is only blanks once stripped
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    if line is None:
        raise HTTPException(status_code=404, detail="not found or expired")
    db.commit()
    return line
