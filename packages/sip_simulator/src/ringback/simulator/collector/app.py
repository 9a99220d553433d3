"""The collector's ASGI application."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ringback.simulator.store import DatabaseUnavailable, Store

from .api import CollectorState, router
from .auth import Authenticator
from .errors import ApiError
from .requestlog import RequestLogMiddleware
from .settings import CollectorSettings
from .web import router as pages_router

logger = logging.getLogger("ringback.collector")


def create_app(store: Store | None = None, settings: CollectorSettings | None = None) -> FastAPI:
    """The collector app. Given a `store`, the app uses it and leaves closing it to the
    caller; without one it opens `settings.database_url` at startup and closes it at
    shutdown."""
    settings = settings or CollectorSettings()

    def attach(app: FastAPI, active: Store) -> None:
        auth = Authenticator(active, no_auth=settings.no_auth)
        app.state.collector = CollectorState(store=active, settings=settings, auth=auth)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if store is not None:
            yield
            return
        opened = await Store.open(settings.database_url)
        attach(app, opened)
        try:
            yield
        finally:
            await opened.close()

    app = FastAPI(
        title="Ringback collector",
        description="A self-hosted Create Call API.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    if store is not None:
        attach(app, store)
    app.include_router(router)
    app.include_router(pages_router)
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(DatabaseUnavailable, _database_error)  # type: ignore[arg-type]
    app.add_middleware(RequestLogMiddleware)

    @app.get("/healthz")
    async def healthz(request: Request) -> JSONResponse:
        """Liveness, unauthenticated: says nothing about stored data."""
        state: CollectorState = request.app.state.collector
        return JSONResponse({"status": "ok", "schema_version": state.store.schema_version})

    return app


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def _database_error(request: Request, exc: DatabaseUnavailable) -> JSONResponse:
    request_id = getattr(request.state, "request_id", "?")
    logger.error("database error [x-request-id %s]: %s", request_id, exc.orig)
    return JSONResponse(
        {"detail": "the collector's database is busy or unavailable; retry shortly"},
        status_code=503,
        headers={"Retry-After": "1"},
    )
