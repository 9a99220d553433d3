"""The test server itself, run as a separate process (as plugin tests may use it)."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import httpx

SERVER = Path(__file__).parents[2] / "support" / "create_call_server.py"


async def test_server_as_a_process() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(SERVER), "--api-key", "k", stdout=asyncio.subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 15)).decode().split()
        assert line[0] == "listening"
        url = line[1]
        call = f"{url}/api/v1/public/call"
        params = {"workspace_id": "1", "agent_remote_identifier": "a b"}
        auth = {"Authorization": "Bearer k"}
        async with httpx.AsyncClient() as client:
            script = [{"status": 503, "headers": {"Retry-After": "1"}}]
            await client.post(f"{url}/_control/script", json=script)
            first = await client.post(call, params=params, headers=auth, json={"call_id": "x"})
            assert first.status_code == 503
            assert first.headers["retry-after"] == "1"
            statuses = [
                (await client.post(call, params=params, headers=h, json={"call_id": "x"}))
                for h in (auth, auth, {})
            ]
            assert [r.status_code for r in statuses] == [201, 409, 401]
            assert statuses[0].json()["is_new"] is True
            seen = (await client.get(f"{url}/_control/requests")).json()
            assert [r["status"] for r in seen] == [503, 201, 409, 401]
            assert seen[1]["query"]["agent_remote_identifier"] == "a b"
            calls = (await client.get(f"{url}/_control/calls")).json()
            assert calls == [{"key": ["1", "a b", "x"], "body": {"call_id": "x"}}]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
