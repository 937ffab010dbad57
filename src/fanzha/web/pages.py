"""Application-wide routes: home (工作台), health check, the API schema."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.web.deps import Db, public, require
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])


@router.get("/", include_in_schema=False)
def home(request: Request, db: Db, who: Principal = Depends(require(Permission.SESSION))):
    """Each role starts on its dashboard (the panels its permissions allow); others get their tiles."""
    from fanzha.supervision import panels
    from fanzha.supervision.filters import make_filter
    from fanzha.supervision.views import dashboard_page

    if panels.visible(who):
        return dashboard_page(request, db, who, make_filter())
    return render(request, "home.html", {"permissions": sorted(p.value for p in who.permissions)})


@router.get("/healthz", include_in_schema=False)
def healthz(_=Depends(public())):
    return {"ok": True}


@router.get("/api/openapi.json", include_in_schema=False)
def openapi_schema(request: Request, _: Principal = Depends(require(Permission.SESSION))):
    return JSONResponse(request.app.openapi())
