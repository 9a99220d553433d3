"""HTTP answers for the pages: HTML and redirects, always with the security headers."""

from __future__ import annotations

from fastapi.responses import HTMLResponse, RedirectResponse

from ringback.core.errors import RingbackError

PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
"""Nothing is loaded or run; forms post only to the collector; no page can be framed."""

SECURITY_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    # Not `no-referrer`: under it browsers send `Origin: null` on the collector's own form
    # posts, which `session.cross_site` must then refuse where Sec-Fetch-Site is not sent.
    # Other sites still get no referrer.
    "Referrer-Policy": "same-origin",
}


def html(page: str, status: int = 200) -> HTMLResponse:
    """`page` as a no-store HTML answer."""
    return HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)


def redirect(location: str) -> RedirectResponse:
    """A 303 See Other to `location` (a path on this collector)."""
    return RedirectResponse(location, status_code=303, headers=SECURITY_HEADERS)


class PageError(RingbackError):
    """Answered with an HTML error page: `status`, a short `title` and a `message`."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
