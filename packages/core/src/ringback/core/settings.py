"""Settings: keyword arguments first, then `RINGBACK_*` environment variables, then defaults."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Annotated, Any

from platformdirs import user_state_path
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

logger = logging.getLogger("ringback.settings")

DEFAULT_BASE_URL = "http://127.0.0.1:7450"
"""The local collector (`ringback-sim serve`)."""

DEFAULT_WORKSPACE_ID = 1
"""The local collector's default workspace."""


def default_outbox_dir() -> Path:
    return user_state_path("ringback") / "outbox"


_SINK_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class Sink(BaseModel):
    """One Create Call API endpoint that calls are delivered to."""

    name: str = "primary"
    """Short name, also the sink's folder in the outbox (lower-case letters, digits, - and _)."""
    base_url: str = DEFAULT_BASE_URL
    api_key: SecretStr | None = None
    workspace_id: int = DEFAULT_WORKSPACE_ID
    agent_id: str | None = None
    """Default `agent_remote_identifier`; an integration may set one per call."""

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _SINK_NAME.match(value):
            raise ValueError(
                f"sink name {value!r} must be 1-40 lower-case letters, digits, '-' or '_' "
                "(it names a folder in the outbox)"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(
                f"base URL {value!r} must start with http:// or https:// (e.g. {DEFAULT_BASE_URL})"
            )
        return value


class RingbackSettings(BaseSettings):
    """Where and how Ringback delivers calls.

    Keyword arguments win over `RINGBACK_*` environment variables (`RINGBACK_BASE_URL`,
    `RINGBACK_API_KEY`, `RINGBACK_WORKSPACE_ID`, `RINGBACK_AGENT_ID`, `RINGBACK_OUTBOX_DIR`, ...),
    which win over the defaults: the local collector at http://127.0.0.1:7450, workspace 1.
    """

    model_config = SettingsConfigDict(env_prefix="RINGBACK_", extra="ignore")

    base_url: str = DEFAULT_BASE_URL
    api_key: SecretStr | None = None
    workspace_id: int = DEFAULT_WORKSPACE_ID
    agent_id: str | None = None
    outbox_dir: Path = Field(default_factory=default_outbox_dir)
    extra_sinks: Annotated[list[Sink], NoDecode] = Field(default_factory=list)
    """More endpoints to deliver every call to, each tracked separately. In the environment a
    JSON list: `[{"name": "backup", "base_url": "https://...", "api_key": "..."}]`; each needs
    its own `name` (the top-level one is `primary`)."""
    enabled: bool = True
    request_timeout: float = Field(default=10.0, gt=0)
    """Seconds one HTTP attempt may take."""
    delivery_deadline: float = Field(default=5.0, gt=0)
    """Seconds a call's first delivery may take before the background flusher takes over."""
    checkpoint_interval: float = Field(default=10.0, ge=0)
    """Seconds between snapshots of a call in progress (0: none). A process that dies mid-call
    leaves its last snapshot, which the next start delivers marked as recovered."""

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        return Sink._check_url(value)

    @field_validator("extra_sinks", mode="before")
    @classmethod
    def _parse_sinks(cls, value: Any) -> Any:
        """The environment's JSON text, with an error that says what is wrong, never what
        the text was (it holds API keys)."""
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"is not valid JSON ({exc.msg} at character {exc.pos}); write a JSON list such "
                'as [{"name": "backup", "base_url": "https://..."}]'
            ) from None

    @field_validator("extra_sinks")
    @classmethod
    def _unique_names(cls, sinks: list[Sink]) -> list[Sink]:
        names = ["primary", *(s.name for s in sinks)]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(
                f"sink names must be unique, and {', '.join(duplicates)} is used more than "
                "once: give each extra sink its own `name` ('primary' is the top-level base_url)"
            )
        return sinks

    def sinks(self) -> list[Sink]:
        """The primary sink (from the top-level fields) followed by `extra_sinks`."""
        primary = Sink(
            base_url=self.base_url,
            api_key=self.api_key,
            workspace_id=self.workspace_id,
            agent_id=self.agent_id,
        )
        sinks = [primary, *self.extra_sinks]
        names = [s.name for s in sinks]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(
                f"sink names must be unique; {', '.join(duplicates)} is used more than once "
                "('primary' is the top-level base_url)"
            )
        return sinks


def load_settings(**overrides: Any) -> RingbackSettings:
    """Settings for an integration that must never fail the agent over configuration.

    `None` overrides are ignored (so they fall through to `RINGBACK_*` and the defaults). A
    value that does not validate, from a keyword or the environment, is logged once with what
    is wrong and how to fix it (never the value itself: it may be a key) and replaced by its
    default, so the call is still recorded and kept in the outbox.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return RingbackSettings(**given)
    except ValidationError as exc:
        bad = {str(e["loc"][0]) for e in exc.errors(include_input=False) if e["loc"]}
        for error in exc.errors(include_input=False, include_url=False):
            field = str(error["loc"][0]) if error["loc"] else "?"
            logger.error(
                "ringback: setting %s (keyword %r or env RINGBACK_%s) is invalid: %s; "
                "using the default instead",
                field,
                field,
                field.upper(),
                error["msg"].removeprefix("Value error, "),
            )
        fields = RingbackSettings.model_fields
        defaults = {name: fields[name].get_default(call_default_factory=True) for name in bad}
        kept = {k: v for k, v in given.items() if k not in bad}
        try:
            return RingbackSettings(**kept, **defaults)
        except ValidationError:
            logger.error("ringback: settings still invalid; using the defaults")
            return RingbackSettings.model_construct()
