"""A Pipecat bot answering LiveKit SIP calls through Pipecat's LiveKit transport, whose every
call Ringback syncs and links.

How the SIP Call-ID and X- headers reach the bot: the inbound SIP trunk forwards the INVITE's X-
headers (``include_headers=SIP_X_HEADERS``), so LiveKit SIP puts them, with the Call-ID, on the
SIP participant's attributes (``sip.h.x-*``, ``sip.callIDFull``). Pipecat's transport does not
expose attributes; `livekit_sip_correlation` reads them through the LiveKit server API, in one
line of the transport's ``on_first_participant_joined`` handler (LiveKit's own ``SCL_`` id is
kept as a native id, never as the Call-ID).

Run it, with a dispatch rule that puts calls into ROOM (``SIPDispatchRuleDirect(room_name=ROOM)``),
offline voices (``pip install 'ringback-pipecat[livekit,voices]'`` and the espeak-ng program)::

    LIVEKIT_URL=... LIVEKIT_API_KEY=... LIVEKIT_API_SECRET=... \\
    uv run python examples/pipecat_livekit_bot.py ROOM

The bot joins ROOM and waits for a call. Its audio track is published as it connects, which is
what makes LiveKit SIP answer. It greets the caller once the call is up, answers from a table
(through Ringback's scripted LLM; any Pipecat LLM service with an ``end_call`` tool works the
same), and ends the call itself on "bye" (the room is deleted: ``agent_hangup``); when the
caller hangs up first, the pipeline is cancelled (``user_hangup``). Either way the call is
synced before `run_bot` returns. Ringback's settings come from ``RINGBACK_*`` variables (by
default the local collector, ``ringback-sim serve``).
"""

import asyncio
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from livekit import api
from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pipecat.adapters.llm.schemas.tools_schema import ToolsSchema
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADAnalyzer, VADParams
from pipecat.frames.frames import (
    EndWorkerFrame,
    FunctionCallResultProperties,
    LLMRunFrame,
)
from pipecat.observers.base_observer import BaseObserver
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.services.llm_service import FunctionCallParams, LLMService
from pipecat.services.stt_service import STTService
from pipecat.services.tts_service import TTSService
from pipecat.transports.livekit.transport import LiveKitParams, LiveKitTransport
from pipecat.turns.user_stop import SpeechTimeoutUserTurnStopStrategy
from pipecat.turns.user_turn_strategies import UserTurnStrategies
from pipecat.workers.runner import WorkerRunner

from ringback.core.delivery import SubmitResult
from ringback.core.testing import Reply as LLMReply
from ringback.core.testing import ToolCall
from ringback.pipecat import RingbackObserver, livekit_sip_correlation
from ringback.pipecat.testing import ScriptedLLMService
from ringback.pipecat.voices import OfflineSTTService, OfflineTTSService

BOT_IDENTITY = "acme-pipecat-bot"
SAMPLE_RATE = 16_000
AUDIO_OUT_QUEUE_MS = 200
"""What LiveKit Agents uses: the bot's speech is timed to within 0.2 s of what the caller hears."""
END_CALL = "end_call"
VAD_STOP_SECS = 0.5

GREETING = "Hi, this is Acme support. How can I help?"
FALLBACK = "Sorry, I did not catch that. How can I help?"


@dataclass(frozen=True)
class Reply:
    """One row of the bot's table: what it says when the caller's words match `pattern`."""

    pattern: str
    """A regular expression searched (ignoring case) in what the caller said."""
    text: str
    end_call: bool = False
    """Whether the bot hangs up once it has said `text`."""


REPLIES = (
    Reply(r"\ba1001\b", "Your order A1001 has shipped with DHL."),
    # "by": as a recognizer may write "bye"; thanks after help is a goodbye too
    Reply(r"\b(bye|by|thanks|thank you)\b", "Goodbye, take care.", end_call=True),
    Reply(r"\border\b", "Sorry, I could not find that order."),
)
BOT_LINES = (GREETING, FALLBACK, *(reply.text for reply in REPLIES))
"""Everything the bot says (what a simulated caller's recognizer may be hinted with)."""
CALLER_LINES = ("Hi, where is my order A1001?", "Great, thanks. Bye!")
"""What callers are expected to say: the bot's recognizer is hinted with these."""


# ── a scripted LLM ──────────────────────────────────────────────────────────────
def table_answer(context: LLMContext) -> LLMReply:
    """The reply to the caller's last words: the greeting when nothing has been said yet, the
    first matching row of `REPLIES`, else the fallback. A row that ends the call is followed
    by a call of the ``end_call`` tool, which the bot registers (`build_worker`), as a real
    LLM would call it."""
    heard = None
    for message in reversed(context.get_messages()):
        if isinstance(message, dict) and message.get("role") == "user":
            heard = str(message.get("content") or "")
            break
    if heard is None:
        return LLMReply(text=GREETING)
    for reply in REPLIES:
        if re.search(reply.pattern, heard, re.IGNORECASE):
            return LLMReply(text=reply.text, tools=[ToolCall(END_CALL)] if reply.end_call else [])
    return LLMReply(text=FALLBACK)


def table_llm() -> ScriptedLLMService:
    """Ringback's scripted Pipecat LLM (`ringback.pipecat.testing`) answering from the table."""
    return ScriptedLLMService(respond=table_answer, think_ms=50, model="acme-table")


END_CALL_TOOL = FunctionSchema(
    name=END_CALL,
    description="End the phone call, once you have said goodbye.",
    properties={},
    required=[],
)


# ── services ────────────────────────────────────────────────────────────────────
@dataclass
class BotServices:
    stt: STTService
    llm: LLMService[Any]
    tts: TTSService
    vad_analyzer: VADAnalyzer | None = None
    user_turn_strategies: UserTurnStrategies | None = None
    """None: Pipecat's defaults (VAD and transcripts start a turn, smart-turn ends it)."""


def offline_services(hints: Sequence[str] = CALLER_LINES) -> BotServices:
    """Offline voices (pocketsphinx hinted with `hints`, espeak-ng), Silero VAD and the table:
    no account, no network. A turn ends 0.6 s after the caller stops, once it is transcribed.

    The VAD waits for half a second of silence (Pipecat's default is 0.2 s) so that one line
    with a pause between its sentences ("Great, thanks. Bye!") stays one segment: the offline
    recognizer hears a hinted line far better whole than in pieces.
    """
    return BotServices(
        stt=OfflineSTTService(hints=hints),
        llm=table_llm(),
        tts=OfflineTTSService(),
        vad_analyzer=SileroVADAnalyzer(params=VADParams(stop_secs=VAD_STOP_SECS)),
        user_turn_strategies=UserTurnStrategies(stop=[SpeechTimeoutUserTurnStopStrategy()]),
    )


# ── LiveKit ─────────────────────────────────────────────────────────────────────
def bot_token(room_name: str, identity: str = BOT_IDENTITY) -> str:
    """A token to join `room_name` (LIVEKIT_API_KEY / LIVEKIT_API_SECRET)."""
    grants = api.VideoGrants(room_join=True, room=room_name)
    return api.AccessToken().with_identity(identity).with_grants(grants).to_jwt()


def livekit_transport(room_name: str, url: str | None = None) -> LiveKitTransport:
    """Pipecat's LiveKit transport into `room_name` (LIVEKIT_URL), audio both ways."""
    return LiveKitTransport(
        url or os.environ["LIVEKIT_URL"],
        bot_token(room_name),
        room_name,
        params=LiveKitParams(
            audio_in_enabled=True,
            audio_out_enabled=True,
            # LiveKit plays what the bot writes from a queue (1 s by default): the bot's turns
            # would end, and interruptions cut in, that much before the caller hears it.
            audio_out_queue_size_ms=AUDIO_OUT_QUEUE_MS,
        ),
    )


async def end_room(room_name: str) -> None:
    """Hang the call up: deleting the room disconnects the SIP participant."""
    async with api.LiveKitAPI() as lkapi:
        await lkapi.room.delete_room(api.DeleteRoomRequest(room=room_name))


# ── the bot ─────────────────────────────────────────────────────────────────────
@dataclass
class Hangup:
    """Who ended the call: the first to do it."""

    by: Literal["agent", "user"] | None = None

    def claim(self, who: Literal["agent", "user"]) -> bool:
        if self.by is not None:
            return False
        self.by = who
        return True


def build_worker(
    transport: LiveKitTransport,
    room_name: str,
    services: BotServices,
    observer: RingbackObserver,
    hangup: Hangup,
    *,
    observers: Sequence[BaseObserver] = (),
) -> PipelineWorker:
    """The bot's pipeline on `transport` (in `room_name`), with Ringback observing it. It reads
    the caller's correlation and greets them when they join, ends the pipeline on the
    ``end_call`` tool once the goodbye has been said, and cancels it when they hang up."""
    context = LLMContext(
        [{"role": "system", "content": "You are Acme's phone agent. Keep answers short."}],
        tools=ToolsSchema(standard_tools=[END_CALL_TOOL]),
    )
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
            audio_in_sample_rate=SAMPLE_RATE,
            audio_out_sample_rate=SAMPLE_RATE,
            enable_metrics=True,
            enable_usage_metrics=True,
        ),
        enable_rtvi=False,
    )
    caller: list[str] = []

    @transport.event_handler("on_first_participant_joined")
    async def on_first_participant_joined(transport: LiveKitTransport, participant_id: str) -> None:
        caller.append(participant_id)
        # The SIP Call-ID and X- headers, from the SIP participant's attributes:
        observer.note_correlation(await livekit_sip_correlation(room_name, participant_id))
        await worker.queue_frames([LLMRunFrame()])  # the call is up by now: greet

    @transport.event_handler("on_participant_disconnected")
    async def on_participant_disconnected(transport: LiveKitTransport, participant_id: str) -> None:
        if participant_id in caller and hangup.claim("user"):
            observer.set_disconnection_reason("user_hangup")
            await worker.cancel()

    async def end_call(params: FunctionCallParams) -> None:
        if hangup.claim("agent"):
            observer.set_disconnection_reason("agent_hangup")
        await params.result_callback(
            {"ended": True}, properties=FunctionCallResultProperties(run_llm=False)
        )
        # Downstream, behind the goodbye: the pipeline ends once it has been played.
        await params.llm.push_frame(EndWorkerFrame(reason="the agent ended the call"))

    services.llm.register_function(END_CALL, end_call)
    return worker


async def run_bot(
    room_name: str,
    *,
    transport: LiveKitTransport | None = None,
    services: BotServices | None = None,
    observers: Sequence[BaseObserver] = (),
) -> SubmitResult | None:
    """Serve one call in `room_name`; returns what Ringback did with it once it is synced."""
    transport = transport or livekit_transport(room_name)
    observer = RingbackObserver(agent_version=int(os.environ.get("AGENT_VERSION", "1")))
    hangup = Hangup()
    worker = build_worker(
        transport, room_name, services or offline_services(), observer, hangup, observers=observers
    )
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    try:
        await runner.run()
        if hangup.by == "agent":
            await end_room(room_name)
    finally:
        result = await observer.flush()
    return result


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: pipecat_livekit_bot.py ROOM")
    synced = asyncio.run(run_bot(sys.argv[1]))
    print(synced.summary() if synced else "the call was not synced")
