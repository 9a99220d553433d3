"""Correlation (SIP Call-ID, X- headers, provider ids) from what a telephony bot receives.

Every reading goes through `ringback.core.correlation.extract_correlation`; these helpers only
adapt Pipecat's shapes to it and never raise. A provider's own call id (Twilio ``callSid``,
Telnyx ``call_control_id``, Plivo ``callId``, Exotel ``call_sid``, Daily ``callId``) is never
the SIP Call-ID: it is kept in ``native_ids``. Forward the Call-ID and X- headers as stream
parameters (see the package README).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import BaseModel

from ringback.core.correlation import Correlation, Provider, extract_correlation

logger = logging.getLogger("ringback.pipecat")

START_EVENTS = frozenset({"start"})
MAX_HANDSHAKE_MESSAGES = 3


class TextWebSocket(Protocol):
    """The part of a FastAPI/Starlette `WebSocket` that `read_start_message` uses."""

    async def receive_text(self) -> str: ...


def _as_mapping(payload: Any) -> Any:
    if isinstance(payload, BaseModel):
        return payload.model_dump(by_alias=True, exclude_none=True)
    return payload


def correlation_from_payload(
    payload: Mapping[str, Any] | BaseModel | str | bytes,
    provider: Provider | str | None = None,
) -> Correlation:
    """Correlation from one provider payload: a media-stream ``start`` message (Twilio,
    Telnyx, Plivo, Exotel), Daily dial-in settings (a dict or Pipecat's `DialinSettings`), a
    webhook body... `provider` is detected when not given. A payload that cannot be read gives
    an empty `Correlation` whose warning says why."""
    try:
        return extract_correlation(_as_mapping(payload), provider)
    except Exception as exc:
        logger.warning("ringback: could not read correlation from the payload: %s", exc)
        return Correlation(warnings=(f"unreadable telephony payload: {type(exc).__name__}",))


def correlation_from_call_data(
    transport_type: str, call_data: Mapping[str, Any] | BaseModel
) -> Correlation:
    """Correlation from `pipecat.runner.utils.parse_telephony_websocket`'s result.

    Pipecat keeps Twilio's custom parameters (``body``) and Exotel's ``custom_parameters``,
    which carry forwarded headers; it drops Plivo's ``extra_headers`` and Telnyx's custom
    parameters, so for those read the raw start message (`read_start_message`) instead.
    """
    data = _as_mapping(call_data)
    if not isinstance(data, Mapping):
        data = {}
    kind = transport_type.strip().lower()
    call_id, stream_id = data.get("call_id"), data.get("stream_id")
    if kind == "twilio":
        start = {"callSid": call_id, "streamSid": stream_id, "customParameters": data.get("body")}
        return correlation_from_payload({"event": "start", "start": start}, Provider.TWILIO_STREAM)
    if kind == "exotel":
        start = {
            "call_sid": call_id,
            "stream_sid": stream_id,
            "custom_parameters": data.get("custom_parameters"),
            "from": data.get("from") or data.get("from_number"),
            "to": data.get("to") or data.get("to_number"),
        }
        return correlation_from_payload({"event": "start", "start": start}, Provider.EXOTEL)
    if kind == "telnyx":
        start = {"call_control_id": call_id}
        payload = {"event": "start", "stream_id": stream_id, "start": start}
        return correlation_from_payload(payload, Provider.TELNYX_STREAM)
    if kind == "plivo":
        payload = {"event": "start", "start": {"callId": call_id, "streamId": stream_id}}
        return correlation_from_payload(payload, Provider.PLIVO_STREAM)
    return correlation_from_payload(data)


async def read_start_message(websocket: TextWebSocket) -> dict[str, Any]:
    """Read a media stream's handshake up to its ``start`` message and return that message.

    Twilio and Exotel send ``connected`` first; Telnyx and Plivo start with ``start``. The
    messages read are consumed: build the serializer from the returned message (its
    ``streamSid`` / ``callSid``...) rather than calling Pipecat's `parse_telephony_websocket`
    afterwards. Raises `ValueError` when no start message comes within the first few messages.
    """
    for _ in range(MAX_HANDSHAKE_MESSAGES):
        raw = await websocket.receive_text()
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("event") in START_EVENTS:
            return message
    raise ValueError(f"no 'start' message in the first {MAX_HANDSHAKE_MESSAGES} messages")
