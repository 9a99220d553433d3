"""`ringback-sim verify` end to end: the command (in a worker thread, with its own event loop)
against the LiveKit stand-in and a real collector serving in the test's loop; exit codes,
the printed checklist, `--json`, configuration errors, and no secret in any output."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support.collector_server import RunningCollector, running_collector
from support.dialing import ENV, PASSWORD, SUPPORT_SUITE
from support.text_runs import point_ringback_at
from support.verify_agent import SyncingAgent, synced
from typer.testing import CliRunner, Result

from ringback.livekit.testing import LiveKitStandIn
from ringback.simulator.cli import app
from ringback.simulator.verify.inputs import EndpointOptions

FAST = ["--hold", "0", "--poll-interval", "0.01"]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["verify", *args])


async def verify(*args: str) -> Result:
    """The command in a worker thread: it runs its own loop while the servers run in ours."""
    return await asyncio.to_thread(invoke, *args)


@pytest.fixture
async def servers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[LiveKitStandIn, RunningCollector]]:
    async with LiveKitStandIn() as standin, running_collector(tmp_path) as collector:
        monkeypatch.setenv("LIVEKIT_URL", standin.url)
        monkeypatch.setenv("LIVEKIT_API_KEY", standin.api_key)
        monkeypatch.setenv("LIVEKIT_API_SECRET", standin.api_secret)
        monkeypatch.setenv("RINGBACK_COLLECTOR_DATABASE_URL", collector.settings.database_url)
        monkeypatch.setenv("RINGBACK_API_KEY", collector.key)
        for name, value in ENV.items():
            monkeypatch.setenv(name, value)
        yield standin, collector


def no_secrets(result: Result, *secrets: str) -> None:
    for secret in (PASSWORD, *secrets):
        assert secret not in result.output


async def test_a_suite_that_passes_every_step(
    servers: tuple[LiveKitStandIn, RunningCollector],
) -> None:
    standin, collector = servers
    SyncingAgent(standin, collector)
    result = await verify(str(SUPPORT_SUITE), *FAST)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Verifying sip:agent@pbx.example.com:5060 (tcp)")
    marks = [line.split(":", 1)[0] for line in lines if line[:1] in "✓✗-"]
    assert marks == [
        "✓ LiveKit credentials",
        "✓ Outbound trunk",
        "✓ Test call answered",
        "✓ Call synced back",
        "✓ Call-ID and X- headers",
    ]
    assert lines[-1] == "PASSED: all 5 checks passed."
    assert "fix:" not in result.stdout
    no_secrets(result, standin.api_secret, collector.key, "abc123")


async def test_a_failing_step_exits_one_with_its_fix_and_json(
    servers: tuple[LiveKitStandIn, RunningCollector],
) -> None:
    standin, collector = servers
    SyncingAgent(
        standin,
        collector,
        shape=lambda invite: synced(invite, sip_call_id=invite.call_id),
    )
    result = await verify(str(SUPPORT_SUITE), *FAST)
    assert result.exit_code == 1, result.output
    assert "✗ Call-ID and X- headers: the synced call does not carry" in result.stdout
    assert "    • headers missing: none of the 6 X- headers" in result.stdout
    assert "      fix: " in result.stdout
    assert result.stdout.splitlines()[-1] == "FAILED: 4 of 5 checks passed (1 failed, 0 skipped)."

    result = await verify(str(SUPPORT_SUITE), *FAST, "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert [s["status"] for s in report["steps"]] == ["passed"] * 4 + ["failed"]
    assert report["steps"][-1]["findings"][0]["shape"] == "headers_missing"
    assert report["headers"]["X-Auth-Token"] == "***"
    assert report["synced_call"]["linked_by"] == "sip-call-id"
    no_secrets(result, standin.api_secret, collector.key, "abc123")


async def test_an_endpoint_from_the_command_line(
    servers: tuple[LiveKitStandIn, RunningCollector],
) -> None:
    standin, collector = servers
    SyncingAgent(standin, collector, shape=None)  # answers but never syncs
    result = await verify(
        "--sip-uri",
        "sip:bot@agent.example.net:5070",
        "--sip-transport",
        "udp",
        "--username",
        "ringback",
        *FAST,
        "--sync-timeout",
        "0.2",
    )
    assert result.exit_code == 1, result.output
    assert "Verifying sip:bot@agent.example.net:5070 (udp), digest user ringback" in result.stdout
    assert "✗ Call synced back: no call linked to result" in result.stdout
    assert "    • not synced: the agent did not sync the call to this collector" in result.stdout
    assert "- Call-ID and X- headers: skipped: Call synced back failed" in result.stdout
    (trunk,) = standin.trunks.values()
    assert trunk.address == "agent.example.net:5070"
    assert trunk.auth_password == PASSWORD  # from AGENT_SIP_PASSWORD
    (invite,) = standin.of("CreateSIPParticipant")
    assert invite.sip_call_to == "bot"
    assert set(invite.headers) == {"X-Run-Id", "X-Scenario-Id", "X-Result-Id", "X-Correlation-Id"}
    no_secrets(result, standin.api_secret, collector.key)


async def test_text_transport_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with running_collector(tmp_path) as collector:
        point_ringback_at(monkeypatch, collector, tmp_path)
        for name in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"):
            monkeypatch.delenv(name, raising=False)  # no LiveKit needed
        result = await verify("--transport", "text", "--agent", "support.caller_agents:TextSupport")
        assert result.exit_code == 0, result.output
        assert "✓ Agent loads: support.caller_agents:TextSupport makes a TextSupport" in (
            result.stdout
        )
        assert result.stdout.splitlines()[-1] == "PASSED: all 4 checks passed."
        no_secrets(result, collector.key)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "nothing to verify: give a SUITE.yaml"),
        (["--sip-uri", "agent@pbx"], "is not a SIP URI"),
        (["--sip-uri", "sip:pbx.example.com"], "has no user part to dial"),
        (["--phone-number", "+15105550100"], "needs the `trunk_id`"),
        ([str(SUPPORT_SUITE), "--agent", "x:Y"], "--agent only apply with --transport text"),
        (["--transport", "text"], "--transport text needs --agent"),
        (
            ["--transport", "text", "--agent", "x:Y", "--sip-uri", "sip:a@b"],
            "--sip-uri only apply with --transport sip",
        ),
        ([str(SUPPORT_SUITE), "--profile", "gold"], "--profile 'gold' is not a test profile"),
        (["missing-suite.yaml"], "missing-suite.yaml: cannot read"),
    ],
)
def test_configuration_errors_exit_two(
    args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())


def test_a_username_without_a_password_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AGENT_SIP_PASSWORD", raising=False)
    result = invoke("--sip-uri", "sip:agent@pbx.example.com", "--username", "ringback")
    assert result.exit_code == 2
    assert "--username ringback needs a password: set AGENT_SIP_PASSWORD" in result.stderr


def test_missing_livekit_settings_exit_two(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    result = invoke(str(SUPPORT_SUITE))
    assert result.exit_code == 2
    err = " ".join(result.stderr.split())
    assert "LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET are not set" in err
    assert "--transport text" in err
    assert "--dry-run" not in err


def test_the_password_belongs_to_the_username_and_is_asked_for() -> None:
    asked: list[str] = []

    def ask(question: str) -> str:
        asked.append(question)
        return "typed-pw"

    endpoint = EndpointOptions(sip_uri="sip:a@pbx.example.com", username="u").endpoint(ask)
    assert endpoint is not None
    assert endpoint.password is not None
    assert endpoint.password.get_secret_value() == "typed-pw"
    assert asked == ["SIP password for u"]
    # a password alone (AGENT_SIP_PASSWORD exported for a suite) is no endpoint and no auth
    assert EndpointOptions(password="pw").endpoint(None) is None
    plain = EndpointOptions(sip_uri="sip:a@pbx.example.com", password="pw").endpoint(None)
    assert plain is not None
    assert plain.password is None


async def test_a_missing_database_file_is_refused_not_created(
    servers: tuple[LiveKitStandIn, RunningCollector],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    standin, _ = servers
    missing = tmp_path / "typo" / "collector.sqlite3"
    monkeypatch.setenv("RINGBACK_COLLECTOR_DATABASE_URL", f"sqlite:///{missing}")
    result = await verify(str(SUPPORT_SUITE), *FAST)
    assert result.exit_code == 2, result.output
    assert (
        f"error: no collector database at {missing}: start `ringback-sim serve` (or check "
        "RINGBACK_COLLECTOR_DATABASE_URL)"
    ) in " ".join(result.stderr.split())
    assert not missing.exists()
    assert not missing.parent.exists()
    assert standin.requests == []  # nothing dialled either
    as_json = await verify(str(SUPPORT_SUITE), *FAST, "--json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["error"].startswith(f"no collector database at {missing}")


def test_configuration_errors_are_json_with_json(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    result = invoke("--sip-uri", "agent@pbx", "--json")
    assert result.exit_code == 2
    error = json.loads(result.stdout)
    assert list(error) == ["error"]
    assert "is not a SIP URI" in error["error"]
    assert "is not a SIP URI" in result.stderr


async def test_interrupted_prints_the_steps_decided_then_exits_130(
    servers: tuple[LiveKitStandIn, RunningCollector], monkeypatch: pytest.MonkeyPatch
) -> None:
    standin, collector = servers
    SyncingAgent(standin, collector)

    async def ctrl_c(*args: object) -> None:
        raise KeyboardInterrupt  # Ctrl-C while the call is held

    monkeypatch.setattr("ringback.simulator.verify.call.get_sip_participant", ctrl_c)
    result = await verify(str(SUPPORT_SUITE), *FAST)
    assert result.exit_code == 130, result.output
    marks = [line.split(":", 1)[0] for line in result.stdout.splitlines()]
    assert marks == ["✓ LiveKit credentials", "✓ Outbound trunk"]
    assert result.stderr.endswith("\ninterrupted\n")
    # the call was hung up, its room deleted, the verify run finished
    assert standin.rooms == {}
    assert [how for *_, how in standin.hangups] == ["removed"]
    (run,) = await collector.store.list_runs(1)
    assert run.finished_at is not None

    as_json = await verify(str(SUPPORT_SUITE), *FAST, "--json")
    assert as_json.exit_code == 130
    report = json.loads(as_json.stdout)
    assert report["error"] == "interrupted"
    assert [s["id"] for s in report["steps"]] == ["credentials", "trunk"]
    no_secrets(as_json, standin.api_secret, collector.key)


async def test_text_transport_with_a_suite_needs_no_sip_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_collector(tmp_path) as collector:
        point_ringback_at(monkeypatch, collector, tmp_path)
        for name in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET", *ENV):
            monkeypatch.delenv(name, raising=False)  # text never dials
        result = await verify(
            str(SUPPORT_SUITE),
            "--transport",
            "text",
            "--agent",
            "support.caller_agents:TextSupport",
        )
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines()[-1] == "PASSED: all 4 checks passed."
        assert "X-Customer-Tier" in result.stdout  # the suite's profile was sent
    # over SIP the same variables are still required
    result = invoke(str(SUPPORT_SUITE))
    assert result.exit_code == 2
    assert "environment variable AGENT_SIP_USER is not set" in result.stderr


SECRET_HEADERS = {"X-Webhook-Signature": "sig-5e4d3c2b1a", "X-Session-Token": "sess-7f6e5d4c"}


async def test_secret_looking_headers_are_masked_in_json(
    servers: tuple[LiveKitStandIn, RunningCollector], tmp_path: Path
) -> None:
    standin, collector = servers
    suite = tmp_path / "suite.yaml"
    extra = ", ".join(f"{name}: {value}" for name, value in SECRET_HEADERS.items())
    suite.write_text(
        SUPPORT_SUITE.read_text().replace("X-Auth-Token: abc123", f"X-Auth-Token: abc123, {extra}")
    )
    SyncingAgent(
        standin,
        collector,
        shape=lambda invite: synced(
            invite,
            sip_call_id=invite.call_id,
            sip_headers=invite.x_headers(X_Session_Token="sess-rewritten"),
        ),
    )
    result = await verify(str(suite), *FAST, "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    for name in SECRET_HEADERS:
        assert report["headers"][name] == "***"
        assert report["synced_call"]["sip_headers"][name] == "***"
    (finding,) = report["steps"][-1]["findings"]
    assert finding["shape"] == "headers_altered"
    assert "X-Session-Token (value differs; not shown)" in finding["detail"]
    no_secrets(result, *SECRET_HEADERS.values(), "sess-rewritten", "abc123")
