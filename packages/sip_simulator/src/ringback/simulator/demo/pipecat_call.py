"""An offline Pipecat call for the demo: a real text pipeline (a scripted `LLMService`) with
`RingbackObserver`, synced to the demo's collector like any production Pipecat bot's call.

Import this module only when Pipecat is installed (`pipecat_available()`), and inside
`quiet_pipecat()` to keep Pipecat's debug logging off the demo's output.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from typing import Any

from pipecat.frames.frames import (
    EndFrame,
    Frame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    TranscriptionFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.llm_service import LLMService
from pipecat.services.settings import LLMSettings
from pipecat.workers.runner import WorkerRunner

from ringback.pipecat import RingbackObserver

PIPECAT_AGENT = "demo-pipecat-bot"
EXCHANGES = (
    ("Hi, do you ship to Canada?", "Yes, we ship to Canada in five to seven days."),
    ("Great, thank you.", "You're welcome, have a nice day!"),
)
WAIT_S = 10.0


def _settings(**values: Any) -> LLMSettings:
    names = [f.name for f in dataclasses.fields(LLMSettings) if f.name != "extra"]
    fields: dict[str, Any] = {name: values.get(name) for name in names}
    return LLMSettings(**fields)


class ScriptedReplies(LLMService):
    """Answers each `LLMContextFrame` with the next scripted reply, as a streaming LLM does."""

    def __init__(self, replies: Sequence[str], *, think_s: float = 0.02) -> None:
        super().__init__(settings=_settings(model="demo-pipecat-brain"), name="llm")
        self.replies = list(replies)
        self.think_s = think_s

    def can_generate_metrics(self) -> bool:
        return True

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if not isinstance(frame, LLMContextFrame):
            await self.push_frame(frame, direction)
        elif self.replies:
            await self.push_frame(LLMFullResponseStartFrame())
            await self.start_ttfb_metrics()
            await asyncio.sleep(self.think_s)
            await self.stop_ttfb_metrics()
            await self._push_llm_text(self.replies.pop(0))
            await self.push_frame(LLMFullResponseEndFrame())


class ReplyCounter(FrameProcessor):
    """The end of the pipeline: counts finished replies so the call can wait for them."""

    def __init__(self) -> None:
        super().__init__(name="replies")
        self.done = 0
        self._changed = asyncio.Condition()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMFullResponseEndFrame):
            async with self._changed:
                self.done += 1
                self._changed.notify_all()
        await self.push_frame(frame, direction)

    async def reached(self, count: int) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.done >= count), WAIT_S)


async def run_pipecat_call(call_id: str) -> bool:
    """Play `EXCHANGES` through a Pipecat pipeline observed by `RingbackObserver` (delivery
    settings from `RINGBACK_*`) and wait for the sync; True when it was delivered."""
    observer = RingbackObserver(call_id=call_id, call_type="web_call", agent_id=PIPECAT_AGENT)
    llm = ScriptedReplies([reply for _, reply in EXCHANGES])
    counter = ReplyCounter()
    worker = PipelineWorker(
        Pipeline([llm, counter]),
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
            await counter.reached(n)
        await worker.queue_frame(EndFrame())
        await asyncio.wait_for(run, WAIT_S)
    finally:
        if not run.done():
            await worker.cancel()
            await asyncio.wait({run}, timeout=WAIT_S)
    result = await observer.flush(timeout=WAIT_S)
    return result is not None


__all__ = ["PIPECAT_AGENT", "run_pipecat_call"]
