"""Who is looking at a page: an API key from `Authorization: Bearer`, or from the login
cookie, checked with the collector's `Authenticator` on every request.

The cookie holds the API key itself (HttpOnly, SameSite=Strict, Path=/, Secure over https)
and is re-checked on every request, like a bearer header, so a revoked key stops working at
once; the collector keeps no sessions. Another scheme in `Authorization` (a proxy's Basic
auth) leaves the cookie in charge. With `--no-auth` pages are open (workspace 1 unless
`?workspace_id=N`), to requests addressed to a loopback host only.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from fastapi import Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ringback.core.errors import RingbackError

from ..auth import Authenticator, Principal, loopback_host, not_loopback
from ..defaults import DEFAULT_WORKSPACE_ID
from ..errors import ApiError
from ..limits import read_body
from .responses import PageError

COOKIE_NAME = "ringback_key"
MAX_LOGIN_BYTES = 4096
_FORM_TYPE = "application/x-www-form-urlencoded"
_WORKSPACE = re.compile(r"[0-9]{1,18}")


class Viewer(BaseModel):
    """The workspace a page shows, and how the request got in."""

    model_config = ConfigDict(frozen=True)

    workspace_id: int
    via: Literal["bearer", "cookie", "open"]
    """`open` only with `--no-auth`."""
    chosen_workspace: bool = False
    """`--no-auth` with `?workspace_id=N`: links keep the parameter."""

    def href(self, path: str) -> str:
        """A link to `path` that stays in this workspace."""
        if self.via == "open" and self.chosen_workspace:
            return f"{path}?workspace_id={self.workspace_id}"
        return path


class LoginRequired(RingbackError):
    """A browser without a working key: send it to the login form."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("login required")
        self.expired = expired
        """It had a cookie whose key no longer works (revoked or deleted)."""


class LoginRejected(RingbackError):
    """The login form's key was refused; the message never contains the key."""


class LoginForm(BaseModel):
    """The login form's fields."""

    key: str = Field(min_length=1, max_length=512)


def wants_html(request: Request) -> bool:
    """A browser navigation (as opposed to curl or a script)."""
    return "text/html" in request.headers.get("accept", "")


def cross_site(request: Request) -> bool:
    """A form post another site's page made (or one that cannot be told apart from one).

    The browser's `Sec-Fetch-Site` decides when sent; browsers send it only to https and
    localhost, so otherwise (plain http on a LAN address) the `Origin` (else `Referer`) must be
    this collector's own origin, as the request's scheme and `Host` say; a missing or `null`
    one is refused.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    source = request.headers.get("origin") or request.headers.get("referer")
    own = _origin(f"{request.url.scheme}://{request.headers.get('host', '')}")
    return source is None or own is None or _origin(source) != own


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of `url`; None for `null` or anything without a host."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


def _query_workspace(request: Request) -> int | None:
    value = request.query_params.get("workspace_id")
    if value is None or value == "":
        return None
    if not _WORKSPACE.fullmatch(value) or int(value) < 1:
        raise PageError(422, "Bad workspace", "workspace_id must be a positive integer.")
    return int(value)


async def identify(request: Request, auth: Authenticator) -> Viewer:
    """The viewer of a page. Raises `LoginRequired` for a browser without a working key, the
    API's 401 `ApiError` for other clients, and `PageError(403)` for another workspace."""
    asked = _query_workspace(request)
    if auth.no_auth:
        if not loopback_host(request.headers):
            raise PageError(403, "Refused", not_loopback(request.headers))
        workspace_id = asked or DEFAULT_WORKSPACE_ID
        return Viewer(workspace_id=workspace_id, via="open", chosen_workspace=asked is not None)
    principal: Principal
    via: Literal["bearer", "cookie"]
    key = request.cookies.get(COOKIE_NAME, "").strip()
    if _has_bearer(request) or not (key or wants_html(request)):
        # Scripts and curl: the Create Call API's 401s (missing, wrong or revoked key).
        principal, via = await auth.authenticate(request.headers), "bearer"
    elif not key:
        raise LoginRequired(expired=False)
    else:
        try:
            principal, via = await auth.authenticate(_as_bearer(key)), "cookie"
        except ApiError:
            if wants_html(request):
                raise LoginRequired(expired=True) from None
            raise
    assert principal.workspace_id is not None
    if asked is not None and asked != principal.workspace_id:
        raise PageError(
            403,
            "Another workspace",
            f"This API key belongs to workspace {principal.workspace_id}, not workspace {asked}.",
        )
    return Viewer(workspace_id=principal.workspace_id, via=via)


def _has_bearer(request: Request) -> bool:
    """`Authorization: Bearer ...`; another scheme (a proxy's Basic auth) is not ours."""
    scheme = request.headers.get("authorization", "").strip().partition(" ")[0]
    return scheme.lower() == "bearer"


async def read_login(request: Request) -> str:
    """The key typed into the login form, or `LoginRejected` saying what is wrong."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != _FORM_TYPE:
        raise LoginRejected("send the login form (application/x-www-form-urlencoded)")
    raw = await read_body(request, MAX_LOGIN_BYTES)
    try:
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=8)
        form = LoginForm(key=fields.get("key", [""])[0].strip())
    except (UnicodeDecodeError, ValueError, ValidationError):
        # ValidationError is a ValueError; its text would echo the key, so it is never shown.
        raise LoginRejected("enter an API key (it starts with rbk_)") from None
    return form.key


async def check_login(auth: Authenticator, key: str) -> Principal:
    """The key's principal, or `LoginRejected` with the Authenticator's reason."""
    try:
        return await auth.authenticate(_as_bearer(key))
    except ApiError as exc:
        raise LoginRejected(exc.detail) from None


def remember(response: Response, request: Request, key: str) -> None:
    """Set the login cookie (the key itself; see the module docstring)."""
    response.set_cookie(
        COOKIE_NAME,
        key,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forget(response: Response, request: Request) -> None:
    """Clear the login cookie."""
    response.delete_cookie(
        COOKIE_NAME,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _as_bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}
