"""A Twilio Media Streams peer, as a FastAPI app sees it, and an STT with its own turn
detection, for running the example telephony bot offline."""

from __future__ import annotations

import asyncio
import base64
import json
from collections import Counter
from collections.abc import AsyncGenerator
from typing import Any

from pipecat.frames.frames import (
    BotStoppedSpeakingFrame,
    Frame,
    ProposedUserStartedSpeakingFrame,
    ProposedUserStoppedSpeakingFrame,
    TranscriptionFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.settings import STTSettings
from pipecat.services.stt_service import STTService
from pipecat.transcriptions.language import Language
from starlette.websockets import WebSocketState

from ringback.pipecat.testing import STEP_TIMEOUT_S, complete_settings

MULAW_SILENCE_20MS = base64.b64encode(b"\xff" * 160).decode()


class TwilioSocket:
    """A websocket whose peer is Twilio: ``connected`` and ``start`` first, then whatever the
    test has the caller do. It records what the bot sends (media, clear...)."""

    def __init__(self, start: dict[str, Any]) -> None:
        self.client_state = WebSocketState.CONNECTED
        self.application_state = WebSocketState.CONNECTED
        self.headers: dict[str, str] = {}
        self.sent: list[dict[str, Any]] = []
        self._incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._stream_sid = start["start"]["streamSid"]
        self._send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        self._send(start)

    def _send(self, message: dict[str, Any]) -> None:
        self._incoming.put_nowait({"type": "websocket.receive", "text": json.dumps(message)})

    def caller_audio(self, ms: int) -> None:
        for _ in range(ms // 20):
            self._send(
                {
                    "event": "media",
                    "streamSid": self._stream_sid,
                    "media": {"track": "inbound", "payload": MULAW_SILENCE_20MS},
                }
            )

    def hang_up(self) -> None:
        self._send({"event": "stop", "streamSid": self._stream_sid})
        self._incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})

    async def receive(self) -> dict[str, Any]:
        return await self._incoming.get()

    async def receive_text(self) -> str:
        return str((await self.receive())["text"])

    async def send_text(self, data: str) -> None:
        self.sent.append(json.loads(data))

    async def send_bytes(self, data: bytes) -> None:
        raise AssertionError("Twilio Media Streams is a text protocol")

    async def close(self, code: int = 1000) -> None:
        self.client_state = WebSocketState.DISCONNECTED
        self.application_state = WebSocketState.DISCONNECTED


class TurnDetectingSTT(STTService):
    """Like a provider with its own end-of-turn detection: after `speech_ms` of caller audio
    it proposes a turn, transcribes it, and proposes its end."""

    def __init__(self, transcripts: list[str], *, speech_ms: float = 400) -> None:
        super().__init__(
            settings=complete_settings(STTSettings, model="scripted-flux", language=Language.EN),
            name="stt",
        )
        self.transcripts = list(transcripts)
        self.speech_ms = speech_ms
        self._heard_ms = 0.0

    def can_generate_metrics(self) -> bool:
        return True

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame | None, None]:
        self._heard_ms += len(audio) / (self.sample_rate * 2) * 1000
        if self.transcripts and self._heard_ms >= self.speech_ms:
            self._heard_ms = 0.0
            text = self.transcripts.pop(0)
            yield ProposedUserStartedSpeakingFrame()
            yield TranscriptionFrame(
                text, "caller", "2025-06-15T15:06:40Z", Language.EN, finalized=True
            )
            yield ProposedUserStoppedSpeakingFrame()


class SpeechProbe(BaseObserver):
    """Counts the bot's finished utterances, for a test to wait on."""

    def __init__(self) -> None:
        super().__init__(observe_every_push=False)
        self.counts: Counter[type] = Counter()
        self._changed = asyncio.Condition()

    async def on_push_frame(self, data: FramePushed) -> None:
        frame = data.frame
        if (
            isinstance(frame, BotStoppedSpeakingFrame)
            and data.direction is FrameDirection.DOWNSTREAM
        ):
            async with self._changed:
                self.counts[BotStoppedSpeakingFrame] += 1
                self._changed.notify_all()

    async def bot_spoke(self, utterances: int) -> None:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: self.counts[BotStoppedSpeakingFrame] >= utterances),
                STEP_TIMEOUT_S,
            )
