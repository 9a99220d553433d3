"""What an integration's user says about a call: `CallOptions` (the call itself) and
`IntegrationOptions` (every keyword the LiveKit plugin and the Pipecat observer share)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ringback.core.contract import CallType
from ringback.core.settings import RingbackSettings, Sink, load_settings
from ringback.core.timeline import CallClock, CostCalculator

if TYPE_CHECKING:
    from ringback.core.delivery import Delivery

logger = logging.getLogger("ringback.options")

RecordingUrlResolver = Callable[[], Awaitable[str | None] | str | None]
"""Returns the call's recording URL once the call has ended (sync or async)."""


class CallOptions(BaseModel):
    """What an integration's user can say about every call, beyond the settings."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    call_id: str | None = None
    """The call's id (idempotency key); a random one when not given."""
    call_type: CallType | None = None
    """Default: `phone_call` for a phone call (see `ringback.core.ending.default_call_type`),
    else `web_call`."""
    agent_version: int | None = None
    recording_url: str | RecordingUrlResolver | None = None
    """A URL, or a function (sync or async) called once the call has ended."""
    metadata: Mapping[str, Any] = Field(default_factory=dict)
    """Extra `general_meta_data_raw` keys."""
    cost_calculator: CostCalculator | None = None
    """Returns the call's cost in cents from its usage (see `CostInputs`)."""

    @classmethod
    def lenient(cls, **given: Any) -> CallOptions:
        """Options from an integration's keywords: `None` means not given, and an invalid one
        is logged by name (never its value) and left out, so a configuration mistake never
        stops a call from being recorded."""
        values = {k: v for k, v in given.items() if v is not None}
        try:
            return cls(**values)
        except ValidationError as exc:
            errors = exc.errors(include_input=False, include_url=False)
            bad = {str(e["loc"][0]) for e in errors if e["loc"]}
            for error in errors:
                name = str(error["loc"][0]) if error["loc"] else "?"
                logger.error("ringback: option %s is invalid (%s); ignored", name, error["msg"])
            try:
                return cls(**{k: v for k, v in values.items() if k not in bad})
            except ValidationError:
                return cls()


@dataclass(frozen=True, kw_only=True)
class IntegrationOptions:
    """The keywords of Ringback's integrations, as given (`None`: not given). `RingbackObserver`
    takes them all, `RingbackPlugin` all but `settings`, `delivery` and `clock`.

    Nothing is validated here: `load_settings` and `call_options` do it leniently (an invalid
    value is logged by name, never its value, and replaced by its default, so a configuration
    mistake never costs a call), and `CallRecorder.from_options` builds the call's recorder.
    """

    # The call's correlation: explicit values beat whatever is read from the call.
    sip_call_id: str | None = None
    """The SIP Call-ID, when the agent knows it better than Ringback reads it (the LiveKit
    plugin's `sip_correlation_id`)."""
    sip_headers: Mapping[str, str] | None = None
    """X- headers to report, when the agent knows them better (only X- headers are kept)."""

    # The call (`CallOptions`).
    call_id: str | None = None
    """The call's idempotency key (default: a random id)."""
    call_type: CallType | str | None = None
    """`phone_call` / `web_call` (default: `ringback.core.ending.default_call_type`)."""
    agent_version: int | None = None
    recording_url: str | RecordingUrlResolver | None = None
    """A URL, or a (sync or async) function returning one once the call has ended."""
    metadata: Mapping[str, Any] | None = None
    """Extra `general_meta_data_raw` keys (any values; made JSON-safe)."""
    cost_calculator: CostCalculator | None = None
    """`(CostInputs) -> cents`, from the call's usage and duration."""

    # Delivery settings (`RingbackSettings`): each falls back to its `RINGBACK_*` variable,
    # then its default (the local collector, workspace 1).
    enabled: bool | None = None
    """False records and sends nothing."""
    base_url: str | None = None
    api_key: str | None = None
    workspace_id: int | None = None
    agent_id: str | None = None
    """`agent_remote_identifier` (default: the integration's agent name, if it has one)."""
    outbox_dir: str | Path | None = None
    delivery_deadline: float | None = None
    """Seconds a finished call's first delivery may take; what is left stays in the outbox."""
    request_timeout: float | None = None
    extra_sinks: Sequence[Sink] | None = None
    """More backends to deliver every call to."""
    settings: RingbackSettings | None = None
    """Whole settings, used as they are instead of the keywords above."""

    # How the call is recorded and delivered.
    delivery: Delivery | None = None
    """One `Delivery` shared by the calls of a process (default: one of the call's own)."""
    clock: CallClock | None = None
    """The call's time base (default: one starting now)."""

    def load_settings(self) -> RingbackSettings:
        """`settings` if given, else the settings keywords, then `RINGBACK_*`, then defaults."""
        if self.settings is not None:
            return self.settings
        return load_settings(
            enabled=self.enabled,
            base_url=self.base_url,
            api_key=self.api_key,
            workspace_id=self.workspace_id,
            agent_id=self.agent_id,
            outbox_dir=self.outbox_dir,
            delivery_deadline=self.delivery_deadline,
            request_timeout=self.request_timeout,
            extra_sinks=list(self.extra_sinks) if self.extra_sinks is not None else None,
        )

    def call_options(self) -> CallOptions:
        """The call's `CallOptions`, leniently (see `CallOptions.lenient`)."""
        return CallOptions.lenient(
            call_id=self.call_id,
            call_type=self.call_type,
            agent_version=self.agent_version,
            recording_url=self.recording_url,
            metadata=dict(self.metadata) if self.metadata is not None else None,
            cost_calculator=self.cost_calculator,
        )
