"""A Twilio telephony bot (Pipecat over a FastAPI websocket) whose every call Ringback syncs.

How the SIP Call-ID and X- headers reach the bot: route the SIP call to a Twilio SIP domain
whose voice webhook is this app's ``POST /twiml``. Twilio posts ``SipCallId`` and
``SipHeader_X-*`` there; the TwiML it gets back opens a Media Stream to ``/ws`` and forwards
them as ``<Parameter>``s, which arrive in the stream's ``start.customParameters``. `run_bot`
reads them and hands them to `RingbackObserver` (Twilio's ``callSid`` is kept as a native id,
never as the Call-ID).

Run it (the serving part needs ``fastapi`` and ``uvicorn``; the default services need
``pipecat-ai[deepgram,cartesia,silero,websocket]`` and their API keys)::

    DEEPGRAM_API_KEY=... OPENAI_API_KEY=... CARTESIA_API_KEY=... \\
    PUBLIC_HOST=bot.example.com uv run python examples/pipecat_bot.py

``TWILIO_ACCOUNT_SID`` / ``TWILIO_AUTH_TOKEN`` let the bot hang up the call when it ends the
conversation. Ringback's settings come from ``RINGBACK_*`` variables (by default the local
collector, ``ringback-sim serve``). The pipeline is built by `build_worker`, which takes any
services and transport, so tests run it offline.
"""

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import quoteattr

from pipecat.audio.vad.vad_analyzer import VADAnalyzer
from pipecat.frames.frames import LLMRunFrame
from pipecat.observers.base_observer import BaseObserver
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.services.llm_service import LLMService
from pipecat.services.stt_service import STTService
from pipecat.services.tts_service import TTSService
from pipecat.transports.base_transport import BaseTransport
from pipecat.turns.user_turn_strategies import UserTurnStrategies
from pipecat.workers.runner import WorkerRunner

from ringback.core.delivery import SubmitResult
from ringback.pipecat import RingbackObserver, read_start_message

if TYPE_CHECKING:
    from fastapi import FastAPI, WebSocket

SYSTEM_PROMPT = (
    "You are the phone agent of Acme. Keep answers short: they are spoken. Help the caller "
    "with their order."
)
TWILIO_SAMPLE_RATE = 8000


@dataclass
class BotServices:
    stt: STTService
    llm: LLMService[Any]
    tts: TTSService
    vad_analyzer: VADAnalyzer | None = None
    user_turn_strategies: UserTurnStrategies | None = None
    """None: Pipecat's defaults (VAD and transcripts start a turn, smart-turn ends it)."""


def default_services() -> BotServices:
    """Deepgram, OpenAI and Cartesia, with Silero VAD (imported only when used)."""
    from pipecat.audio.vad.silero import SileroVADAnalyzer
    from pipecat.services.cartesia.tts import CartesiaTTSService
    from pipecat.services.deepgram.stt import DeepgramSTTService
    from pipecat.services.openai.llm import OpenAILLMService

    return BotServices(
        stt=DeepgramSTTService(api_key=os.environ["DEEPGRAM_API_KEY"]),
        llm=OpenAILLMService(
            api_key=os.environ["OPENAI_API_KEY"],
            settings=OpenAILLMService.Settings(model="gpt-4.1-mini"),
        ),
        tts=CartesiaTTSService(
            api_key=os.environ["CARTESIA_API_KEY"],
            settings=CartesiaTTSService.Settings(
                voice=os.environ.get("CARTESIA_VOICE_ID", "71a7ad14-091c-4e8e-a314-022ece01c121")
            ),
        ),
        vad_analyzer=SileroVADAnalyzer(),
    )


# ── Twilio ──────────────────────────────────────────────────────────────────────
def twiml_for(webhook_form: Mapping[str, str], stream_url: str) -> str:
    """The TwiML answering Twilio's voice webhook: a Media Stream to `stream_url` carrying the
    SIP Call-ID and the X- headers (and nothing else from the form: it holds phone numbers)."""
    params: list[tuple[str, str]] = []
    if webhook_form.get("SipCallId"):
        params.append(("SipCallId", webhook_form["SipCallId"]))
    for key, value in webhook_form.items():
        name = key.removeprefix("SipHeader_")
        if key.startswith("SipHeader_") and name.lower().startswith("x-") and value:
            params.append((name, value))
    tags = "".join(f"<Parameter name={quoteattr(k)} value={quoteattr(v)}/>" for k, v in params)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Connect><Stream url={quoteattr(stream_url)}>{tags}</Stream></Connect>"
        "</Response>"
    )


def sip_correlation(start: Mapping[str, Any]) -> tuple[str | None, dict[str, str]]:
    """The SIP Call-ID and X- headers the TwiML forwarded, from the stream's start message."""
    custom = start.get("start", {}).get("customParameters") or {}
    headers = {str(k): str(v) for k, v in custom.items() if str(k).lower().startswith("x-") and v}
    return custom.get("SipCallId") or None, headers


def twilio_transport(websocket: "WebSocket", start: Mapping[str, Any]) -> BaseTransport:
    """A FastAPI websocket transport speaking Twilio Media Streams for this call."""
    from pipecat.transports.websocket.fastapi import (
        FastAPIWebsocketParams,
        FastAPIWebsocketTransport,
    )

    stream = start["start"]
    account_sid = os.environ.get("TWILIO_ACCOUNT_SID")
    auth_token = os.environ.get("TWILIO_AUTH_TOKEN")
    serializer = TwilioFrameSerializer(
        stream_sid=stream["streamSid"],
        call_sid=stream.get("callSid"),
        account_sid=account_sid,
        auth_token=auth_token,
        params=TwilioFrameSerializer.InputParams(auto_hang_up=bool(account_sid and auth_token)),
    )
    return FastAPIWebsocketTransport(
        websocket=websocket,
        params=FastAPIWebsocketParams(
            audio_in_enabled=True,
            audio_out_enabled=True,
            add_wav_header=False,
            serializer=serializer,
        ),
    )


# ── the bot ─────────────────────────────────────────────────────────────────────
def build_worker(
    transport: BaseTransport,
    services: BotServices,
    observer: RingbackObserver,
    *,
    observers: Sequence[BaseObserver] = (),
) -> PipelineWorker:
    """The bot's pipeline, with Ringback observing it. Greets the caller when the stream
    connects and cancels the pipeline when the caller hangs up."""
    context = LLMContext([{"role": "system", "content": SYSTEM_PROMPT}])
    aggregators = LLMContextAggregatorPair(
        context,
        user_params=LLMUserAggregatorParams(
            vad_analyzer=services.vad_analyzer,
            user_turn_strategies=services.user_turn_strategies,
        ),
    )
    pipeline = Pipeline(
        [
            transport.input(),
            services.stt,
            aggregators.user(),
            services.llm,
            services.tts,
            transport.output(),
            aggregators.assistant(),
        ]
    )
    worker = PipelineWorker(
        pipeline,
        observers=[observer, *observers],
        params=PipelineParams(
            audio_in_sample_rate=TWILIO_SAMPLE_RATE,
            audio_out_sample_rate=TWILIO_SAMPLE_RATE,
            enable_metrics=True,
            enable_usage_metrics=True,
        ),
    )

    @transport.event_handler("on_client_connected")
    async def on_client_connected(transport: BaseTransport, client: Any) -> None:
        await worker.queue_frames([LLMRunFrame()])

    @transport.event_handler("on_client_disconnected")
    async def on_client_disconnected(transport: BaseTransport, client: Any) -> None:
        observer.set_disconnection_reason("user_hangup")
        await worker.cancel()

    return worker


async def run_bot(
    websocket: "WebSocket",
    services: BotServices | None = None,
    *,
    observers: Sequence[BaseObserver] = (),
) -> SubmitResult | None:
    """Serve one call on an accepted Twilio Media Streams websocket; returns what Ringback did
    with the call once it is synced."""
    start = await read_start_message(websocket)
    sip_call_id, sip_headers = sip_correlation(start)
    observer = RingbackObserver(
        sip_call_id=sip_call_id,
        sip_headers=sip_headers,
        telephony=start,  # adds Twilio's callSid/streamSid as native ids
        agent_version=int(os.environ.get("AGENT_VERSION", "1")),
    )
    worker = build_worker(
        twilio_transport(websocket, start),
        services or default_services(),
        observer,
        observers=observers,
    )
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    try:
        await runner.run()
    finally:
        result = await observer.flush()
    return result


def create_app() -> "FastAPI":
    """``POST /twiml`` (Twilio's voice webhook) and the ``/ws`` media stream."""
    # Imported here so that the pipeline above can be built and tested without FastAPI.
    from fastapi import FastAPI, Request, WebSocket
    from fastapi.responses import Response

    app = FastAPI()

    @app.post("/twiml")
    async def twiml(request: Request) -> Response:
        # Twilio posts a URL-encoded form (parsed here, without python-multipart).
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        host = os.environ.get("PUBLIC_HOST") or request.url.netloc
        return Response(twiml_for(form, f"wss://{host}/ws"), media_type="application/xml")

    @app.websocket("/ws")
    async def media_stream(websocket: WebSocket) -> None:
        await websocket.accept()
        await run_bot(websocket)

    return app


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(create_app(), host="0.0.0.0", port=int(os.environ.get("PORT", "8765")))
