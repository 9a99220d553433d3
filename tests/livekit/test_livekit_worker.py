"""The plugin under LiveKit's real job lifecycle: thread and process executors, a worker drain,
a crashing entrypoint, a session that never started, concurrent jobs, and a job killed at the
shutdown deadline with its call still undelivered."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from livekit.agents.ipc.job_proc_executor import ProcJobExecutor
from support.create_call_server import CreateCallServer, Fault
from support.livekit_agents import pending_entries
from support.livekit_jobs import job_info, run_job, scripted_entry

from ringback.core.delivery import Delivery
from ringback.core.settings import RingbackSettings


def plan(server: CreateCallServer, outbox: Path, **extra: Any) -> dict[str, Any]:
    ringback = {"base_url": server.url, "outbox_dir": str(outbox)}
    ringback.update(extra.pop("ringback", {}))
    return {"ringback": ringback, **extra}


def texts(body: dict[str, Any]) -> list[str]:
    return [s["text"] for s in body["transcript_with_tool_calls"] if s["role"] in ("user", "agent")]


async def test_a_worker_drain_delivers_the_call(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    info = job_info("drain", plan(create_call_server, tmp_path, turns=2))
    async with run_job(scripted_entry, info):
        pass  # leaving the block drains the job: ShutdownRequest, then the job's shutdown
    (request,) = create_call_server.requests
    assert request.query["agent_remote_identifier"] == "support-bot"  # the job's agent_name
    body = request.body
    assert texts(body) == ["Question 0?", "Answer 0.", "Question 1?", "Answer 1."]
    assert body["disconnection_reason"] == "agent_hangup"
    livekit = body["general_meta_data_raw"]["livekit"]
    assert livekit["job_id"] == "drain"
    assert livekit["close_reason"] == "user_initiated"  # the worker's session.aclose()
    assert pending_entries(tmp_path) == []


async def test_a_crashing_entrypoint_still_delivers_the_call(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    info = job_info("crash", plan(create_call_server, tmp_path, turns=1, crash=True))
    async with run_job(scripted_entry, info) as executor:
        await executor.join()  # the crash ends the job on its own
    (request,) = create_call_server.requests
    assert texts(request.body) == ["Question 0?", "Answer 0."]


async def test_a_session_that_never_started_is_finished_by_the_shutdown_callback(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    info = job_info("idle", plan(create_call_server, tmp_path, start=False))
    async with run_job(scripted_entry, info):
        pass
    (request,) = create_call_server.requests
    body = request.body
    assert body["transcript_with_tool_calls"] == []
    assert body["disconnection_reason"] == "agent_hangup"
    assert body["general_meta_data_raw"]["livekit"]["shutdown_reason"] == "parent process shutdown"


async def test_concurrent_thread_jobs_each_deliver_their_own_call(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    async def one(name: str, turns: int) -> None:
        info = job_info(name, plan(create_call_server, tmp_path, turns=turns))
        async with run_job(scripted_entry, info):
            pass

    await asyncio.gather(one("job-a", 1), one("job-b", 2), one("job-c", 3))
    by_job = {
        r.body["general_meta_data_raw"]["livekit"]["job_id"]: r.body
        for r in create_call_server.requests
    }
    assert sorted(by_job) == ["job-a", "job-b", "job-c"]
    for turns, name in enumerate(("job-a", "job-b", "job-c"), start=1):
        assert len(texts(by_job[name])) == 2 * turns
    assert len({b["call_id"] for b in by_job.values()}) == 3


async def test_a_process_job_delivers_the_call(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    info = job_info("proc", plan(create_call_server, tmp_path, turns=2))
    async with run_job(scripted_entry, info, process=True) as executor:
        pass
    assert isinstance(executor, ProcJobExecutor)
    assert executor.exitcode == 0
    (request,) = create_call_server.requests
    assert texts(request.body) == ["Question 0?", "Answer 0.", "Question 1?", "Answer 1."]


async def test_a_job_killed_at_the_deadline_leaves_its_call_on_disk(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    # The backend hangs and the user allowed delivery far more time than the worker's
    # shutdown_process_timeout: the worker kills the job mid-upload.
    create_call_server.always = Fault(hold=True)
    info = job_info(
        "killed", plan(create_call_server, tmp_path, turns=1, ringback={"delivery_deadline": 60})
    )
    async with run_job(scripted_entry, info, process=True, close_timeout=2.0) as executor:
        pass
    assert isinstance(executor, ProcJobExecutor)
    assert executor.killed
    (held,) = create_call_server.requests
    assert held.status is None  # never answered
    assert len(pending_entries(tmp_path)) == 1

    # what the next worker start (or `ringback outbox flush`) does with it
    create_call_server.always = None
    create_call_server.release()
    delivery = Delivery(RingbackSettings(base_url=create_call_server.url, outbox_dir=tmp_path))
    try:
        report = await delivery.flush(deadline=5)
    finally:
        await delivery.aclose()
    assert report.delivered == 1
    stored = create_call_server.stored(held.call_id or "")
    assert len(stored) == 1
    assert texts(stored[0]) == ["Question 0?", "Answer 0."]
    assert pending_entries(tmp_path) == []
