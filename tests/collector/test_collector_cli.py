"""`ringback-sim keys create|list|revoke` and `ringback-sim serve`."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from pathlib import Path

import httpx
import pytest
from support.collector_calls import call_body
from typer.testing import CliRunner

from ringback.simulator.cli import app
from ringback.simulator.store import Store

runner = CliRunner()
KEY = re.compile(r"rbk_[A-Za-z0-9_-]{43}")


def _invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    db = ["--database-url", str(tmp_path / "c.sqlite3")]
    created = _invoke("keys", "create", "--workspace", "3", "--name", "ci", *db)
    key = KEY.search(created)
    assert key is not None
    assert "shown only this once" in created
    assert f"export RINGBACK_API_KEY={key.group()}" in created
    assert "export RINGBACK_WORKSPACE_ID=3" in created

    listed = _invoke("keys", "list", *db)
    header, row = listed.strip().splitlines()
    assert header.split() == ["ID", "WORKSPACE", "NAME", "CREATED", "REVOKED"]
    assert row.split()[:3] == ["1", "3", "ci"]
    assert row.split()[-1] == "-"
    assert key.group() not in listed

    assert "Key 1 (ci) of workspace 3 is revoked." in _invoke("keys", "revoke", "1", *db)
    (entry,) = json.loads(_invoke("keys", "list", "--json", *db))
    assert entry["revoked_at"] is not None
    assert "key" not in entry

    missing = runner.invoke(app, ["keys", "revoke", "42", *db])
    assert missing.exit_code == 2  # a user error: one line, exit 2
    assert "no key with id 42" in missing.output


def test_keys_create_json_and_workspace_filter(tmp_path: Path) -> None:
    db = ["--database-url", str(tmp_path / "c.sqlite3")]
    made = json.loads(_invoke("keys", "create", "--workspace", "1", "--json", *db))
    assert KEY.fullmatch(made["key"])
    _invoke("keys", "create", "--workspace", "2", *db)
    only_two = json.loads(_invoke("keys", "list", "--workspace", "2", "--json", *db))
    assert [k["workspace_id"] for k in only_two] == [2]


def test_keys_use_the_database_url_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RINGBACK_COLLECTOR_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    _invoke("keys", "create", "--workspace", "1")
    assert (tmp_path / "env.db").exists()


def test_serve_help() -> None:
    output = _invoke("serve", "--help")
    for option in ("--host", "--port", "--database-url", "--max-body-bytes", "--no-auth"):
        assert option in output


def test_serve_refuses_no_auth_off_loopback(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["serve", "--no-auth", "--host", "0.0.0.0", "--database-url", str(tmp_path / "c")]
    )
    assert result.exit_code == 2
    assert "only allowed on a loopback host" in result.output


async def test_serve_refuses_a_newer_schema(tmp_path: Path) -> None:
    from sqlalchemy import insert

    from ringback.simulator.store.schema import schema_version
    from ringback.simulator.store.types import utcnow

    path = str(tmp_path / "c.sqlite3")
    statement = insert(schema_version).values(version=7, applied_at=utcnow())
    async with await Store.open(path) as store:
        await store.write(lambda conn: conn.execute(statement))
    result = await asyncio.to_thread(
        runner.invoke, app, ["serve", "--port", "0", "--database-url", path]
    )
    assert result.exit_code == 2
    assert "schema version 7" in result.output


async def _line(stream: asyncio.StreamReader, pattern: str, seen: list[str]) -> re.Match[str]:
    while True:
        raw = await asyncio.wait_for(stream.readline(), 30)
        if not raw:
            raise AssertionError(f"{pattern!r} never printed; got {seen}")
        seen.append(raw.decode())
        match = re.search(pattern, seen[-1])
        if match:
            return match


async def _serve(db: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ringback.simulator.cli",
        "serve",
        "--port",
        "0",
        "--database-url",
        str(db),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_serve_first_run_key_and_graceful_stop(tmp_path: Path) -> None:
    db = tmp_path / "collector.sqlite3"
    proc = await _serve(db)
    assert proc.stdout is not None
    assert proc.stderr is not None
    seen: list[str] = []
    try:
        key = (await _line(proc.stdout, r"export RINGBACK_API_KEY=(rbk_\S+)", seen)).group(1)
        url = (await _line(proc.stdout, r"listening on (http://127\.0\.0\.1:\d+)", seen)).group(1)
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{url}/api/v1/public/call?workspace_id=1&agent_remote_identifier=bot",
                content=call_body("first-run"),
                headers={"Authorization": f"Bearer {key}"},
            )
        assert response.status_code == 201
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    assert "Collector stopped." in out.decode()
    log = err.decode()
    assert "POST /api/v1/public/call -> 201" in log
    assert key not in log

    again = await _serve(db)  # the second start prints no new key
    assert again.stdout is not None
    try:
        await _line(again.stdout, r"listening on", seen := [])
    finally:
        again.send_signal(signal.SIGINT)
        out, _ = await asyncio.wait_for(again.communicate(), 30)
    assert again.returncode == 0
    assert "RINGBACK_API_KEY" not in "".join(seen) + out.decode()
