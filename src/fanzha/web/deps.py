"""Request dependencies: database session, authentication, declared permissions, rate limits.

Every route declares exactly one access policy: ``require(Permission.X)`` or ``public()``.
``policy_of(route)`` reads it back (used by ``create_app`` to refuse undeclared routes, and by tests).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from functools import lru_cache
from typing import Annotated

import anyio
from fastapi import Depends, HTTPException, Path, Request
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from fanzha.casework.auth import service as auth_service
from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.db import session_scope

PUBLIC = "public"

# A row id in a path: a positive 32-bit integer (larger values are 422, never a database overflow).
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]


class LoginRequired(Exception):
    """No valid session or token: pages redirect to /login, the API answers 401."""


def db_capacity(engine) -> int:
    """How many sessions can hold a connection at once: the pool's size plus its overflow (15 by default)."""
    pool = engine.pool
    size, overflow = getattr(pool, "size", lambda: 0)(), getattr(pool, "_max_overflow", 0)
    return size + overflow if size > 0 and overflow >= 0 else 15


async def db_slot(request: Request) -> AsyncIterator[None]:
    """Admit a request to the database only while a pooled connection is free for it, waiting in the event loop.

    A request runs its dependencies and its endpoint in separate worker-thread hops and keeps its connection
    between them. Without this gate, under a burst every worker thread (40) could be blocked checking out a
    connection while every connection (15) belonged to a request waiting for a thread: a deadlock broken only by
    the pool's 30 s timeout (seen at 200 counter checks/s). Waiting here holds no thread and no connection."""
    state = request.app.state
    slots = getattr(state, "db_slots", None)
    if slots is None:
        slots = state.db_slots = anyio.Semaphore(db_capacity(state.engine))
    async with slots:
        yield


def get_db(request: Request, _slot: Annotated[None, Depends(db_slot, scope="function")]) -> Iterator[Session]:
    """One session per request; commits when the endpoint returns (before the response is sent)."""
    with session_scope(factory=request.app.state.sessionmaker) as session:
        yield session


# scope="function": the commit above happens before the response leaves, so what a page shows is stored.
Db = Annotated[Session, Depends(get_db, scope="function")]


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def safe_next(value: str | None) -> str:
    """Only same-site relative paths after login: no //host, no backslashes (open-redirect guard)."""
    v = value or "/"
    return v if v.startswith("/") and not v.startswith("//") and "\\" not in v else "/"


def session_cookie_name(request: Request) -> str:
    return "__Host-fanzha_session" if request.app.state.settings.secure_cookies else "fanzha_session"


def client_of(request: Request) -> str:
    # The direct peer. Behind a reverse proxy, run uvicorn with --proxy-headers so this is the real client.
    return request.client.host if request.client else "unknown"


def authenticate(request: Request, db: Session) -> Principal | None:
    """Bearer token for /api, session cookie for pages; never both (cookies on the API would need CSRF)."""
    if hasattr(request.state, "principal"):
        return request.state.principal
    principal = None
    if is_api(request):
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            principal = auth_service.principal_for_token(db, token=token.strip())
    else:
        token = request.cookies.get(session_cookie_name(request))
        if token:
            settings = request.app.state.settings
            found = auth_service.resolve_session(db, token=token, idle=timedelta(minutes=settings.session_idle_minutes))
            principal = auth_service.principal_for(found[1], via="session") if found else None
    request.state.principal = principal
    return principal


def check_rate(request: Request, bucket: str, key: str) -> None:
    settings = request.app.state.settings
    limit = {"login": settings.rate_login_per_minute, "query": settings.rate_query_per_minute,
             "public_form": settings.rate_public_form_per_minute}[bucket]
    wait = request.app.state.limiter.hit(f"{bucket}:{key}", limit=limit)
    if wait is not None:
        raise HTTPException(status_code=429, detail="too many requests 请求过于频繁，请稍后再试",
                            headers={"Retry-After": str(int(wait) + 1)})  # fmt: skip


@lru_cache(maxsize=None)
def require(permission: Permission, rate: str | None = None):
    """Dependency: the caller must be signed in and hold ``permission``; returns the Principal.

    ``rate="query"`` counts the request against the per-user query limit (personal-data lookups).
    """

    def dependency(request: Request, db: Db) -> Principal:
        principal = authenticate(request, db)
        if principal is None:
            raise LoginRequired
        if not principal.can(permission):
            raise HTTPException(status_code=403, detail=f"permission {permission.value} required 无此权限")
        if rate:
            check_rate(request, rate, f"user:{principal.user_id}")
        return principal

    dependency.fanzha_policy = permission
    dependency.__name__ = f"require_{permission.name.lower()}"
    return dependency


@lru_cache(maxsize=None)
def public(rate: str | None = None):
    """Dependency for routes open to anonymous users (login, health). Rate-limited per client address."""

    def dependency(request: Request, db: Db) -> Principal | None:
        if rate:
            check_rate(request, rate, f"ip:{client_of(request)}")
        return authenticate(request, db)

    dependency.fanzha_policy = PUBLIC
    dependency.__name__ = "public"
    return dependency


def _walk(dependant) -> Iterator:
    for dep in dependant.dependencies:
        yield dep.call
        yield from _walk(dep)


def iter_api_routes(app) -> Iterator:
    """Every API/page route of the app with its effective dependant (router dependencies included).

    FastAPI ≥ 0.150 keeps included routers as lazy branches; ``iter_route_contexts`` flattens them.
    Yields objects with ``path``, ``methods`` and ``dependant``; skips mounts (static files).
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        routes = app.routes
    else:
        routes = iter_route_contexts(app.routes)
    for route in routes:
        if getattr(route, "dependant", None) is not None and getattr(route, "methods", None):
            yield route


def policy_of(route: APIRoute) -> set:
    """The access policies declared on a route (a well-formed route has exactly one)."""
    return {getattr(call, "fanzha_policy") for call in _walk(route.dependant) if hasattr(call, "fanzha_policy")}


def has_csrf(route: APIRoute) -> bool:
    return any(getattr(call, "fanzha_csrf", False) for call in _walk(route.dependant))
