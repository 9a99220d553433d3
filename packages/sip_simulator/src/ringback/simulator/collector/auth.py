"""Bearer API keys: who is calling, and may they write to this workspace.

A key belongs to one workspace. A missing, unknown or revoked key is 401; a valid key used
with another workspace's `workspace_id` is 403 (the caller is known, the target is not
theirs). Messages never contain the key. With `--no-auth` any request is accepted, but only
when addressed to a loopback name (`Host`), so a DNS-rebinding page cannot read or write.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from ringback.simulator.store import KeyInfo, Store
from ringback.simulator.store.api_key_format import hash_key

from .errors import ApiError
from .settings import is_loopback

_CREATE_HINT = "create one with `ringback-sim keys create --workspace N`"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="ringback"'}


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    key_id: int | None
    workspace_id: int | None
    """None only with `--no-auth`, where the request's workspace_id is trusted."""


NO_AUTH = Principal(key_id=None, workspace_id=None)


CACHE_SECONDS = 5.0
_CACHE_MAX = 1024


class Authenticator:
    """Checks `Authorization: Bearer <key>` against the store's hashed keys.

    With `cached=True` (the write path) an active key found in the last `CACHE_SECONDS` is
    not looked up again; that path's write transaction re-checks the key (see
    `Store.ingest_call`), so a revoked key never stores anything.
    """

    def __init__(self, store: Store, *, no_auth: bool = False) -> None:
        self.store = store
        self.no_auth = no_auth
        self._cache: dict[str, tuple[float, KeyInfo]] = {}
        """Key hash -> (expiry, key); the secret itself is not kept."""

    async def authenticate(self, headers: Mapping[str, str], *, cached: bool = False) -> Principal:
        """The caller, or `ApiError(401)` saying what is wrong (`ApiError(403)` with
        `--no-auth` for a request not addressed to a loopback host)."""
        if self.no_auth:
            if not loopback_host(headers):
                raise ApiError(403, not_loopback(headers))
            return NO_AUTH
        key = bearer_key(headers)
        info = self._cached(key) if cached else None
        if info is None:
            info = await self.store.find_key(key)
            if info is not None and info.active:
                self._remember(key, info)
        if info is None:
            raise _unauthorized(
                "invalid API key: no key matches it. Check RINGBACK_API_KEY (a key is shown "
                f"only when it is created), or {_CREATE_HINT}"
            )
        if not info.active:
            raise revoked()
        return Principal(key_id=info.id, workspace_id=info.workspace_id)

    def forget(self, key_id: int) -> None:
        """Drop a key from the cache (it was found revoked)."""
        self._cache = {k: v for k, v in self._cache.items() if v[1].id != key_id}

    def _cached(self, key: str) -> KeyInfo | None:
        entry = self._cache.get(hash_key(key))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def _remember(self, key: str, info: KeyInfo) -> None:
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[hash_key(key)] = (time.monotonic() + CACHE_SECONDS, info)


def loopback_host(headers: Mapping[str, str]) -> bool:
    """The request's `Host` is a loopback name or address (localhost, 127.0.0.1, [::1]), with
    any port."""
    host = headers.get("host", "").strip()
    if host.startswith("["):
        name, closed, _ = host[1:].partition("]")
        return bool(closed) and is_loopback(name)
    return is_loopback(host.rpartition(":")[0] if ":" in host else host)


def not_loopback(headers: Mapping[str, str]) -> str:
    """Why a `--no-auth` collector refuses a request addressed to another host."""
    host = headers.get("host", "")[:100] or "(none)"
    return (
        f"with --no-auth the collector answers only requests addressed to a loopback host "
        f"(localhost, 127.0.0.1, [::1]), not Host {host!r}; use http://127.0.0.1:PORT, or "
        "run it with API keys"
    )


def revoked() -> ApiError:
    """The 401 for a key that is revoked."""
    return _unauthorized(f"invalid API key: this key was revoked; {_CREATE_HINT}")


def bearer_key(headers: Mapping[str, str]) -> str:
    """The key from `Authorization: Bearer <key>`, or `ApiError(401)`."""
    value = headers.get("authorization")
    if value is None or not value.strip():
        if headers.get("x-api-key"):
            raise _unauthorized(
                "missing API key: send it as `Authorization: Bearer <key>`; "
                "the X-API-Key header is not read"
            )
        raise _unauthorized(f"missing API key: send `Authorization: Bearer <key>` ({_CREATE_HINT})")
    scheme, _, key = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise _unauthorized("the Authorization header must be `Bearer <key>`")
    return key.strip()


def authorize(principal: Principal, workspace_id: int) -> None:
    """`ApiError(403)` unless the caller's key belongs to `workspace_id`."""
    if principal.workspace_id is None or principal.workspace_id == workspace_id:
        return
    raise ApiError(
        403,
        f"this API key belongs to workspace {principal.workspace_id}, not workspace "
        f"{workspace_id}: send workspace_id={principal.workspace_id}, or use a key of "
        f"workspace {workspace_id}",
    )


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, detail, headers=dict(_CHALLENGE))
