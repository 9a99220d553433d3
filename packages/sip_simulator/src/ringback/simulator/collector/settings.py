"""Collector settings: command-line options first, then `RINGBACK_COLLECTOR_*` variables."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ringback.simulator.store.location import default_database_url

from .defaults import DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class CollectorSettings(BaseSettings):
    """How `ringback-sim serve` runs.

    Environment variables: `RINGBACK_COLLECTOR_HOST`, `RINGBACK_COLLECTOR_PORT`,
    `RINGBACK_COLLECTOR_DATABASE_URL`, `RINGBACK_COLLECTOR_MAX_BODY_BYTES`,
    `RINGBACK_COLLECTOR_NO_AUTH`.
    """

    model_config = SettingsConfigDict(env_prefix="RINGBACK_COLLECTOR_", extra="ignore")

    host: str = DEFAULT_HOST
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    """0 picks a free port (printed at startup)."""
    database_url: str = Field(default_factory=default_database_url)
    """`sqlite:///PATH`, `postgresql://USER:PASS@HOST/DB` (asyncpg), or a plain file path."""
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024)
    """Larger request bodies are refused with 413 while they are read."""
    no_auth: bool = False
    """Accept calls without a key (loopback hosts only); the query's workspace_id is trusted."""
    graceful_shutdown_seconds: float = Field(default=10.0, gt=0)
    """How long in-flight requests may finish after SIGTERM/SIGINT."""

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("host must not be empty (e.g. 127.0.0.1)")
        return value

    def check(self) -> None:
        """Raise `ValueError` for combinations that are unsafe."""
        if self.no_auth and not is_loopback(self.host):
            raise ValueError(
                f"--no-auth is only allowed on a loopback host (127.0.0.1, ::1, localhost), "
                f"not {self.host!r}: anyone who can reach the port could write calls. "
                "Create a key with `ringback-sim keys create --workspace N` instead."
            )
