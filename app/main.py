"""Composition root: builds the Starlette app (/graphql, pages, static, health)."""

from __future__ import annotations

import contextlib
import logging

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from tortoise import connections
from tortoise.contrib.starlette import RegisterTortoise

from app.api.errors import unavailable_body
from app.api.http import GraphQLApp
from app.api.deps import MobileDeps
from app.api.schema import schema
from app.config import Settings, get_settings
from app.db import close_reporting, tortoise_config
from app.middleware import (
    BodyLimitMiddleware, CSRFMiddleware, HeadAsGetMiddleware, RequestIdMiddleware, RequestMetricsMiddleware,
    SecurityHeadersMiddleware, ServiceUnavailableMiddleware,
)
from app.domain.errors import Forbidden, NotFound
from app.wiring import Adapters, allowance_policy, extension_policy, external_data_policy, guarantee_policy, maker_checker_policy, online_credit_policy, renewal_policy, sign_in_policy, visit_policy
from ui import health
from ui.common import forbidden, method_not_allowed, not_found
from ui.routes import routes as page_routes
from ui.static_files import StaticAssets
from ui.templating import build_templates

logger = logging.getLogger(__name__)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready = this web process can reach its database. Redis is reported, not required: a page that
    enqueues keeps its row as the outbox while Redis is away (workers and queue: /healthz/operations)."""
    checks = {}
    try:
        await connections.get("default").execute_query("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; the reason is logged, not shown
        logger.warning("readiness: database check failed: %s", type(exc).__name__)
        checks["database"] = "unavailable"
    try:
        checks["redis"] = "ok" if await request.app.state.queue.ping() else "unavailable"
    except Exception as exc:
        logger.warning("readiness: redis check failed: %s", type(exc).__name__)
        checks["redis"] = "unavailable"
    ready = checks["database"] == "ok"
    return JSONResponse({"status": "ready" if ready else "not ready", **checks}, status_code=200 if ready else 503)


def create_app(settings: Settings | None = None, *, manage_db: bool = True) -> Starlette:
    """`manage_db=False` when the caller (a test) has already opened tortoise.

    The outside systems are built here, once (`Adapters.from_settings`), and kept in `app.state`
    under their names, with the visit policy; pages and the GraphQL context read them from there.
    """
    settings = settings or get_settings()
    assets = StaticAssets(settings.ui_dir / "static")  # read and hashed once (templates: static_url)
    adapters = Adapters.from_settings(settings)
    mobile = MobileDeps(settings=settings, sms=adapters.sms, bureau=adapters.bureau, media=adapters.media,
                        policy=sign_in_policy(settings), external=adapters.external, online=online_credit_policy(settings),
                        queue=adapters.queue, signing_kit=adapters.signing_kit)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        queue = app.state.queue
        if manage_db:
            async with RegisterTortoise(app, config=tortoise_config(settings)):
                yield
        else:
            yield
        await queue.close()
        await close_reporting()

    app = Starlette(
        debug=False,
        routes=[
            Route("/healthz", healthz, name="healthz"),
            Route("/readyz", readyz, name="readyz"),
            Route("/healthz/operations", health.operations, name="healthz_operations"),
            Route("/metrics", health.metrics_endpoint, name="metrics"),
            Route("/graphql", GraphQLApp(schema, settings, mobile=mobile), methods=["GET", "POST"], name="graphql"),
            Mount("/static", assets, name="static"),
            *page_routes,
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(SecurityHeadersMiddleware, hsts=settings.env == "prod", skip_csp=("/graphql",) if settings.is_dev else ()),
            Middleware(RequestMetricsMiddleware),
            Middleware(ServiceUnavailableMiddleware, json_paths=("/graphql",), json_body=unavailable_body()),
            Middleware(HeadAsGetMiddleware),  # before CSRF: a HEAD never reaches a POST branch
            Middleware(BodyLimitMiddleware, max_body=settings.max_form_bytes),  # forms and /graphql; uploads keep max_upload_bytes
            Middleware(
                CSRFMiddleware,
                csrf_cookie=settings.csrf_cookie,
                session_cookie=settings.session_cookie,
                max_body=settings.max_upload_bytes,
                secure=settings.env == "prod",
            ),
        ],
        lifespan=lifespan,
        exception_handlers={NotFound: not_found, Forbidden: forbidden, 404: not_found, 405: method_not_allowed},
    )
    app.state.settings = settings
    app.state.templates = build_templates(settings, assets)
    for name, adapter in adapters.by_name().items():
        setattr(app.state, name, adapter)
    app.state.visit_policy = visit_policy(settings)
    app.state.maker_checker_policy = maker_checker_policy(settings)
    app.state.allowance_policy = allowance_policy(settings)
    app.state.extension_policy = extension_policy(settings)
    app.state.renewal_policy = renewal_policy(settings)
    app.state.guarantee_policy = guarantee_policy(settings)
    app.state.online_credit_policy = online_credit_policy(settings)
    app.state.external_data_policy = external_data_policy(settings)
    return app
