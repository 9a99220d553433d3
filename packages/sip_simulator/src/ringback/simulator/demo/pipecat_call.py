"""An offline Pipecat call for the demo: a real text pipeline (Ringback's scripted
`LLMService`, `ringback.pipecat.testing`) with `RingbackObserver`, synced to the demo's
collector like any production Pipecat bot's call.

Import this module only when Pipecat is installed (`pipecat_available()`), and inside
`quiet_pipecat()` to keep Pipecat's debug logging off the demo's output.
"""

from __future__ import annotations

import asyncio

from pipecat.frames.frames import (
    EndFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    TranscriptionFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.workers.runner import WorkerRunner

from ringback.pipecat import RingbackObserver
from ringback.pipecat.testing import Milestones, ScriptedLLMService

PIPECAT_AGENT = "demo-pipecat-bot"
EXCHANGES = (
    ("Hi, do you ship to Canada?", "Yes, we ship to Canada in five to seven days."),
    ("Great, thank you.", "You're welcome, have a nice day!"),
)
WAIT_S = 10.0


async def run_pipecat_call(call_id: str) -> bool:
    """Play `EXCHANGES` through a Pipecat pipeline observed by `RingbackObserver` (delivery
    settings from `RINGBACK_*`) and wait for the sync; True when it was delivered."""
    observer = RingbackObserver(call_id=call_id, call_type="web_call", agent_id=PIPECAT_AGENT)
    llm = ScriptedLLMService(
        [reply for _, reply in EXCHANGES], think_ms=20, model="demo-pipecat-brain"
    )
    replies = Milestones(name="replies")
    worker = PipelineWorker(
        Pipeline([llm, replies]),
        observers=[observer],
        params=PipelineParams(enable_metrics=True, enable_usage_metrics=True),
        enable_rtvi=False,
        idle_timeout_secs=None,
    )
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    run = asyncio.create_task(runner.run())
    context = LLMContext()
    try:
        for n, (said, _) in enumerate(EXCHANGES, start=1):
            context.add_message({"role": "user", "content": said})
            frames = [
                TranscriptionFrame(said, "caller", "", finalized=True),
                LLMContextFrame(context),
            ]
            await worker.queue_frames(frames)
            await replies.reached(LLMFullResponseEndFrame, n)
        await worker.queue_frame(EndFrame())
        await asyncio.wait_for(run, WAIT_S)
    finally:
        if not run.done():
            await worker.cancel()
            await asyncio.wait({run}, timeout=WAIT_S)
    result = await observer.flush(timeout=WAIT_S)
    return result is not None


__all__ = ["PIPECAT_AGENT", "run_pipecat_call"]
