"""Login, logout and /api/me."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from fanzha.casework.types import Text
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from fanzha.casework.auth import flows
from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.auth.schemas import Me
from fanzha.web.deps import Db, client_of, public, require, safe_next, session_cookie_name
from fanzha.web.security import csrf_cookie_name, csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/", _=Depends(public())):
    return render(request, "login.html", {"next": safe_next(next)})


@router.post("/login", include_in_schema=False)
def login_submit(
    request: Request,
    db: Db,
    username: Text = Form(max_length=200),
    password: Text = Form(max_length=200),
    next: Text = Form(default="/", max_length=500),
    _=Depends(public(rate="login")),
):
    st = request.app.state
    s = st.settings
    outcome, token = flows.login(
        db, key=st.audit_key, username=username, password=password, client=client_of(request),
        max_failures=s.login_max_failures, lockout=timedelta(minutes=s.lockout_minutes),
        lifetime=timedelta(hours=s.session_hours),
    )  # fmt: skip
    if token is None:
        message = "用户名或密码错误，或账号已被临时锁定。Wrong username or password, or the account is locked."
        return render(request, "login.html", {"next": safe_next(next), "error": message}, status_code=401)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        session_cookie_name(request), token, max_age=int(s.session_hours * 3600), httponly=True,
        samesite="lax", secure=s.secure_cookies, path="/",
    )  # fmt: skip
    response.delete_cookie(csrf_cookie_name(request), path="/")  # a fresh CSRF value after login
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, db: Db, who: Principal = Depends(require(Permission.SESSION))):
    token = request.cookies.get(session_cookie_name(request), "")
    flows.logout(db, key=request.app.state.audit_key, actor=who, token=token)
    response = RedirectResponse(f"/login?next={quote('/')}", status_code=303)
    response.delete_cookie(session_cookie_name(request), path="/")
    return response


@router.get("/api/me", response_model=Me, tags=["auth"])
def me(who: Principal = Depends(require(Permission.SESSION))) -> Me:
    """当前用户 The signed-in user, roles and permissions."""
    return Me(
        username=who.username, display_name=who.display_name, roles=sorted(r.value for r in who.roles),
        permissions=sorted(p.value for p in who.permissions), shops=sorted(who.shops), units=sorted(who.units),
        via=who.via,
    )  # fmt: skip
