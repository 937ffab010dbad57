"""HTTP hardening: security headers, request size limit, CSRF tokens, log masking."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fanzha.privacy import MaskingFilter

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class _TooLarge(Exception):
    pass


# A file upload's body holds the form's other fields and the multipart framing beside the file: this much more
# than the file limit is let through, so that the upload page itself can say "too large" with its form.
UPLOAD_FRAMING_BYTES = 256_000


class SecurityMiddleware:
    """Adds security headers to every response and refuses bodies over ``max_bytes`` with 413 (a file upload,
    multipart/form-data: over ``max_upload_bytes``). A page gets the refusal as a Chinese page, the API as JSON."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, hsts: bool, max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes or max_bytes
        headers = {
            "content-security-policy": CSP,
            "x-content-type-options": "nosniff",
            "x-frame-options": "DENY",
            "referrer-policy": "same-origin",
            "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
            "cross-origin-opener-policy": "same-origin",
            "cross-origin-resource-policy": "same-origin",
        }
        if hsts:
            headers["strict-transport-security"] = "max-age=31536000"
        self.headers = [(k.encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        upload = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        limit = self.max_upload_bytes + UPLOAD_FRAMING_BYTES if upload else self.max_bytes
        page = not scope.get("path", "").startswith("/api/")
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(send, page=page, upload=upload, back=_back_path(headers))
            return
        static = scope.get("path", "").startswith("/static/")
        started = refused = False
        received = 0

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now: the framework may turn the exception below into a generic 400.
                    if not started and not refused:
                        refused = True
                        await self._refuse(send, page=page, upload=upload, back=_back_path(headers))
                    raise _TooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if refused:
                return  # 413 already sent; drop whatever the app answers after the aborted read
            if message["type"] == "http.response.start":
                started = True
                existing = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in existing]
                if not static and b"cache-control" not in existing:
                    extra.append((b"cache-control", b"no-store"))  # pages may hold personal data
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _TooLarge:
            if not started and not refused:
                await self._refuse(send, page=page, upload=upload, back=_back_path(headers))

    async def _refuse(self, send: Send, *, page: bool = False, upload: bool = False, back: str = "/") -> None:
        from fanzha.casework.uploads import megabytes

        limit = megabytes(self.max_upload_bytes if upload else self.max_bytes)
        what = f"上传的文件超过大小上限 {limit}，请拆分成多个文件分批导入" if upload else f"提交的内容超过 {limit} 的上限"
        if page:  # a person reads this: a page in Chinese with the way back to the form
            body = _TOO_LARGE_PAGE.format(what=what, back=back).encode()
            kind = b"text/html; charset=utf-8"
        else:
            body = json.dumps({"detail": f"request body too large 请求内容过大：{what}"}, ensure_ascii=False).encode()
            kind = b"application/json"
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", kind), (b"content-length", str(len(body)).encode()), *self.headers]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})


_TOO_LARGE_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>文件过大</title>
<link rel="stylesheet" href="/static/fanzha.css"></head><body><main><h1>文件过大</h1>
<p class="error" role="alert" id="too-large">{what}。</p>
<p><a href="{back}" id="back">返回上一页</a></p></main></body></html>"""


def _back_path(headers: dict) -> str:
    """The page the form was on (the Referer's path only: never a link off the site), else the start page."""
    from html import escape
    from urllib.parse import urlsplit

    parts = urlsplit(headers.get(b"referer", b"").decode("latin-1"))
    path = parts.path if parts.path.startswith("/") and not parts.path.startswith("//") else "/"
    return escape(path + (f"?{parts.query}" if parts.query else ""), quote=True)


# --- CSRF: signed double-submit cookie ---------------------------------------------------------
# The browser holds a random value in an HttpOnly, SameSite=Strict cookie; each form carries
# HMAC(csrf key, that value). A cross-site page can neither read the cookie nor compute the HMAC.

def csrf_cookie_name(request: Request) -> str:
    return "__Host-fanzha_csrf" if request.app.state.settings.secure_cookies else "fanzha_csrf"


def _sign(request: Request, value: str) -> str:
    return hmac.new(request.app.state.csrf_key, value.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token for forms on this page; creates the cookie value when the browser has none."""
    value = request.cookies.get(csrf_cookie_name(request)) or getattr(request.state, "new_csrf", None)
    if not value or len(value) > 100:
        value = secrets.token_urlsafe(32)
        request.state.new_csrf = value
    return _sign(request, value)


def set_csrf_cookie(request: Request, response) -> None:
    value = getattr(request.state, "new_csrf", None)
    if value:
        response.set_cookie(
            csrf_cookie_name(request), value, httponly=True, samesite="strict",
            secure=request.app.state.settings.secure_cookies, path="/",
        )  # fmt: skip


async def csrf_protect(request: Request) -> None:
    """Router dependency for pages: every unsafe request must carry a valid token, or 403."""
    if request.method not in UNSAFE_METHODS or request.url.path.startswith("/api/"):
        return  # the API takes bearer tokens only, never cookies, so a forged cross-site request carries nothing
    cookie = request.cookies.get(csrf_cookie_name(request))
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        try:
            form = await request.form()
        except Exception:  # malformed body: treat as no token
            form = {}
        sent = form.get(CSRF_FIELD)
    if not cookie or not isinstance(sent, str) or not hmac.compare_digest(sent, _sign(request, cookie)):
        raise HTTPException(status_code=403, detail="CSRF token missing or invalid 表单已失效，请刷新页面后重试")


csrf_protect.fanzha_csrf = True  # marker read by the route checks in app.py and tests


# --- logs ----------------------------------------------------------------------------------------

def install_log_redaction() -> None:
    """Mask ID and mobile numbers in the server's own log records (access lines include paths)."""
    for name in ("uvicorn.access", "uvicorn.error", "fanzha"):
        logger = logging.getLogger(name)
        # On the logger itself: uvicorn replaces handlers when it configures logging, not logger filters.
        if not any(isinstance(f, MaskingFilter) for f in logger.filters):
            logger.addFilter(MaskingFilter())
