"""The FastAPI application factory: routers, the error format, health, metrics and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from telecare import __version__
from telecare.account_models import AuditEntry
from telecare.config import Settings
from telecare.db import session_scope
from web import (
    accounts_api,
    alerts_api,
    api,
    feed_api,
    installer_api,
    installer_pages,
    pages,
    stream,
)
from web.auth import Admin, CallerDep, LoginRequired, clock_now
from web.schemas import ErrorOut

HealthCheck = Callable[[], dict[str, bool]]
ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 429: "rate_limited"}


def create_app(
    settings: Settings, session_factory: sessionmaker[Session], health: HealthCheck
) -> FastAPI:
    app = FastAPI(
        title="Telecare event monitoring",
        version=__version__,
        description=(
            "Sensor events in, alerts out. Every route except /health and the sign-in page needs a "
            "signed-in user: `Authorization: Bearer <API token>` (create one with `POST /api/tokens` "
            "or `telecare user token`), or the session cookie of a browser signed in at /login, which "
            "must send its CSRF token in `X-CSRF-Token` with every change. What a caller sees is "
            "limited to the households linked to their account; others answer 404. Errors are "
            '`{"error": {"code", "message"}}`.'
        ),
        # The stock /docs and /redoc pages load their scripts from a CDN; pages here load nothing
        # from outside. The OpenAPI document itself is served below, to callers only.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    # The stream first: /api/alerts/stream must not be taken for /api/alerts/{alert_id}.
    for module in (stream, api, alerts_api, accounts_api, feed_api, installer_api):
        app.include_router(module.router)
    app.include_router(alerts_api.ack_router)
    app.include_router(pages.router)
    app.include_router(installer_pages.router)
    pages.mount_static(app)
    _error_format(app)
    _document_errors(app)
    _audit_log(app, session_factory)

    @app.get("/health", tags=["operations"], summary="Broker and database reachability",
             responses={503: {"description": "the broker or the database is unreachable"}})
    def health_route() -> JSONResponse:
        checks = health()
        ok = all(checks.values())
        return JSONResponse(
            {"status": "ok" if ok else "degraded", **checks}, status_code=200 if ok else 503
        )

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_document(caller: CallerDep) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics (administrators)",
             response_class=Response, responses={200: {"content": {"text/plain": {}}},
                                                 401: {"model": ErrorOut}, 403: {"model": ErrorOut}})
    def metrics_route(caller: Admin) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


def _error_format(app: FastAPI) -> None:
    """Every error is ``{"error": {"code", "message"}}`` with the right status code."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_page(request):
            return pages.render(request, "error.html", getattr(request.state, "caller", None),
                                status=exc.status_code, message=str(exc.detail))
        return JSONResponse(
            {"error": {"code": ERROR_CODES.get(exc.status_code, "http_error"),
                       "message": str(exc.detail)}},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        )
        return JSONResponse(
            {"error": {"code": "invalid_request", "message": problems}}, status_code=422
        )

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


def _document_errors(app: FastAPI) -> None:
    """The document shows the error format actually sent: FastAPI's default 422 body is never sent."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            for operation in (op for ops in document.get("paths", {}).values() for op in ops.values()):
                invalid = operation.get("responses", {}).get("422")
                if invalid and "HTTPValidationError" in str(invalid):
                    invalid["content"] = {"application/json": {
                        "schema": {"$ref": "#/components/schemas/ErrorOut"}}}
            schemas = document.get("components", {}).get("schemas", {})
            if "HTTPValidationError" not in str(document.get("paths")):
                schemas.pop("HTTPValidationError", None)
                schemas.pop("ValidationError", None)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _wants_page(request: Request) -> bool:
    path = request.url.path
    return (not path.startswith(("/api/", "/openapi", "/metrics", "/health", "/ack/"))
            and "text/html" in request.headers.get("accept", ""))


def _audit_log(app: FastAPI, session_factory: sessionmaker[Session]) -> None:
    """Who viewed or changed what: one row per request made by a signed-in caller.

    Written when the response starts, before any of it is sent (a failed write still fails the
    request). A plain ASGI middleware: ``@app.middleware("http")`` costs a task group, a stream and a
    wrapped response on every request.
    """

    def write(entry: dict[str, Any]) -> None:
        with session_scope(session_factory) as session:
            session.connection().execute(insert(AuditEntry), entry)  # Core: no unit of work to flush

    class Audit:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                return await self.app(scope, receive, send)

            async def audited(message: Any) -> None:
                if message["type"] == "http.response.start":
                    state = scope.get("state") or {}
                    request = Request(scope)
                    caller = state.get("caller")
                    if caller is not None and not request.url.path.startswith("/static/"):
                        await run_in_threadpool(write, {
                            "at": clock_now(request),
                            "user_id": caller.user_id,
                            "actor": caller.username,
                            "action": "view" if request.method in ("GET", "HEAD") else "change",
                            "method": request.method,
                            "path": request.url.path[:300],
                            "status": message["status"],
                            "household_id": state.get("audit_household"),
                            "detail": "",
                        })
                await send(message)

            await self.app(scope, receive, audited)

    app.add_middleware(Audit)
