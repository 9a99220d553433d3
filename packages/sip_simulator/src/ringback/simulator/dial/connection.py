"""The LiveKit server API connection, from `LIVEKIT_URL` / `LIVEKIT_API_KEY` /
`LIVEKIT_API_SECRET`."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlparse

import aiohttp
from livekit import api

from ringback.core.errors import RingbackError

ENV_VARS = ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET")
ACCESS_CODES = frozenset(
    {api.ServerErrorCode.UNAUTHENTICATED, api.ServerErrorCode.PERMISSION_DENIED}
)
REQUEST_TIMEOUT_S = 10.0
"""For every request but `CreateSIPParticipant`, whose timeout follows the ringing timeout."""


class LiveKitConfigError(RingbackError, ValueError):
    """The LiveKit connection is not configured; the message names what is missing."""


class LiveKitAccessError(RingbackError, RuntimeError):
    """LiveKit refused the API key or its grants."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code

    @classmethod
    def from_server_error(cls, exc: api.ServerError, doing: str) -> LiveKitAccessError:
        return cls(f"{doing}: {access_hint(exc)}", code=exc.code)


class LiveKitUnreachableError(RingbackError, ConnectionError):
    """Nothing answers at `LIVEKIT_URL` (refused, no route, no such host)."""


def access_hint(exc: api.ServerError) -> str:
    """Explain an unauthenticated / permission_denied answer (no secret in it)."""
    if exc.code == api.ServerErrorCode.UNAUTHENTICATED:
        return (
            f"LiveKit did not accept the API credentials ({exc.code}: {exc.message}); check "
            "LIVEKIT_API_KEY and LIVEKIT_API_SECRET belong to the project at LIVEKIT_URL"
        )
    return (
        f"LiveKit refused the request ({exc.code}: {exc.message}); the API key lacks a grant "
        "Ringback needs (sip.admin for trunks, sip.call to dial, roomCreate/roomAdmin for rooms "
        "and dispatch)"
    )


@dataclass(frozen=True)
class LiveKitConnection:
    url: str
    api_key: str
    api_secret: str = field(repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LiveKitConnection:
        """Read the three variables; a missing one is an error naming it."""
        env = os.environ if env is None else env
        values = {name: env.get(name, "").strip() for name in ENV_VARS}
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise LiveKitConfigError(
                f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: Ringback "
                "dials through the LiveKit SIP API and needs LIVEKIT_URL, LIVEKIT_API_KEY and "
                "LIVEKIT_API_SECRET (export them, or use --dry-run to only print the plan)"
            )
        url = values["LIVEKIT_URL"]
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https", "ws", "wss") or not parsed.netloc:
            raise LiveKitConfigError(
                f"LIVEKIT_URL={url!r} is not a URL; write e.g. wss://my-project.livekit.cloud"
            )
        return cls(url, values["LIVEKIT_API_KEY"], values["LIVEKIT_API_SECRET"])

    @asynccontextmanager
    async def open(self, *, concurrency: int = 10) -> AsyncIterator[api.LiveKitAPI]:
        """A `LiveKitAPI` whose connection pool fits `concurrency` calls (aiohttp's default
        pool of 100 would queue ringing calls behind each other and time them out)."""
        connector = aiohttp.TCPConnector(limit=max(100, 2 * concurrency + 10))
        session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
        )
        client = api.LiveKitAPI(self.url, self.api_key, self.api_secret, session=session)
        try:
            yield client
        finally:
            await client.aclose()
            await session.close()
