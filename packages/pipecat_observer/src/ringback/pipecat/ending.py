"""How a Pipecat call ended, as the Create Call API's `disconnection_reason`.

Pipecat does not say who hung up, so the reason is inferred from how the pipeline stopped,
unless the application says (`RingbackObserver.set_disconnection_reason`):

- ``EndFrame`` (a graceful end that plays out what the bot is saying): ``agent_hangup``.
- ``CancelFrame``: ``timeout`` for the worker's idle timeout, ``error`` when the worker
  cancelled over a fatal error or an unusable service, else ``user_hangup`` (Pipecat apps
  cancel the worker when the client disconnects).
- anything else (``StopFrame``, or no end frame seen): ``error`` after a fatal error, else
  ``unknown``.
"""

from __future__ import annotations

from typing import Any

from pipecat.frames.frames import CancelFrame, EndFrame, Frame, StopFrame
from ringback.core.contract import DisconnectionReason, to_jsonable
from ringback.core.ending import CallEnding

# The reasons PipelineWorker (1.14) gives the CancelFrames it queues itself.
IDLE_TIMEOUT_REASON = "idle timeout"
FATAL_ERROR_PREFIX = "fatal error"
UNUSABLE_SUFFIX = "can no longer do its job"


class PipelineEnding(CallEnding):
    """The first end frame seen, next to the application's word (`set_disconnection_reason`)."""

    def __init__(self) -> None:
        super().__init__()
        self.frame: str | None = None
        self.reason: Any = None
        self.at_ms: float | None = None

    @property
    def seen(self) -> bool:
        return self.frame is not None

    def note(self, frame: Frame, at_ms: float) -> None:
        if self.frame is None and isinstance(frame, (EndFrame, CancelFrame, StopFrame)):
            self.frame = type(frame).__name__
            self.reason = getattr(frame, "reason", None)
            self.at_ms = at_ms

    def disconnection_reason(self, *, fatal_error: bool) -> DisconnectionReason:
        """The call's reason: the application's, else ``error`` after a fatal error, else the
        end frame's, else ``unknown`` (`ringback.core.ending` decides)."""
        return self.decide(self.frame_reason(), fatal_error=fatal_error)

    def frame_reason(self) -> DisconnectionReason | None:
        """What the end frame says (None: it says nothing)."""
        if self.frame == "EndFrame":
            return DisconnectionReason.AGENT_HANGUP
        if self.frame == "CancelFrame":
            reason = self.reason if isinstance(self.reason, str) else ""
            if reason == IDLE_TIMEOUT_REASON:
                return DisconnectionReason.TIMEOUT
            if reason.startswith(FATAL_ERROR_PREFIX) or reason.endswith(UNUSABLE_SUFFIX):
                return DisconnectionReason.ERROR
            return DisconnectionReason.USER_HANGUP
        return None

    def metadata(self) -> dict[str, Any]:
        """``general_meta_data_raw["pipecat"]``: the end frame and its reason, if any."""
        meta: dict[str, Any] = {"end_frame": self.frame}
        if self.reason is not None:
            meta["end_reason"] = to_jsonable(self.reason)
        return meta
