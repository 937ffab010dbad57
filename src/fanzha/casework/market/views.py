"""市场监管 officer pages and API: tip queue, entry form, bulk import, a tip's page with triage.

``router`` also carries the statistics, consumer-warning and public routes of this package (one router per
domain in ``web.app``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse

from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.bulk_intake import RowError
from fanzha.casework.cases.views import RowId, ctx_of
from fanzha.casework.market import present, service
from fanzha.casework.market.enums import CATEGORIES, CHANNELS, TIP_LABELS, TIP_TRANSITIONS, TipStatus
from fanzha.casework.market.importer import import_tips
from fanzha.casework.market.public_views import router as public_router
from fanzha.casework.market.schemas import TipIn, TipOut, TriageIn
from fanzha.casework.market.stats_views import router as stats_router
from fanzha.casework.market.warning_views import router as warnings_router
from fanzha.casework.types import Text
from fanzha.casework.uploads import import_upload, template_response, upload_context
from fanzha.web import nav
from fanzha.web.deps import Db, require
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
nav.register(nav.NavItem("市场监管线索", "/market/tips", Permission.TIP_MANAGE, 60))
TIP = require(Permission.TIP_MANAGE)
StatusQ = Query(default="open", pattern="^(open|all|new|assigned|investigating|referred|closed|rejected)$")
CategoryQ = Query(default="", pattern="^(|health_claims|fake_promotion|counterfeit|pyramid_selling|other_elderly_harm)$")
ChannelQ = Query(default="", pattern="^(|12345|12315|email|on_site|web)$")


def _queue(request: Request, db, *, status: str = "open", category: str = "", channel: str = "", **extra):
    tips = service.queue(db, status=None if status == "all" else status, category=category or None,
                         channel=channel or None)  # fmt: skip
    numbers = service.numbers_of(db, tip_ids=[t.id for t in tips])
    return render(request, "market_tips.html", {
        "tips": [present.row(t, numbers.get(t.id)) for t in tips], "status": status, "category": category,
        "channel": channel, "statuses": {s.value: TIP_LABELS[s] for s in TipStatus}, "categories": CATEGORIES,
        "channels": CHANNELS, **upload_context(request, "tips"), **extra,
    }, status_code=extra.pop("status_code", 200))  # fmt: skip


@router.get("/market/tips", include_in_schema=False)
def tips_page(request: Request, db: Db, status: str = StatusQ, category: str = CategoryQ, channel: str = ChannelQ,
              _: Principal = Depends(TIP)):  # fmt: skip
    return _queue(request, db, status=status, category=category, channel=channel)


def _form(request: Request, *, values: dict | None = None, message: str | None = None, status_code: int = 200):
    return render(request, "market_tip_new.html", {"categories": CATEGORIES, "channels": CHANNELS,
                                                   "v": values or {}, "message": message}, status_code=status_code)  # fmt: skip


@router.get("/market/tips/new", include_in_schema=False)
def new_tip_page(request: Request, _: Principal = Depends(TIP)):
    return _form(request)


@router.post("/market/tips", include_in_schema=False)
def officer_entry(
    request: Request, db: Db,
    channel: str = Form(max_length=8), category: str = Form(max_length=24),
    content: Text = Form(max_length=5000), subject_name: Text = Form(default="", max_length=200),
    phone_numbers: Text = Form(default="", max_length=400), reporter_contact: Text = Form(default="", max_length=200),
    received_at: str = Form(default="", max_length=32),
    who: Principal = Depends(TIP),
):  # fmt: skip
    values = {"channel": channel, "category": category, "content": content, "subject_name": subject_name,
              "phone_numbers": phone_numbers, "reporter_contact": reporter_contact, "received_at": received_at}
    try:
        data = service.validate(values, require_id=False)
    except RowError as exc:
        return _form(request, values=values, message=str(exc), status_code=422)
    tip, _, _ = service.intake(db, ctx=ctx_of(request), data=data, via="officer", actor=who)
    db.commit()
    return RedirectResponse(f"/market/tips/{tip.id}", status_code=303)


@router.post("/market/tips/import", include_in_schema=False)
def import_page(request: Request, db: Db, file: UploadFile = File(...), who: Principal = Depends(TIP)):
    return _queue(request, db, **import_upload(request, db, file, import_tips, who))


@router.get("/market/tips/import/template.{fmt}", include_in_schema=False)
def import_template(fmt: str = Path(pattern="^(csv|xlsx)$"), _: Principal = Depends(TIP)):
    """The import template: the header the importer accepts and one example row."""
    return template_response("tips", fmt)


def _tip_or_404(db, tip_id: int):
    tip = service.get(db, tip_id=tip_id)
    if tip is None:
        raise HTTPException(status_code=404, detail="线索不存在 tip not found")
    return tip


def _page(request: Request, db, tip, *, message: str | None = None, status_code: int = 200):
    links = service.number_links(db, tip_id=tip.id)
    nexts = TIP_TRANSITIONS[TipStatus(tip.status)]
    return render(request, "market_tip.html", {
        "t": present.row(tip), "links": [present.link_row(x) for x in links], "message": message,
        "events": service.timeline(db, tip_id=tip.id), "officers": service.officers(db),
        "next_states": {s.value: TIP_LABELS[s] for s in TipStatus if s in nexts},
    }, status_code=status_code)  # fmt: skip


@router.get("/market/tips/{tip_id}", include_in_schema=False)
def tip_page(request: Request, tip_id: RowId, db: Db, _: Principal = Depends(TIP)):
    return _page(request, db, _tip_or_404(db, tip_id))


@router.post("/market/tips/{tip_id}/triage", include_in_schema=False)
def triage_page(request: Request, tip_id: RowId, db: Db, status: str = Form(default="", max_length=16),
                assignee: Text = Form(default="", max_length=64), note: Text = Form(default="", max_length=4000),
                who: Principal = Depends(TIP)):  # fmt: skip
    _tip_or_404(db, tip_id)
    try:
        service.triage(db, ctx=ctx_of(request), tip_id=tip_id, actor=who, status=status or None, assignee=assignee,
                       note=note)  # fmt: skip
    except service.TipError as exc:
        db.rollback()
        return _page(request, db, _tip_or_404(db, tip_id), message=str(exc), status_code=409)
    db.commit()
    return RedirectResponse(f"/market/tips/{tip_id}", status_code=303)


@router.post("/api/market/tips", response_model=TipOut, tags=["market"],
             responses={422: {"description": "a field breaks the contract (the message names it)"}})  # fmt: skip
def api_intake(request: Request, body: TipIn, db: Db, who: Principal = Depends(TIP)) -> TipOut:
    """市场监管线索接入 Take one tip (contract fields); resending a tip_id returns it (created false)."""
    row = body.model_dump()
    row["received_at"] = body.received_at.isoformat() if body.received_at else None
    try:
        data = service.validate(row, require_id=False)
    except RowError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    tip, created, _ = service.intake(db, ctx=ctx_of(request), data=data, via="api", actor=who)
    db.commit()
    return present.out(tip, service.number_links(db, tip_id=tip.id), created=created)


@router.get("/api/market/tips", response_model=list[TipOut], tags=["market"])
def api_queue(db: Db, status: str = StatusQ, category: str = CategoryQ, channel: str = ChannelQ,
              _: Principal = Depends(TIP)) -> list[TipOut]:  # fmt: skip
    """线索列表 Tips, newest first (default: open ones)."""
    tips = service.queue(db, status=None if status == "all" else status, category=category or None,
                         channel=channel or None)  # fmt: skip
    return [present.out(t, []) for t in tips]


@router.get("/api/market/tips/{tip_id}", response_model=TipOut, tags=["market"])
def api_get(tip_id: RowId, db: Db, _: Principal = Depends(TIP)) -> TipOut:
    """线索详情 One tip with its numbers' links to lines and alerts (numbers masked)."""
    tip = _tip_or_404(db, tip_id)
    return present.out(tip, service.number_links(db, tip_id=tip.id))


@router.post("/api/market/tips/{tip_id}/triage", response_model=TipOut, tags=["market"],
             responses={409: {"description": "the change is not allowed"}})  # fmt: skip
def api_triage(request: Request, tip_id: RowId, body: TriageIn, db: Db, who: Principal = Depends(TIP)) -> TipOut:
    """线索分派与处理 Change status / assignee, add a note."""
    _tip_or_404(db, tip_id)
    try:
        tip = service.triage(db, ctx=ctx_of(request), tip_id=tip_id, actor=who, status=body.status,
                             assignee=body.assignee, note=body.note)  # fmt: skip
    except service.TipError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    db.commit()
    return present.out(tip, service.number_links(db, tip_id=tip.id))


router.include_router(stats_router)
router.include_router(warnings_router)
router.include_router(public_router)
