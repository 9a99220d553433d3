"""`ringback.pipecat.testing.ScriptedLLMService` on its own, in real time (no `ManualClock`),
the way a user drops it into their own pipeline: streamed text, usage metrics, errors, and
`respond` reading the `LLMContext`."""

from __future__ import annotations

from collections.abc import Sequence

from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    MetricsFrame,
)
from pipecat.metrics.metrics import LLMUsageMetricsData, TTFBMetricsData
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.tests.utils import run_test

from ringback.pipecat.testing import Reply, ScriptedLLMService, Usage

PARAMS = PipelineParams(enable_metrics=True, enable_usage_metrics=True)


def shape(frames: Sequence[Frame]) -> list[str]:
    """The response frames in order: start, each text chunk, end."""
    names = {LLMFullResponseStartFrame: "start", LLMFullResponseEndFrame: "end"}
    out = []
    for frame in frames:
        if isinstance(frame, LLMTextFrame):
            out.append(frame.text)
        elif type(frame) in names:
            out.append(names[type(frame)])
    return out


def metrics(frames: Sequence[Frame]) -> list[object]:
    """The metrics the service reported (not the zeroed ones Pipecat sends at the start)."""
    return [d for f in frames if isinstance(f, MetricsFrame) for d in f.data if d.model]


async def test_each_context_gets_the_next_reply_streamed_then_nothing() -> None:
    usage = Usage(input_tokens=120, output_tokens=4, cached_tokens=100)
    llm = ScriptedLLMService(["Hi.", Reply(text=["Your order ", "shipped."], usage=usage)])
    context = LLMContext()
    down, up = await run_test(
        llm,
        frames_to_send=[LLMContextFrame(context) for _ in range(3)],
        pipeline_params=PARAMS,
    )
    assert shape(down) == ["start", "Hi.", "end", "start", "Your order ", "shipped.", "end"]
    assert llm.requests == 3  # the third found the script exhausted: no answer at all
    (token_usage,) = [d for d in metrics(down) if isinstance(d, LLMUsageMetricsData)]
    assert token_usage.value.prompt_tokens == 120
    assert token_usage.value.completion_tokens == 4
    assert token_usage.value.total_tokens == 124
    assert token_usage.value.cache_read_input_tokens == 100
    assert token_usage.value.cache_creation_input_tokens is None
    assert len([d for d in metrics(down) if isinstance(d, TTFBMetricsData)]) == 2
    assert not [f for f in up if isinstance(f, ErrorFrame)]


async def test_the_think_time_is_the_ttfb_it_reports() -> None:
    llm = ScriptedLLMService([Reply("Hello.", think_ms=60)], think_ms=1_000)
    down, _ = await run_test(
        llm, frames_to_send=[LLMContextFrame(LLMContext())], pipeline_params=PARAMS
    )
    (ttfb,) = [d for d in metrics(down) if isinstance(d, TTFBMetricsData)]
    assert 0.05 <= ttfb.value < 0.5


async def test_an_error_reply_is_an_error_frame_and_no_text() -> None:
    llm = ScriptedLLMService([Reply(error="model overloaded")])
    down, up = await run_test(
        llm, frames_to_send=[LLMContextFrame(LLMContext())], pipeline_params=PARAMS
    )
    assert shape(down) == ["start", "end"]
    (error,) = [f for f in up if isinstance(f, ErrorFrame)]
    assert error.error == "model overloaded"
    assert not error.fatal


async def test_respond_answers_from_the_context() -> None:
    def respond(context: LLMContext) -> str:
        last = context.get_messages()[-1]
        assert isinstance(last, dict)
        return f"You said: {last['content']}"

    context = LLMContext()
    context.add_message({"role": "user", "content": "Where is my order?"})
    down, _ = await run_test(
        ScriptedLLMService(respond=respond, model="my-model"),
        frames_to_send=[LLMContextFrame(context)],
    )
    assert shape(down) == ["start", "You said: Where is my order?", "end"]
