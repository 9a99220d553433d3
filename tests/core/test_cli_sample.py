"""`ringback sample` (the README's first command) and `ringback schema`."""

from __future__ import annotations

import json
from pathlib import Path

from support.create_call_server import CreateCallServer
from typer.testing import CliRunner

from ringback.core.cli.app import app
from ringback.core.contract import CallRecord
from ringback.core.contract.schema import call_record_schema_json

runner = CliRunner()


def test_sample_builds_validates_and_writes_a_call(tmp_path: Path) -> None:
    out = tmp_path / "call.json"
    result = runner.invoke(app, ["sample", "--turns", "12", "--out", str(out)])
    assert result.exit_code == 0, result.output
    record = CallRecord.model_validate_json(out.read_bytes())
    # 12 exchanges, one tool call (call + result rows), two node transitions
    assert len(record.transcript_with_tool_calls) == 12 * 2 + 2 + 2
    assert record.sip_call_id == "a84b4c76e66710@pbx.example.com"
    assert record.sip_headers is not None
    assert record.sip_headers["X-Result-Id"] == "9f2c4e1a7b3d4c5e8f6a0b1c2d3e4f5a"
    assert "valid Create Call body" in result.output
    assert "sip_call_id: a84b4c76e66710@pbx.example.com" in result.output


def test_sample_deliver_sends_it(
    tmp_path: Path, threaded_create_call_server: CreateCallServer, monkeypatch
) -> None:
    monkeypatch.setenv("RINGBACK_BASE_URL", threaded_create_call_server.url)
    monkeypatch.setenv("RINGBACK_OUTBOX_DIR", str(tmp_path / "outbox"))
    out = tmp_path / "call.json"
    result = runner.invoke(app, ["sample", "--out", str(out), "--deliver"])
    assert result.exit_code == 0, result.output
    (request,) = threaded_create_call_server.requests
    assert request.body == json.loads(out.read_bytes())
    assert "delivered" in result.output


def test_schema_command_prints_the_committed_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert result.output == call_record_schema_json()
