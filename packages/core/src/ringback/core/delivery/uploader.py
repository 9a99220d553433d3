"""One HTTP request to a Create Call API, and the retry loop around it."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_result

from ringback.core.protocol import CALL_PATH
from ringback.core.settings import Sink

from .policy import PolicyWait, RetryPolicy, StopAtDeadline, Verdict, parse_retry_after, verdict_for
from .sinks import Redactor

logger = logging.getLogger("ringback.delivery")

MAX_MESSAGE_CHARS = 500
_MAX_BODY_BYTES = 65_536

Sleep = Callable[[float], Awaitable[None]]


def _user_agent() -> str:
    try:
        return f"ringback-core/{version('ringback-core')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "ringback-core/0+unknown"


USER_AGENT = _user_agent()


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one HTTP attempt."""

    verdict: Verdict
    request_id: str
    http_status: int | None = None
    server_request_id: str | None = None
    retry_after: float | None = None
    location: str | None = None
    message: str | None = None
    """The server's explanation (bounded), or what went wrong on the way."""

    @property
    def ids(self) -> str:
        """The request ids for a log line: ours, and the server's when it sent one."""
        if self.server_request_id:
            return f"[x-request-id {self.request_id}, server {self.server_request_id}]"
        return f"[x-request-id {self.request_id}]"


@dataclass(frozen=True, slots=True)
class SendResult:
    """The last attempt of a send, and how many were made."""

    last: Attempt
    attempts: int


class Uploader:
    """POSTs call bodies to sinks through one shared `httpx.AsyncClient`."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        request_timeout: float,
        policy: RetryPolicy,
        redact: Redactor,
        sleep: Sleep | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.request_timeout = request_timeout
        self.policy = policy
        self.redact = redact
        self.sleep: Sleep = sleep or asyncio.sleep
        self.clock = clock
        self.rng = rng

    async def attempt(self, sink: Sink, body: bytes, *, agent_id: str, timeout: float) -> Attempt:
        """One POST; transport errors and timeouts become a retryable `Attempt`, never raise."""
        request_id = uuid.uuid4().hex
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Request-Id": request_id,
        }
        if sink.api_key is not None and sink.api_key.get_secret_value():
            headers["Authorization"] = f"Bearer {sink.api_key.get_secret_value()}"
        params = {"workspace_id": str(sink.workspace_id), "agent_remote_identifier": agent_id}
        try:
            status, resp_headers, raw = await asyncio.wait_for(
                self._post(sink.base_url + CALL_PATH, body, params, headers, timeout), timeout
            )
        except (asyncio.TimeoutError, httpx.TimeoutException):
            return Attempt(Verdict.RETRY, request_id, message=f"no answer within {timeout:.1f}s")
        except httpx.TransportError as exc:
            text = self.redact(str(exc) or "connection failed")
            return Attempt(Verdict.RETRY, request_id, message=f"{type(exc).__name__}: {text}")
        verdict = verdict_for(status)
        server_id = resp_headers.get("x-request-id")
        message = None if verdict in (Verdict.DELIVERED, Verdict.ALREADY_STORED) else raw
        attempt = Attempt(
            verdict,
            request_id,
            http_status=status,
            server_request_id=server_id,
            retry_after=parse_retry_after(resp_headers.get("retry-after")),
            location=resp_headers.get("location"),
            message=self._message(message) if message is not None else None,
        )
        logger.debug(
            "ringback: POST %s%s [sink %s] -> %s (x-request-id %s, server x-request-id %s)",
            sink.base_url,
            CALL_PATH,
            sink.name,
            status,
            request_id,
            server_id,
        )
        return attempt

    async def _post(
        self,
        url: str,
        body: bytes,
        params: dict[str, str],
        headers: dict[str, str],
        timeout: float,
    ) -> tuple[int, httpx.Headers, bytes]:
        async with self.client.stream(
            "POST", url, content=body, params=params, headers=headers, timeout=timeout
        ) as resp:
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size >= _MAX_BODY_BYTES:
                    break
            return resp.status_code, resp.headers, b"".join(chunks)

    def _message(self, raw: bytes) -> str:
        text = raw.decode("utf-8", "replace").strip()
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            for k in ("detail", "message", "error", "errors"):
                if k in doc:
                    v = doc[k]
                    text = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                    break
        text = " ".join(self.redact(text).split())
        if len(text) > MAX_MESSAGE_CHARS:
            text = text[: MAX_MESSAGE_CHARS - 1] + "…"
        return text

    async def send(
        self,
        sink: Sink,
        body: bytes,
        *,
        agent_id: str,
        deadline_at: float,
        retry: bool = True,
    ) -> SendResult:
        """POST until delivered or a non-retryable answer; retries (with backoff, honouring
        `Retry-After`) only while the next attempt can start before `deadline_at`."""
        count = 0

        async def one() -> Attempt:
            nonlocal count
            count += 1
            remaining = deadline_at - self.clock()
            timeout = max(min(self.request_timeout, remaining), self.policy.min_attempt_time)
            return await self.attempt(sink, body, agent_id=agent_id, timeout=timeout)

        if not retry:
            return SendResult(await one(), count)

        def give_up(state: RetryCallState) -> Attempt:
            assert state.outcome is not None
            return state.outcome.result()  # type: ignore[no-any-return]

        retrying = AsyncRetrying(
            sleep=self.sleep,
            stop=StopAtDeadline(deadline_at, self.clock, self.policy.min_attempt_time),
            wait=PolicyWait(self.policy, self.rng),
            retry=retry_if_result(lambda a: a.verdict is Verdict.RETRY),
            retry_error_callback=give_up,
            before_sleep=lambda s: self._log_retry(sink, s),
        )
        last: Attempt = await retrying(one)
        return SendResult(last, count)

    def _log_retry(self, sink: Sink, state: RetryCallState) -> None:
        if state.outcome is None or state.outcome.failed:
            return
        a: Attempt = state.outcome.result()
        logger.info(
            "ringback: sink %r attempt %d failed (%s), retrying in %.2fs %s",
            sink.name,
            state.attempt_number,
            a.http_status or a.message,
            state.upcoming_sleep,
            a.ids,
        )
