"""Jinja2 rendering for pages: autoescaping on, the layout gets the principal, navigation and CSRF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from fanzha.casework.auth.enums import ROLE_LABELS, Permission, Role
from fanzha.casework.measures.enums import line_status_label
from fanzha.casework.onboarding.rules import line_type_label
from fanzha.numbers import carrier_label
from fanzha.web import nav
from fanzha.web.security import CSRF_FIELD, csrf_token, set_csrf_cookie

CST = timezone(timedelta(hours=8))
_env: Environment | None = None


def _cst(value) -> str:
    """Times are stored in UTC and shown in China Standard Time."""
    if not isinstance(value, datetime):
        return "" if value is None else str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")


def environment() -> Environment:
    global _env
    if _env is None:
        _env = Environment(
            loader=FileSystemLoader(Path(__file__).with_name("templates")),
            autoescape=select_autoescape(["html"], default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        _env.filters["cst"] = _cst
        # Registry codes in words (their owners keep the labels): mobile → 手机号码, suspended → 停机.
        _env.filters["line_type"] = line_type_label
        _env.filters["line_status"] = line_status_label
        _env.filters["carrier"] = carrier_label
        _env.globals["role_label"] = lambda r: ROLE_LABELS.get(Role(r), r) if r in Role._value2member_map_ else r
    return _env


def _case_link(principal):
    """``case_link(id)`` in templates: a link to the case for who may open cases (case.work), else the case
    named in words, so no page offers a link that answers 403."""
    may_open = principal is not None and principal.can(Permission.CASE_WORK)

    def link(case_id, text: str | None = None) -> Markup:
        label = escape(text or f"案件 #{case_id}")
        return Markup(f'<a href="/cases/{int(case_id)}">{label}</a>') if may_open else Markup(f"<span>{label}</span>")

    return link


def render(request: Request, template: str, context: dict | None = None, *, status_code: int = 200) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    token = csrf_token(request)
    ctx = {
        "request": request,
        "principal": principal,
        "nav": nav.visible(principal),
        "path": request.url.path,
        "csrf_token": token,
        "case_link": _case_link(principal),
        "csrf_field": lambda: Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">'),
        **(context or {}),
    }
    response = HTMLResponse(environment().get_template(template).render(ctx), status_code=status_code)
    set_csrf_cookie(request, response)
    return response
