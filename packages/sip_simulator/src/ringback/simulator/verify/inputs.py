"""From command-line values and the environment to what the verify flows need: the suite,
the endpoint, the LiveKit connection and the collector. Problems raise `VerifyConfigError`
(exit code 2), never with a secret in the message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

from ringback.simulator.dial.connection import LiveKitConfigError, LiveKitConnection
from ringback.simulator.suite.choices import Transport
from ringback.simulator.suite.models import AgentEndpoint, Suite
from ringback.simulator.text.agent_ref import text_only_flags_error

from .context import Collector
from .target import PASSWORD_ENV, VerifyConfigError, endpoint_from_options


@dataclass(frozen=True)
class EndpointOptions:
    """The endpoint as given on the command line (all None: take the suite's)."""

    sip_uri: str | None = None
    transport: Transport | None = None
    username: str | None = None
    password: str | None = None
    phone_number: str | None = None
    trunk_id: str | None = None
    caller_number: str | None = None

    def given(self) -> list[str]:
        """The flags given, the password aside (it may come from the environment for the
        suite's `${AGENT_SIP_PASSWORD}`)."""
        flag = {"transport": "--sip-transport"}
        return [
            flag.get(f.name, f"--{f.name.replace('_', '-')}")
            for f in fields(self)
            if f.name != "password" and getattr(self, f.name) is not None
        ]

    def endpoint(self, ask: Callable[[str], str] | None) -> AgentEndpoint | None:
        """The `AgentEndpoint`, or None when no endpoint option is given. The password
        belongs to `--username` (digest auth); `ask` prompts for it when missing."""
        if not self.given():
            return None
        password = self.password if self.username else None
        if self.username and password is None:
            if ask is None:
                raise VerifyConfigError(
                    f"--username {self.username} needs a password: set {PASSWORD_ENV} (or run "
                    "on a terminal to be asked for it)"
                )
            password = ask(f"SIP password for {self.username}")
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return endpoint_from_options({**values, "password": password})


def check_transport_options(
    text: bool,
    endpoint: EndpointOptions,
    *,
    agent: str | None,
    agent_llm: str | None,
    agent_name: str | None,
) -> None:
    """Options that do not fit the transport are an error, not silently ignored."""
    if text:
        given = endpoint.given()
        if given:
            raise VerifyConfigError(f"{', '.join(given)} only apply with --transport sip")
        if not agent:
            raise VerifyConfigError("--transport text needs --agent module:Class (the Agent)")
        return
    error = text_only_flags_error(agent, agent_llm, agent_name)
    if error is not None:
        raise VerifyConfigError(error)


def load_suite_file(path: Path | None, *, text: bool = False) -> tuple[Suite | None, list[str]]:
    """The suite and its warnings; a bad file lists every problem with its line. With
    `text`, the endpoint is never dialled, so its `${VAR}`s (`${AGENT_SIP_PASSWORD}`) need
    not be set."""
    if path is None:
        return None, []
    from ringback.simulator.suite import SuiteError, load_suite

    try:
        loaded = load_suite(path, unset_allowed_in=("agent",) if text else ())
    except SuiteError as exc:
        raise VerifyConfigError("\n".join(str(p) for p in exc.problems)) from None
    return loaded.suite, loaded.warnings


def livekit_connection() -> LiveKitConnection:
    """LIVEKIT_URL / LIVEKIT_API_KEY / LIVEKIT_API_SECRET."""
    try:
        return LiveKitConnection.from_env()
    except LiveKitConfigError as exc:
        message = str(exc).split(" (export them", 1)[0]
        raise VerifyConfigError(
            f"{message}; export them (or verify without telephony: --transport text)"
        ) from None


async def open_collector() -> Collector:
    """The collector's store (RINGBACK_COLLECTOR_DATABASE_URL) and workspace
    (RINGBACK_WORKSPACE_ID), as `ringback-sim run` uses them. A SQLite file that does not
    exist is an error, not a new empty database nothing would ever sync to."""
    from ringback.core.settings import load_settings
    from ringback.simulator.collector.settings import CollectorSettings
    from ringback.simulator.store import (
        Store,
        database_url,
        describe,
        hide_password,
        is_sqlite,
        sqlite_path,
    )

    url = database_url(CollectorSettings().database_url)
    if is_sqlite(url):
        try:
            path = sqlite_path(url)
        except ValueError:
            path = None  # in memory: Store.open says what is wrong
        if path is not None and not path.is_file():
            raise VerifyConfigError(
                f"no collector database at {path}: start `ringback-sim serve` (or check "
                "RINGBACK_COLLECTOR_DATABASE_URL)"
            )
    try:
        store = await Store.open(url)
    except Exception as exc:
        message = hide_password(url, f"{type(exc).__name__}: {exc}")
        raise VerifyConfigError(
            f"cannot open the collector's database {describe(url)} "
            f"(RINGBACK_COLLECTOR_DATABASE_URL): {message}"
        ) from None
    return Collector(store, load_settings().workspace_id)


def delivery_keys() -> list[str]:
    """The API keys of this process's Ringback settings (to keep out of the output)."""
    from ringback.core.settings import load_settings

    try:
        sinks = load_settings().sinks()
    except ValueError:
        return []
    return [s.api_key.get_secret_value() for s in sinks if s.api_key]


__all__ = [
    "EndpointOptions",
    "check_transport_options",
    "delivery_keys",
    "livekit_connection",
    "load_suite_file",
    "open_collector",
]
