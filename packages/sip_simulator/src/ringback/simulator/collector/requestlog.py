"""ASGI middleware: a request id on every answer and one log line per request."""

from __future__ import annotations

import json
import logging
import random
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("ringback.collector.access")

REQUEST_ID_HEADER = "x-request-id"
_VALID_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def request_id_from(scope: Scope) -> str:
    """The client's X-Request-Id when it is a plain token, else a fresh one."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = bytes(value).decode("latin-1").strip()
            if _VALID_ID.fullmatch(text):
                return text
            break
    return f"{random.getrandbits(128):032x}"  # not a secret: no need for os.urandom


class RequestLogMiddleware:
    """Echo (or assign) `x-request-id`, answer unexpected errors with a JSON 500 that carries
    it, and log `METHOD path -> status in ms [x-request-id ...]` plus what the handler noted in
    `request.state.log` (never headers or the query string, so never a key)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["log"] = {}
        status = 0
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unexpected error [x-request-id %s]", request_id)
            if status == 0:
                await _internal_error(send_with_id, request_id)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            logger.info(
                "%s %s -> %s in %.1f ms [x-request-id %s]%s",
                scope.get("method", "?"),
                scope.get("path", "?"),
                status or "no answer",
                elapsed,
                request_id,
                _details(state.get("log")),
            )


def _details(log: Any) -> str:
    if not isinstance(log, dict) or not log:
        return ""
    return "".join(f" {k}={_value(v)}" for k, v in log.items())


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=True)  # quoted and escaped: no log injection


async def _internal_error(send: Send, request_id: str) -> None:
    body = json.dumps(
        {
            "detail": "internal error in the collector; the server log has the details under "
            f"this request id ({request_id})"
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
