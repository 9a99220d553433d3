"""Metrics attribution by service class (never by name), token accounting that never counts
cached tokens twice, and model names read from the services themselves."""

from __future__ import annotations

from pathlib import Path

from pipecat.frames.frames import LLMContextFrame, MetricsFrame
from pipecat.metrics.metrics import LLMTokenUsage, TTFBMetricsData
from pipecat.pipeline.worker import PipelineParams
from support.create_call_server import CreateCallServer

from ringback.pipecat import RingbackObserver
from ringback.pipecat.metrics import gross_input_tokens, provider_name, service_kind
from ringback.pipecat.testing import Reply, ScriptedCall, Usage, call_clock, token_usage

OPENAI_STYLE = Usage(  # cache reads counted inside prompt_tokens
    input_tokens=1000, output_tokens=50, total_tokens=1050, cached_tokens=800
)
ANTHROPIC_STYLE = Usage(  # cache reads and writes reported beside prompt_tokens
    input_tokens=200,
    output_tokens=40,
    total_tokens=1140,
    cached_tokens=800,
    cache_write_tokens=100,
)


def observer_for(server: CreateCallServer, outbox_dir: Path, call_id: str) -> RingbackObserver:
    return RingbackObserver(
        call_id=call_id, base_url=server.url, outbox_dir=outbox_dir, clock=call_clock()
    )


def test_gross_input_tokens_whichever_way_the_cache_is_reported() -> None:
    assert gross_input_tokens(token_usage(OPENAI_STYLE)) == 1000
    assert gross_input_tokens(token_usage(ANTHROPIC_STYLE)) == 1100
    broken = LLMTokenUsage(prompt_tokens=300, completion_tokens=20, total_tokens=0)
    assert gross_input_tokens(broken) == 300


async def test_latency_is_attributed_by_class_whatever_the_services_are_called(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    observer = observer_for(create_call_server, outbox_dir, "names-1")
    misleading = {"stt": "GoogleTTSService", "llm": "DeepgramSTTService", "tts": "OpenAILLMService"}
    steps = [
        Reply(text=["Hello."], think_ms=250, usage=OPENAI_STYLE),
        Reply(text=["Sure."], think_ms=310, usage=ANTHROPIC_STYLE),
    ]
    async with ScriptedCall([observer], replies=steps, names=misleading) as call:
        assert [service_kind(p) for p in (call.stt, call.llm, call.tts, call.output)] == [
            "stt",
            "llm",
            "tts",
            None,
        ]
        call.clock.set_ms(100)
        await call.worker.queue_frame(LLMContextFrame(call.context))
        await call.bot_spoke(1)
        # A TTFB from a processor that is not a service (here, the pipeline's own source)
        # says nothing about any turn.
        call.clock.set_ms(1000)
        await call.send(MetricsFrame(data=[TTFBMetricsData(processor="tts", value=9.9)]))
        await call.user_says("Can you help?", at_ms=2000, speech_ms=1000)
        await call.bot_spoke(2)
        await call.end(at_ms=5000)

    await observer.flush()
    body = create_call_server.requests[0].body
    assert [(row["role"], row["metadata"]) for row in body["transcript_with_tool_calls"]] == [
        ("agent", {"llm_node_ttft": 250, "tts_node_ttfb": 120, "interrupted": False}),
        ("user", {"language": "en-US", "stt_node_ttfb": 350, "eou_delay": 450}),
        (
            "agent",
            {
                "e2e_latency": 3760 - 3000,
                "llm_node_ttft": 310,
                "tts_node_ttfb": 120,
                "interrupted": False,
            },
        ),
    ]
    general = body["general_meta_data_raw"]
    assert general["usage_token"] == {
        "stt_duration_seconds": 1.0,
        "llm_token": 1000 + 50 + 1100 + 40,
        "tts_characters_count": len("Hello.") + len("Sure."),
    }
    assert general["usage"][0] == {
        "kind": "llm",
        "model": "scripted-llm",
        "provider": "ScriptedLLMService",
        "input_tokens": 2100,
        "cached_input_tokens": 1600,
        "output_tokens": 90,
        "requests": 2,
    }


async def test_model_names_come_from_the_services_even_without_metrics(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    observer = observer_for(create_call_server, outbox_dir, "models-1")
    async with ScriptedCall(
        [observer], replies=[Reply(text=["Hello."])], params=PipelineParams()
    ) as call:
        call.clock.set_ms(100)
        await call.worker.queue_frame(LLMContextFrame(call.context))
        await call.bot_spoke(1)
        await call.end(at_ms=2000)

    await observer.flush()
    general = create_call_server.requests[0].body["general_meta_data_raw"]
    assert general["ai_models"] == {
        "asr_model": "scripted-stt",
        "llm_model": "scripted-llm",
        "tts_model": "scripted-tts",
    }
    assert general["usage_token"] == {
        "stt_duration_seconds": None,
        "llm_token": None,
        "tts_characters_count": None,
    }
    assert "usage" not in general


def test_provider_names() -> None:
    from pipecat.services.openai.llm import OpenAILLMService

    assert provider_name(OpenAILLMService(api_key="sk-test")) == "openai"
    assert provider_name(object()) == "object"
