"""Application-wide routes: home (工作台), health check, the API schema."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.web.deps import public, require
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])


@router.get("/", include_in_schema=False)
def home(request: Request, who: Principal = Depends(require(Permission.SESSION))):
    return render(request, "home.html", {"permissions": sorted(p.value for p in who.permissions)})


@router.get("/healthz", include_in_schema=False)
def healthz(_=Depends(public())):
    return {"ok": True}


@router.get("/api/openapi.json", include_in_schema=False)
def openapi_schema(request: Request, _: Principal = Depends(require(Permission.SESSION))):
    return JSONResponse(request.app.openapi())
