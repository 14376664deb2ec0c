"""The FastAPI application factory: routes, error format, health, metrics, sign-in and pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from alerts.lifecycle import AlertStatus
from telecare import __version__
from telecare.config import Settings
from telecare.models import Alert
from web import alerts_api, api, queries
from web.security import COOKIE, require_caller, session_cookie_value, token_matches

HealthCheck = Callable[[], dict[str, bool]]
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def create_app(
    settings: Settings, session_factory: sessionmaker[Session], health: HealthCheck
) -> FastAPI:
    app = FastAPI(
        title="Telecare event monitoring",
        version=__version__,
        description="Sensor events in, alerts out. Every route except /health needs a caller: "
        "`Authorization: Bearer <TELECARE_API_TOKEN>`.",
        # The stock /docs and /redoc pages load their scripts from a CDN; pages here load nothing
        # from outside. The OpenAPI document itself is served below, to callers only.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.include_router(api.router)
    app.include_router(alerts_api.router)
    app.include_router(alerts_api.ack_router)
    _error_format(app)

    @app.get("/health", tags=["operations"], summary="Broker and database reachability")
    def health_route() -> JSONResponse:
        checks = health()
        ok = all(checks.values())
        return JSONResponse(
            {"status": "ok" if ok else "degraded", **checks}, status_code=200 if ok else 503
        )

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(require_caller)])
    def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/metrics", tags=["operations"], dependencies=[Depends(require_caller)])
    def metrics_route() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(request, "login.html", {"error": None})

    @app.post("/login", response_class=HTMLResponse, include_in_schema=False)
    def login(request: Request, token: Annotated[str, Form(max_length=200)]) -> Response:
        if not token_matches(settings, token):
            return TEMPLATES.TemplateResponse(
                request, "login.html", {"error": "That access token is not right."}, status_code=401
            )
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            COOKIE,
            session_cookie_value(settings),
            httponly=True,
            samesite="strict",
            secure=settings.environment == "production",
            max_age=12 * 3600,
        )
        return response

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def alerts_page(request: Request) -> Response:
        try:
            require_caller(request)
        except StarletteHTTPException:
            return RedirectResponse("/login", status_code=303)
        with session_factory() as session:
            rows, total = queries.page(
                session,
                queries.alerts_query(),
                [Alert.created_at.desc(), Alert.id.desc()],
                100,
                0,
            )
            households = queries.list_households(session)
        open_states = {AlertStatus.TRIGGERED.value, AlertStatus.ACKNOWLEDGED.value}
        return TEMPLATES.TemplateResponse(
            request,
            "alerts.html",
            {
                "alerts": [queries.alert_dict(a, h) for a, h in rows],
                "total": total,
                "households": households,
                "open_states": open_states,
            },
        )

    return app


def _error_format(app: FastAPI) -> None:
    """Every error is ``{"error": {"code", "message"}}`` with the right status code."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
        return JSONResponse(
            {"error": {"code": code.get(exc.status_code, "http_error"), "message": str(exc.detail)}},
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
