"""`ApiError`: an HTTP error answer with a JSON body that explains what to do."""

from __future__ import annotations

from typing import Any

from ringback.core.errors import RingbackError


class ApiError(RingbackError):
    """Raised by request handling; answered as `{"detail": ..., **extra}` with `status`."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail, **self.extra}
