"""`ringback outbox list|show|flush|retry-dead`, run in-process."""

from __future__ import annotations

import json
from pathlib import Path

from delivery_helpers import files, put_pending, record
from support.create_call_server import CreateCallServer, Fault
from typer.testing import CliRunner

from ringback.core.cli.app import app
from ringback.core.delivery import Outbox, entry_key

runner = CliRunner()


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["outbox", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_list_empty(outbox_dir: Path) -> None:
    code, out, _ = cli("list", "--outbox-dir", str(outbox_dir))
    assert code == 0
    assert str(outbox_dir) in out.replace("\n", "")
    assert "Empty" in out


def test_list_shows_counts_entries_and_last_errors(outbox_dir: Path) -> None:
    for call_id in ("call-pending", "call-dead", "call-broken"):
        put_pending(outbox_dir, record(call_id), ["primary", "old-sink"])
    box = Outbox(outbox_dir)
    box.note_failure("primary", entry_key("call-pending"), {"http_status": 503, "error": "boom"})
    box.dead_letter(
        "primary", entry_key("call-dead"), None, {"http_status": 422, "message": "bad role"}
    )
    box.quarantine("primary", entry_key("call-broken"), "not JSON")
    code, out, _ = cli("list", "--outbox-dir", str(outbox_dir), env={"COLUMNS": "200"})
    assert code == 0
    rows = [[c.strip() for c in ln.split("│")[1:-1]] for ln in out.splitlines() if "│" in ln]
    assert ["primary", "1", "1", "1"] in rows  # per sink: pending, dead, quarantined
    assert ["old-sink (not configured)", "3", "0", "0"] in rows
    for text in ("call-pending", "call-dead", "call-broken", "HTTP 503: boom", "bad role"):
        assert text in out
    assert "retry-dead" in out


def test_show_prints_the_body(outbox_dir: Path) -> None:
    rec = record("shown")
    put_pending(outbox_dir, rec)
    code, out, err = cli("show", "shown", "--outbox-dir", str(outbox_dir))
    assert code == 0
    assert json.loads(out) == json.loads(rec.to_json_bytes())
    assert "pending/primary/" in err
    code, _, err = cli("show", "nope", "--outbox-dir", str(outbox_dir))
    assert code == 1
    assert "No call 'nope'" in err


def test_flush_sends_and_reports(
    threaded_create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    server = threaded_create_call_server
    for call_id in ("f-1", "f-2"):
        put_pending(outbox_dir, record(call_id))
    env = {"RINGBACK_BASE_URL": server.url, "RINGBACK_OUTBOX_DIR": str(outbox_dir)}
    code, out, _ = cli("flush", env=env)
    assert code == 0, out
    assert out.count("delivered") == 3  # two outcome lines and the summary
    assert "2 delivered, 0 still pending" in out
    assert sorted(c for (_, _, c) in server.calls) == ["f-1", "f-2"]
    assert files(outbox_dir) == []
    code, out, _ = cli("flush", env=env)
    assert code == 0
    assert "Nothing to send" in out


def test_flush_exits_1_when_something_stays(
    threaded_create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    server = threaded_create_call_server
    server.always = Fault(status=503, body={"detail": "maintenance"})
    put_pending(outbox_dir, record("stuck"))
    env = {"RINGBACK_BASE_URL": server.url, "RINGBACK_REQUEST_TIMEOUT": "0.5"}
    code, out, _ = cli("flush", "--outbox-dir", str(outbox_dir), "--deadline", "0.2", env=env)
    assert code == 1
    assert "pending_retry" in out
    assert "maintenance" in out
    assert "0 delivered, 1 still pending" in out


def test_retry_dead_then_flush(
    threaded_create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    server = threaded_create_call_server
    for call_id in ("dead-1", "dead-2"):
        key = put_pending(outbox_dir, record(call_id))
        Outbox(outbox_dir).dead_letter("primary", key, None, {"http_status": 422})
    code, out, err = cli("retry-dead", "dead-1", "missing", "--outbox-dir", str(outbox_dir))
    assert code == 1
    assert "pending again: dead-1" in out
    assert "missing" in err
    assert files(outbox_dir) == [f"primary/{entry_key('dead-1')}.json"]
    code, out, _ = cli("retry-dead", "--outbox-dir", str(outbox_dir))
    assert code == 0
    assert "1 dead letter(s) moved back" in out
    env = {"RINGBACK_BASE_URL": server.url}
    code, out, _ = cli("flush", "--outbox-dir", str(outbox_dir), env=env)
    assert code == 0
    assert files(outbox_dir) == []
    assert files(outbox_dir, "dead") == []
    assert len(server.calls) == 2


def test_flush_counts_what_it_cannot_send(outbox_dir: Path) -> None:
    put_pending(outbox_dir, record("orphan"), ["gone-sink"])
    put_pending(outbox_dir, record("held"))
    env = {"RINGBACK_ENABLED": "false"}
    code, out, err = cli("flush", "--outbox-dir", str(outbox_dir), env=env)
    assert code == 1
    assert "disabled" in err
    assert "'gone-sink', which is not configured" in err
    assert "2 still pending" in out
