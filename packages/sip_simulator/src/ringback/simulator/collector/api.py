"""The Create Call endpoint, `POST /api/v1/public/call`, and a small read API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import QueryParams

from ringback.core.protocol import CALL_PATH
from ringback.simulator.store import KeyRevokedError, PreparedCall, Store

from .auth import Authenticator, Principal, authorize, revoked
from .defaults import DEFAULT_WORKSPACE_ID
from .errors import ApiError
from .limits import read_body
from .prepare import BodyError, FieldError, prepare_call, summary
from .settings import CollectorSettings

CALLS_ENDPOINT = "/api/v1/calls"
MAX_AGENT_ID_CHARS = 256
_THREAD_PREPARE_BYTES = 256 * 1024
"""Bodies at least this large are validated in a thread so the event loop keeps serving."""

router = APIRouter()


@dataclass(frozen=True, slots=True)
class CollectorState:
    """What the routes share, kept on `app.state.collector`."""

    store: Store
    settings: CollectorSettings
    auth: Authenticator


def _state(request: Request) -> CollectorState:
    return request.app.state.collector  # type: ignore[no-any-return]


@router.post(CALL_PATH)
async def create_call(request: Request) -> JSONResponse:
    """Store one finished call: 201 new, 200 identical retry, 409 same id with another body."""
    state = _state(request)
    principal = await state.auth.authenticate(request.headers, cached=True)
    workspace_id, agent_id = call_target(request.query_params)
    log = request.state.log
    log.update(workspace=workspace_id, agent=agent_id)
    authorize(principal, workspace_id)
    raw = await read_body(request, state.settings.max_body_bytes)
    call = await _prepare(raw)
    log["call_id"] = call.record.call_id
    try:
        outcome = await state.store.ingest_call(
            workspace_id,
            agent_id,
            call,
            api_key_id=principal.key_id,
            request_id=request.state.request_id,
        )
    except KeyRevokedError:
        if principal.key_id is not None:
            state.auth.forget(principal.key_id)
        raise revoked() from None
    log.update(id=outcome.id, new=outcome.is_new)
    if outcome.result_id:
        log["result"] = outcome.result_id
    if outcome.conflict:
        raise ApiError(
            409,
            f"call_id {call.record.call_id!r} is already stored for agent {agent_id!r} in "
            f"workspace {workspace_id} with a different body; a call id identifies one call "
            "(send a retry unchanged, or use a new call_id for a new call)",
            id=outcome.id,
        )
    return JSONResponse(
        {"id": outcome.id, "is_new": outcome.is_new}, status_code=201 if outcome.is_new else 200
    )


async def _prepare(raw: bytes) -> PreparedCall:
    try:
        if len(raw) >= _THREAD_PREPARE_BYTES:
            return await asyncio.to_thread(prepare_call, raw)
        return prepare_call(raw)
    except BodyError as exc:
        raise ApiError(422, str(exc), errors=[e.as_dict() for e in exc.errors]) from None


def call_target(query: QueryParams) -> tuple[int, str]:
    """`workspace_id` and `agent_remote_identifier` from the query, or `ApiError(422)`."""
    errors: list[FieldError] = []
    workspace_id = _workspace(query.get("workspace_id"), errors, required=True)
    agent_id = query.get("agent_remote_identifier")
    if agent_id is None or not agent_id.strip():
        errors.append(_query_error("agent_remote_identifier", "is required (your agent's id)"))
    elif len(agent_id) > MAX_AGENT_ID_CHARS:
        errors.append(
            _query_error("agent_remote_identifier", f"is longer than {MAX_AGENT_ID_CHARS} chars")
        )
    if errors:
        raise ApiError(422, summary(errors), errors=[e.as_dict() for e in errors])
    assert workspace_id is not None
    assert agent_id is not None
    return workspace_id, agent_id


def _workspace(value: str | None, errors: list[FieldError], *, required: bool) -> int | None:
    if value is None or not value.strip():
        if required:
            errors.append(_query_error("workspace_id", "is required (a positive integer)"))
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        errors.append(_query_error("workspace_id", f"must be a positive integer, not {value!r}"))
        return None
    return number


def _query_error(name: str, message: str) -> FieldError:
    return FieldError(name, message, "value_error", location="query")


# ── read API ──────────────────────────────────────────────────────────────────
def _read_workspace(principal: Principal, query: QueryParams) -> int:
    errors: list[FieldError] = []
    given = _workspace(query.get("workspace_id"), errors, required=False)
    if errors:
        raise ApiError(422, summary(errors), errors=[e.as_dict() for e in errors])
    workspace_id = given or principal.workspace_id or DEFAULT_WORKSPACE_ID
    authorize(principal, workspace_id)
    return workspace_id


def _flag(query: QueryParams, name: str) -> bool | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise ApiError(422, f"{name} must be true or false, not {value!r}")


def _int(query: QueryParams, name: str, default: int | None) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ApiError(422, f"{name} must be an integer, not {value!r}") from None


@router.get(CALLS_ENDPOINT)
async def list_calls(request: Request) -> JSONResponse:
    """The key's workspace's calls, newest first (`?linked=`, `?side=`, `?limit=`,
    `?before_id=`); each says whether it is linked or production traffic."""
    state = _state(request)
    principal = await state.auth.authenticate(request.headers)
    query = request.query_params
    workspace_id = _read_workspace(principal, query)
    found = await state.store.list_calls(
        workspace_id,
        linked=_flag(query, "linked"),
        side=query.get("side") or None,
        limit=_int(query, "limit", 100) or 100,
        before_id=_int(query, "before_id", None),
    )
    return JSONResponse(
        {
            "workspace_id": workspace_id,
            "calls": [{**c.model_dump(mode="json"), "production": c.production} for c in found],
        }
    )


@router.get(CALLS_ENDPOINT + "/{id}")
async def get_call(request: Request, id: int) -> JSONResponse:
    """One stored call with its canonical body; 404 outside the key's workspace."""
    state = _state(request)
    principal = await state.auth.authenticate(request.headers)
    workspace_id = _read_workspace(principal, request.query_params)
    call = await state.store.get_call(workspace_id, id)
    if call is None:
        raise ApiError(404, f"no call {id} in workspace {workspace_id}")
    return JSONResponse({**call.model_dump(mode="json"), "production": call.production})
