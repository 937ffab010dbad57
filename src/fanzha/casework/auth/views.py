"""Login, logout and /api/me."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from fanzha.casework.auth import flows, service
from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.auth.schemas import Me
from fanzha.casework.types import Text
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


@router.get("/account/password", include_in_schema=False)
def password_page(request: Request, _: Principal = Depends(require(Permission.SESSION))):
    return render(request, "password.html", {})


@router.post("/account/password", include_in_schema=False)
def password_submit(
    request: Request,
    db: Db,
    current: Text = Form(max_length=200),
    new: Text = Form(max_length=200),
    confirm: Text = Form(max_length=200),
    who: Principal = Depends(require(Permission.SESSION, rate="login")),
):
    if new != confirm:
        return render(request, "password.html", {"error": "两次输入的新密码不一致"}, status_code=422)
    error = flows.change_own_password(db, key=request.app.state.audit_key, actor=who, current=current, new=new)
    if error:
        db.commit()  # a failed attempt is still recorded
        return render(request, "password.html", {"error": error}, status_code=422)
    # set_password ended every session, this one included: sign in again with the new password.
    response = render(request, "password.html", {"done": True})
    response.delete_cookie(session_cookie_name(request), path="/")
    return response


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, db: Db, _: Principal = Depends(require(Permission.USER_ADMIN))):
    return render(request, "users.html", {"users": service.list_users(db)})


@router.post("/admin/users/unlock", include_in_schema=False)
def unlock_submit(
    request: Request,
    db: Db,
    username: Text = Form(max_length=64),
    who: Principal = Depends(require(Permission.USER_ADMIN)),
):
    user = service.get_user(db, username=username)
    message = "无此账号"
    if user is not None:
        flows.unlock(db, key=request.app.state.audit_key, actor=who, user=user)
        message = f"{user.username} 已解锁"
    return render(request, "users.html", {"users": service.list_users(db), "message": message})


@router.get("/api/me", response_model=Me, tags=["auth"])
def me(who: Principal = Depends(require(Permission.SESSION))) -> Me:
    """当前用户 The signed-in user, roles and permissions."""
    return Me(
        username=who.username, display_name=who.display_name, roles=sorted(r.value for r in who.roles),
        permissions=sorted(p.value for p in who.permissions), shops=sorted(who.shops), units=sorted(who.units),
        via=who.via,
    )  # fmt: skip
