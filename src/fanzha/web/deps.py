"""Request dependencies: database session, authentication, declared permissions, rate limits.

Every route declares exactly one access policy: ``require(Permission.X)`` or ``public()``.
``policy_of(route)`` reads it back (used by ``create_app`` to refuse undeclared routes, and by tests).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from functools import lru_cache
from typing import Annotated, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, HTTPException, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from fanzha.casework.auth import service as auth_service
from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.db import session_scope

PUBLIC = "public"
T = TypeVar("T")
M = TypeVar("M", bound="BaseModel")

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
    the pool's 30 s timeout (seen at 200 counter checks/s). Waiting here holds no thread and no connection.

    The gate admits ``web_db_concurrency`` requests (3) at once, not the pool's 15: the database work of a
    request is mostly Python, so more threads only take turns at the GIL (at 200 checks/s on two cores, 15 cost
    about 20 % more CPU per check and made the slowest answers seconds; 3 kept p99 tens of ms)."""
    async with _slots(request.app.state):
        yield


def _slots(state) -> anyio.Semaphore:
    slots = getattr(state, "db_slots", None)
    if slots is None:
        slots = state.db_slots = anyio.Semaphore(min(state.settings.web_db_concurrency, db_capacity(state.engine)))
    return slots


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
        return authorize(request, db, permission, rate)

    dependency.fanzha_policy = permission
    dependency.__name__ = f"require_{permission.name.lower()}"
    return dependency


def authorize(request: Request, db: Session, permission: Permission, rate: str | None = None) -> Principal:
    """The signed-in caller holding ``permission`` (LoginRequired / 403 / 429 otherwise)."""
    principal = authenticate(request, db)
    if principal is None:
        raise LoginRequired
    if not principal.can(permission):
        raise HTTPException(status_code=403, detail=f"permission {permission.value} required 无此权限")
    if rate:
        check_rate(request, rate, f"user:{principal.user_id}")
    return principal


class InWorker:
    """Runs a request's whole database work in ONE worker-thread hop: session, authentication, permission,
    the work itself and the commit (see ``in_worker``)."""

    def __init__(self, request: Request, permission: Permission, rate: str | None) -> None:
        self.request, self.permission, self.rate = request, permission, rate

    async def __call__(self, work: Callable[[Session, Principal], T]) -> T:
        async with _slots(self.request.app.state):
            return await anyio.to_thread.run_sync(self._run, work)

    def _run(self, work: Callable[[Session, Principal], T]) -> T:
        with session_scope(factory=self.request.app.state.sessionmaker) as db:
            return work(db, authorize(self.request, db, self.permission, self.rate))


@lru_cache(maxsize=None)
def in_worker(permission: Permission, rate: str | None = None):
    """Dependency for hot API routes (the counter check): the access policy of ``require(permission)``, but the
    endpoint is ``async`` and passes its work to the returned ``InWorker``: ``await run(lambda db, who: ...)``.

    With ``require`` and ``Db`` a request takes five thread hops (session in and out, authentication, the
    endpoint, the commit) and FastAPI's generator-dependency machinery; at 200 checks/s on two cores that cost
    about as much CPU as the check itself. Here it is one hop, and the session commits before the response
    is built, exactly like ``Db``. Such an endpoint takes its body raw and validates it in the work with
    ``parse_body``, after the caller is authorised (an anonymous or unauthorised caller gets 401/403, never a
    422 describing the body); ``openapi_body`` documents it."""

    async def dependency(request: Request) -> InWorker:
        return InWorker(request, permission, rate)

    dependency.fanzha_policy = permission
    dependency.__name__ = f"in_worker_{permission.name.lower()}"
    return dependency


def parse_body(model: type[M], raw: bytes) -> M:
    """The JSON body as ``model``, or the 422 FastAPI gives for a declared body (same error shape)."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


def openapi_body(model: type[BaseModel]) -> dict:
    """``openapi_extra`` of a route that takes ``model`` as its JSON body through ``parse_body``."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node):
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(defs[ref.rsplit("/", 1)[1]])
            return {k: inline(v) for k, v in node.items()}
        return [inline(v) for v in node] if isinstance(node, list) else node

    return {"requestBody": {"required": True, "content": {"application/json": {"schema": inline(schema)}}}}


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
