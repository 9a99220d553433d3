"""The pages' routes: `/` (runs and production calls), `/runs/{run_id}`, `/calls/{id}`, and
`/login` / `/logout` for browsers. Same API keys as the Create Call API (see `session`)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from ringback.simulator.evaluate.stored import load_evaluation
from ringback.simulator.store.linking import AGENT_SIDE

from ..api import CollectorState
from . import pages
from .responses import PageError, html, redirect
from .session import (
    LoginRejected,
    LoginRequired,
    Viewer,
    check_login,
    cross_site,
    forget,
    identify,
    read_login,
    remember,
)

LIST_LIMIT = 100
"""The list page shows at most this many runs and this many production calls."""
_RECORD_ID = re.compile(r"[0-9]{1,18}")


class PageRoute(APIRoute):
    """Sends a browser without a working key to `/login` (303) and answers `PageError`
    with an error page; the API's `ApiError`s (401 for scripts) go to the app's handler."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                response = redirect("/login?expired=1" if exc.expired else "/login")
                if exc.expired:
                    forget(response, request)
                return response
            except PageError as exc:
                return html(pages.error_page(None, exc.title, exc.message), exc.status)

        return guarded


router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _state(request: Request) -> CollectorState:
    return request.app.state.collector  # type: ignore[no-any-return]


async def _viewer(request: Request) -> Viewer:
    viewer = await identify(request, _state(request).auth)
    request.state.log["workspace"] = viewer.workspace_id
    return viewer


def _not_found(viewer: Viewer, message: str) -> Response:
    """The same answer for an unknown id and another workspace's."""
    return html(pages.error_page(viewer, "Not found", message), 404)


@router.get("/")
async def home(request: Request) -> Response:
    """The workspace's runs and production calls, newest first."""
    viewer, store = await _viewer(request), _state(request).store
    runs = await store.list_runs(viewer.workspace_id, LIST_LIMIT + 1)
    calls = await store.list_calls(
        viewer.workspace_id, linked=False, side=AGENT_SIDE, limit=LIST_LIMIT + 1
    )
    return html(pages.index_page(viewer, runs, calls, LIST_LIMIT))


@router.get("/runs/{run_id}")
async def run_page(request: Request, run_id: str) -> Response:
    """A run's report (when evaluated) or its results and how to evaluate it."""
    viewer, store = await _viewer(request), _state(request).store
    ws = viewer.workspace_id
    run = await store.get_run(ws, run_id)
    if run is None:
        return _not_found(viewer, f"No run {run_id!r} in this workspace.")
    results = await store.list_results(ws, run_id)
    if run.evaluation is None:
        return html(pages.run_page(viewer, run, results, None))
    evaluation = await load_evaluation(store, ws, run_id)
    # A report of a few hundred calls takes tens of ms to render: off the event loop.
    page = await asyncio.to_thread(pages.run_page, viewer, run, results, evaluation)
    return html(page)


@router.get("/calls/{record_id}")
async def call_page(request: Request, record_id: str) -> Response:
    """One stored call by its record id (the Create Call answer's `id`)."""
    viewer, store = await _viewer(request), _state(request).store
    ws = viewer.workspace_id
    call = await store.get_call(ws, int(record_id)) if _RECORD_ID.fullmatch(record_id) else None
    if call is None:
        return _not_found(viewer, f"No call {record_id!r} in this workspace.")
    linked = await store.get_result(ws, call.result_id) if call.result_id else None
    return html(pages.call_page(viewer, call, linked))


@router.get("/login")
async def login_form(request: Request) -> Response:
    """The login form (straight to the list with `--no-auth`)."""
    if _state(request).settings.no_auth:
        return redirect("/")
    return html(pages.login_page(expired=request.query_params.get("expired") == "1"))


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the form's key; set the cookie and go to the list, or show the form again (401)."""
    state = _state(request)
    if state.settings.no_auth:
        return redirect("/")
    if cross_site(request):
        return _cross_site()
    try:
        key = await read_login(request)
        principal = await check_login(state.auth, key)
    except LoginRejected as exc:
        return html(pages.login_page(error=str(exc)), 401)
    request.state.log["workspace"] = principal.workspace_id
    response = redirect("/")
    remember(response, request, key)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Clear the cookie and go back to the login form."""
    if cross_site(request):
        return _cross_site()
    response = redirect("/" if _state(request).settings.no_auth else "/login")
    forget(response, request)
    return response


def _cross_site() -> Response:
    message = "Another site's page posted this form; log in or out from the collector's pages."
    return html(pages.error_page(None, "Refused", message), 403)
