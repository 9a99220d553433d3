"""Request body size: refuse oversized bodies while reading, never buffering past the limit."""

from __future__ import annotations

from starlette.requests import Request

from .errors import ApiError

MIN_DRAIN_BYTES = 16 * 1024 * 1024


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"request body is larger than this collector's limit of {limit} bytes "
        "(ringback-sim serve --max-body-bytes / RINGBACK_COLLECTOR_MAX_BODY_BYTES)",
        headers={"Connection": "close"},
        max_bytes=limit,
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or `ApiError(413)` once it is known to exceed `limit` bytes.

    Nothing past the limit is kept. The rest of an oversized body is read and discarded, up
    to `max(4 * limit, 16 MiB)`, before answering: a server that closes a connection with
    unread data makes the client's kernel reset it, and the client would see a connection
    error instead of the 413. Bodies declared larger than that are refused without reading.
    """
    drain_cap = max(4 * limit, MIN_DRAIN_BYTES)
    declared = request.headers.get("content-length")
    too_large = False
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ApiError(400, "the Content-Length header is not a number") from None
        if size > drain_cap:
            raise _too_large(limit)
        too_large = size > limit
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if too_large or received > limit:
            too_large = True
            chunks.clear()
            if received > drain_cap:
                break
            continue
        chunks.append(chunk)
    if too_large:
        raise _too_large(limit)
    return b"".join(chunks)
