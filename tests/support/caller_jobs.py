"""Simulated-caller jobs under LiveKit's own job executors (see `livekit_jobs.run_job`).

`caller_job` builds the `RunningJobInfo` the worker would get for a dispatched caller: the
planned call's brief as the job metadata, plus a `test` key (ignored by the brief parser)
that tells `text_caller_entry` how to play the agent's side.
"""

from __future__ import annotations

import json
from typing import Any

from livekit.agents import JobContext
from livekit.agents.job import JobAcceptArguments, RunningJobInfo
from livekit.protocol import agent as agent_proto
from livekit.protocol import models

from ringback.livekit.testing import Reply, ScriptedLLM, ToolCall
from ringback.simulator.caller import CallerBrief, start_caller


def caller_job(
    job_id: str, metadata: dict[str, Any] | str, *, agent_name: str = "ringback-caller"
) -> RunningJobInfo:
    job = agent_proto.Job(
        id=job_id,
        room=models.Room(name=f"ringback-{job_id}", sid=f"RM_{job_id}"),
        type=agent_proto.JobType.JT_ROOM,
        metadata=metadata if isinstance(metadata, str) else json.dumps(metadata),
        agent_name=agent_name,
    )
    return RunningJobInfo(
        accept_arguments=JobAcceptArguments(identity=f"caller-{job_id}", name="", metadata=""),
        job=job,
        url="",
        token="",
        worker_id="test-worker",
        fake_job=True,
    )


async def text_caller_entry(ctx: JobContext) -> None:
    """Start the caller in text mode and play the agent's side from `test.agent_says`.

    `test.caller_replies` scripts an improvising caller's LLM (`text`, and `tools` as
    [name, arguments] pairs); without it
    the brief's scripted turns play. `test.ringback` are the plugin's delivery keywords.
    """
    plan = json.loads(ctx.job.metadata)
    test = plan["test"]
    brief = CallerBrief.from_metadata(ctx.job.metadata)
    replies = test.get("caller_replies")
    llm = None
    if replies is not None:
        llm = ScriptedLLM(
            [
                Reply(
                    text=r.get("text", ""),
                    tools=[ToolCall(name, args) for name, args in r.get("tools", [])],
                )
                for r in replies
            ]
        )
    call = await start_caller(ctx, brief, llm=llm, room=None, ringback=test["ringback"])
    for line in test.get("agent_says", []):
        if call.closed.done() or call.caller.ended_by is not None:
            break
        await call.session.run(user_input=line)
