"""Run agent entrypoints the way a LiveKit worker does, without a LiveKit server.

`run_job` starts one of LiveKit's own job executors (`ThreadJobExecutor`, or `ProcJobExecutor`
in a spawned process), initialises it and launches a fake job (`RunningJobInfo(fake_job=True)`:
the worker's mock room, no signalling). Ending it goes through LiveKit's real job lifecycle:
`executor.aclose()` sends the `ShutdownRequest` a worker drain or redeploy sends; the job then
waits for the entrypoint, closes the primary AgentSession, disconnects the room and runs the
shutdown callbacks, and the process executor kills a job that overruns `close_timeout`
(`shutdown_process_timeout`).

The scripted entrypoint reads its plan from the job metadata (JSON), so it also works in a
spawned process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from livekit.agents import AgentSession, JobContext, JobProcess
from livekit.agents.ipc.job_proc_executor import ProcJobExecutor
from livekit.agents.ipc.job_thread_executor import ThreadJobExecutor
from livekit.agents.job import JobAcceptArguments, RunningJobInfo
from livekit.protocol import agent as agent_proto
from livekit.protocol import models

from ringback.livekit import RingbackPlugin
from ringback.livekit.testing import Reply, ScriptedLLM

from .livekit_agents import Support

Executor = ThreadJobExecutor | ProcJobExecutor


def prewarm(proc: JobProcess) -> None:
    """The worker's per-process setup hook (nothing to do here)."""


def job_info(job_id: str, metadata: dict[str, Any] | None = None) -> RunningJobInfo:
    job = agent_proto.Job(
        id=job_id,
        room=models.Room(name=f"room-{job_id}", sid=f"RM_{job_id}"),
        type=agent_proto.JobType.JT_ROOM,
        metadata=json.dumps(metadata or {}),
        agent_name="support-bot",
    )
    return RunningJobInfo(
        accept_arguments=JobAcceptArguments(identity=f"agent-{job_id}", name="", metadata=""),
        job=job,
        url="",
        token="",
        worker_id="test-worker",
        fake_job=True,
    )


@contextlib.asynccontextmanager
async def run_job(
    entrypoint: Callable[[JobContext], Awaitable[None]],
    info: RunningJobInfo,
    *,
    process: bool = False,
    close_timeout: float = 10.0,
) -> AsyncIterator[Executor]:
    """Start an executor, launch `info` on it, yield it; closes it (a drain) on exit."""
    loop = asyncio.get_running_loop()
    common: dict[str, Any] = {
        "initialize_process_fnc": prewarm,
        "job_entrypoint_fnc": entrypoint,
        "session_end_fnc": None,
        "simulation_end_fnc": None,
        "inference_executor": None,
        "initialize_timeout": 30.0,
        "close_timeout": close_timeout,
        "session_end_timeout": 10.0,
        "ping_interval": 2.5,
        "high_ping_threshold": 2.0,
        "http_proxy": None,
        "loop": loop,
    }
    executor: Executor
    if process:
        executor = ProcJobExecutor(
            **common,
            memory_warn_mb=0,
            memory_limit_mb=0,
            ping_timeout=60.0,
            mp_ctx=mp.get_context("spawn"),
        )
    else:
        executor = ThreadJobExecutor(**common)
    await executor.start()
    try:
        await executor.initialize()
        await executor.launch_job(info)
        yield executor
    finally:
        await executor.aclose()


async def scripted_entry(ctx: JobContext) -> None:
    """An entrypoint driven by the job metadata:

    `{"ringback": {plugin keywords}, "turns": n, "start": bool, "crash": bool}`: attach the
    plugin, start a text-mode session (unless `start` is false), run `turns` user turns, then
    return (or raise, for `crash`), leaving the rest to the job's shutdown.
    """
    plan = json.loads(ctx.job.metadata)
    turns = int(plan.get("turns", 1))
    replies = [Reply(text=f"Answer {i}.") for i in range(turns)]
    session: AgentSession[None] = AgentSession(llm=ScriptedLLM(replies))
    RingbackPlugin(session, ctx, **plan["ringback"])
    if not plan.get("start", True):
        return
    await session.start(Support())
    for i in range(turns):
        await session.run(user_input=f"Question {i}?")
    if plan.get("crash"):
        raise RuntimeError("the agent's code crashed")
