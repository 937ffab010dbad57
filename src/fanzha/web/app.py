"""The application factory. Nothing connects at import; ``create_app`` builds everything from settings."""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from sqlalchemy.orm import sessionmaker

from fanzha.config import Settings, get_settings
from fanzha.web.deps import LoginRequired, has_csrf, is_api, iter_api_routes, policy_of, safe_next
from fanzha.web.security import SecurityMiddleware, install_log_redaction

STATIC = Path(__file__).with_name("static")


def _routers():
    # Domain routers; later issues append theirs here (one line each).
    from fanzha.casework.appeals.views import router as appeals_router
    from fanzha.casework.audit.views import router as audit_router
    from fanzha.casework.auth.views import router as auth_router
    from fanzha.casework.blacklist.views import router as blacklist_router
    from fanzha.casework.cases.views import router as cases_router
    from fanzha.casework.lookup.views import router as lookup_router
    from fanzha.casework.monitor.views import router as monitor_router
    from fanzha.casework.onboarding.views import router as onboarding_router
    from fanzha.casework.market.views import router as market_router
    from fanzha.casework.police.batch_views import router as police_batches_router
    from fanzha.casework.police.views import router as police_router
    from fanzha.casework.reports.views import router as reports_router
    from fanzha.casework.tracing.views import router as tracing_router
    from fanzha.jobs.views import router as jobs_router
    from fanzha.supervision.views import router as supervision_router
    from fanzha.web.pages import router as pages_router

    # The counter check is the hottest route (200 requests/s at a province's counters): its router is matched
    # first (no path overlaps between routers, so the order changes nothing else).
    return [onboarding_router, pages_router, auth_router, lookup_router, audit_router, blacklist_router, cases_router,
            appeals_router, police_router, police_batches_router, supervision_router, jobs_router, tracing_router,
            reports_router, market_router, monitor_router]


@asynccontextmanager
async def _lifespan(_app: FastAPI):
    """At server start: the objects built so far (about 200 k: modules, routes, schemas, the engine) live as long
    as the process, so they are moved out of the garbage collector's sight (``gc.freeze``). A full collection then
    scans only what requests leave behind: under load at the counters it took 100–190 ms with all workers' requests
    stalled behind it (the p99's bursts), now a few ms. Once per process."""
    if not gc.get_freeze_count():
        gc.collect()
        gc.freeze()
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    from fanzha.casework.audit.service import chain_key
    from fanzha.db import engine_for
    from fanzha.privacy import Protector, derived_key
    from fanzha.web.ratelimit import RateLimiter

    settings = settings or get_settings()
    app = FastAPI(
        title="fanzha 反诈 API",
        version="1",
        docs_url=None,  # Swagger UI loads from a CDN; the schema is served at /api/openapi.json instead
        redoc_url=None,
        openapi_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine_for(settings.db_url)
    app.state.sessionmaker = sessionmaker(bind=app.state.engine, expire_on_commit=False)
    app.state.protector = Protector.from_settings(settings)
    app.state.audit_key = chain_key(settings)
    app.state.csrf_key = derived_key(settings.keys()[0], "csrf")
    app.state.limiter = RateLimiter()

    for router in _routers():
        app.include_router(router)
    _check_routes(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    app.add_middleware(SecurityMiddleware, max_bytes=settings.max_request_bytes, hsts=settings.secure_cookies,
                       max_upload_bytes=settings.max_upload_bytes)
    _error_handlers(app)
    install_log_redaction()
    return app


def _check_routes(app: FastAPI) -> None:
    """Refuse to build an app with a route that declares no access policy, or a page form without CSRF."""
    for route in iter_api_routes(app):
        policies = policy_of(route)
        if len(policies) != 1:
            raise RuntimeError(f"route {route.path} {sorted(route.methods)} must declare one policy, has {policies}")
        unsafe = route.methods & {"POST", "PUT", "PATCH", "DELETE"}
        if unsafe and not route.path.startswith("/api/") and not has_csrf(route):
            raise RuntimeError(f"page route {route.path} {sorted(unsafe)} lacks CSRF protection")


def _error_handlers(app: FastAPI) -> None:
    from fanzha.web.templating import render

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired):
        if is_api(request):
            return JSONResponse({"detail": "authentication required"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
        target = request.url.path if request.method == "GET" else "/"
        return RedirectResponse(f"/login?next={quote(safe_next(target))}", status_code=303)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):
        if is_api(request) or exc.status_code in (404, 405) and request.url.path.startswith("/static/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        response = render(request, "error.html", {"status": exc.status_code, "detail": exc.detail},
                          status_code=exc.status_code)  # fmt: skip
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        return response

    @app.exception_handler(DataError)
    async def _bad_data(request: Request, exc: DataError):
        # Safety net: a value the database cannot take (the input types should have refused it first).
        if is_api(request):
            return JSONResponse({"detail": "invalid input"}, status_code=422)
        return render(request, "error.html", {"status": 422, "detail": "输入无效 invalid input"}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        # Never echo the submitted values back: they may be personal data.
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]
        if is_api(request):
            return JSONResponse({"detail": errors}, status_code=422)
        return render(request, "error.html", {"status": 422, "detail": "输入无效 invalid input"}, status_code=422)
