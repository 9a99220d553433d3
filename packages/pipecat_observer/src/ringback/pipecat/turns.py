"""User and agent turns from Pipecat's speech and text frames, with per-turn latency.

`TurnTracker` is fed events in the order the observer sees them, each with its pipeline-clock
time in milliseconds, and writes the turns into a `Timeline` once the call has ended (metrics
such as an STT's TTFB arrive after the turn they belong to, so turns stay open until then).

- A user turn runs from the start of the caller's speech (VAD start less its `start_secs`, or
  `UserStartedSpeakingFrame`) to the end of it (VAD stop less its `stop_secs`, or
  `UserStoppedSpeakingFrame`); its text is the final `TranscriptionFrame`s, late ones included,
  until the agent starts answering.
- An agent turn is one span of bot speech (`BotStartedSpeakingFrame` to
  `BotStoppedSpeakingFrame`). Its text is what was spoken: the `TTSTextFrame`s that left the
  output after their audio (confirmed by the observer; an interrupted turn adds the piece that
  was playing), else those the TTS produced for the span, else the LLM's text. A call with no
  bot speech at all (a text pipeline) gets one agent turn per LLM response.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ringback.core.timeline import Timeline, TurnLatency


@dataclass(slots=True)
class Piece:
    """A chunk of text; `spaced` when it carries its own inter-chunk spaces (LLM tokens)."""

    text: str
    spaced: bool = False


def join_pieces(pieces: list[Piece]) -> str:
    out = ""
    for piece in pieces:
        if piece.spaced:
            out += piece.text
        elif piece.text.strip():
            text = piece.text.strip()
            out = f"{out.rstrip()} {text}" if out.strip() else text
    return out.strip()


@dataclass(slots=True, eq=False)
class UserTurn:
    start: float | None
    explicit: bool = False
    """Opened or confirmed by `UserStartedSpeakingFrame` (a turn controller is in charge)."""
    open: bool = True
    sealed: bool = False
    """The agent answered: late transcripts start a new turn."""
    speech_end: float | None = None
    released: float | None = None
    first_text_at: float | None = None
    last_text_at: float | None = None
    pieces: list[Piece] = field(default_factory=list)
    language: str | None = None
    stt_ttfb: float | None = None

    @property
    def end(self) -> float | None:
        for value in (self.speech_end, self.released, self.last_text_at):
            if value is not None:
                return value
        return None


@dataclass(slots=True, eq=False)
class Response:
    """One LLM response (`LLMFullResponseStartFrame` .. `LLMFullResponseEndFrame`)."""

    start: float
    end: float | None = None
    pieces: list[Piece] = field(default_factory=list)
    interrupted: bool = False
    llm_ttft: float | None = None


@dataclass(slots=True, eq=False)
class AgentSpan:
    """One span of bot speech."""

    start: float
    end: float | None = None
    confirmed: list[Piece] = field(default_factory=list)
    generated: list[Piece] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    interrupted: bool = False
    e2e: float | None = None
    llm_ttft: float | None = None
    tts_ttfb: float | None = None

    def text(self, *, confirming: bool) -> str:
        """What was said: with an output that confirms text, what it played (plus, when cut
        off, the piece it was playing); else what the TTS produced; else the LLM's text."""
        pieces = self.generated
        if confirming:
            pieces = list(self.confirmed)
            if self.interrupted and len(self.generated) > len(pieces):
                pieces.append(self.generated[len(pieces)])
        text = join_pieces(pieces)
        if text:
            return text
        return " ".join(t for t in (join_pieces(r.pieces) for r in self.responses) if t)


def _since(later: float | None, earlier: float | None) -> float | None:
    if later is None or earlier is None or later < earlier:
        return None
    return later - earlier


class TurnTracker:
    """Assembles one call's user and agent turns; see the module docstring."""

    def __init__(self) -> None:
        self.users: list[UserTurn] = []
        self.spans: list[AgentSpan] = []
        self.responses: list[Response] = []
        self._user: UserTurn | None = None
        self._span: AgentSpan | None = None
        self._response: Response | None = None
        self._pending_generated: list[Piece] = []
        self._pending_responses: list[Response] = []
        self._llm_ttft: float | None = None
        self._tts_ttfb: float | None = None
        self._anchor: float | None = None
        """When the caller last stopped speaking, until the agent's next speech starts."""

    # ── the caller ────────────────────────────────────────────────────────────
    def _new_user(self, start: float | None, *, explicit: bool) -> UserTurn:
        if self._user is not None:
            self._user.sealed = True
            self._user.open = False
        turn = UserTurn(start=start, explicit=explicit)
        self.users.append(turn)
        self._user = turn
        self._anchor = None
        return turn

    def vad_started(self, at: float, start_secs: float) -> None:
        turn = self._user
        if turn is not None and turn.open:
            return  # still speaking, or speaking again within a turn still held open
        self._new_user(max(at - start_secs * 1000.0, 0.0), explicit=False)

    def vad_stopped(self, at: float, stop_secs: float) -> None:
        turn = self._user
        if turn is None or not turn.open:
            return
        turn.speech_end = max(at - stop_secs * 1000.0, turn.start or 0.0)
        self._anchor = turn.speech_end
        if not turn.explicit:
            turn.open = False

    def user_started(self, at: float) -> None:
        turn = self._user
        if turn is not None and not turn.sealed and turn.released is None:
            # The turn controller confirms the speech VAD (or a transcript) already began.
            turn.explicit = True
            turn.open = True
            turn.start = at if turn.start is None else min(turn.start, at)
            return
        self._new_user(at, explicit=True)

    def user_stopped(self, at: float) -> None:
        turn = self._user
        if turn is None or turn.sealed or turn.released is not None:
            return
        turn.released = at
        turn.open = False
        if turn.speech_end is None:
            self._anchor = at

    def transcription(self, at: float, text: str, language: str | None) -> None:
        turn = self._user
        if turn is None or turn.sealed:
            turn = self._new_user(None, explicit=False)
            turn.open = False
        turn.pieces.append(Piece(text))
        if turn.first_text_at is None:
            turn.first_text_at = at
        turn.last_text_at = at
        if language:
            turn.language = language

    def _seal_user(self) -> None:
        if self._user is not None:
            self._user.sealed = True
            self._user.open = False

    # ── the agent ─────────────────────────────────────────────────────────────
    def bot_started(self, at: float) -> None:
        if self._span is not None:
            return
        span = AgentSpan(start=at)
        span.e2e = _since(at, self._anchor)
        self._anchor = None
        span.llm_ttft, span.tts_ttfb = self._llm_ttft, self._tts_ttfb
        self._llm_ttft = self._tts_ttfb = None
        span.generated, self._pending_generated = self._pending_generated, []
        span.responses, self._pending_responses = self._pending_responses, []
        if self._response is not None and not any(r is self._response for r in span.responses):
            span.responses.append(self._response)
        self._seal_user()
        self.spans.append(span)
        self._span = span

    def bot_stopped(self, at: float) -> None:
        if self._span is not None:
            self._span.end = max(at, self._span.start)
            self._span = None

    def spoken_text(self, text: str, spaced: bool, *, confirmed: bool) -> None:
        """Text the TTS produced (`confirmed=False`) or that left the output (`True`)."""
        piece = Piece(text, spaced)
        if confirmed:
            span = self._span or (self.spans[-1] if self.spans else None)
            if span is not None:
                span.confirmed.append(piece)
        elif self._span is not None:
            self._span.generated.append(piece)
        else:
            self._pending_generated.append(piece)

    def interruption(self, at: float) -> None:
        if self._span is not None:
            self._span.interrupted = True
        if self._response is not None:
            self._response.interrupted = True
            self._response.end = at
            self._response = None
        # Whatever the bot had prepared and not yet said is discarded.
        self._pending_generated = []
        self._llm_ttft = self._tts_ttfb = None

    def response_started(self, at: float) -> None:
        self._seal_user()
        self._response = Response(start=at)
        self.responses.append(self._response)
        if self._span is None:
            self._pending_responses.append(self._response)

    def response_text(self, at: float, text: str, spaced: bool) -> None:
        if self._response is None:
            self.response_started(at)
        assert self._response is not None
        self._response.pieces.append(Piece(text, spaced))

    def response_ended(self, at: float) -> None:
        if self._response is not None:
            self._response.end = at
            self._response = None

    # ── metrics ───────────────────────────────────────────────────────────────
    def stt_ttfb(self, ms: float) -> None:
        # Reported with (just before) the final transcript of the latest utterance.
        if self._user is not None and self._user.stt_ttfb is None:
            self._user.stt_ttfb = ms

    def llm_ttfb(self, ms: float) -> None:
        if self._response is not None and self._response.llm_ttft is None:
            self._response.llm_ttft = ms
        self._llm_ttft = ms  # the inference that ends up spoken is the latest one before it

    def tts_ttfb(self, ms: float) -> None:
        if self._span is not None and self._span.tts_ttfb is None:
            self._span.tts_ttfb = ms
        elif self._tts_ttfb is None:
            self._tts_ttfb = ms  # the first sentence of the next span

    # ── output ────────────────────────────────────────────────────────────────
    def write(self, timeline: Timeline, *, end_ms: float) -> None:
        """Add every turn with text to `timeline` (once, when the call has ended)."""
        for turn in self.users:
            text = join_pieces(turn.pieces)
            if not text:
                continue
            start = turn.start if turn.start is not None else turn.first_text_at or 0.0
            end = turn.end
            timeline.add_turn(
                "user",
                text,
                start_ms=start,
                end_ms=max(end, start) if end is not None else start,
                latency=TurnLatency(
                    stt_node_ttfb=turn.stt_ttfb,
                    eou_delay=_since(turn.released, turn.speech_end),
                ),
                metadata={"language": turn.language} if turn.language else None,
            )
        if self.spans:
            confirming = any(span.confirmed for span in self.spans)
            for span in self.spans:
                text = span.text(confirming=confirming)
                if not text:
                    continue
                end = span.end if span.end is not None else max(end_ms, span.start)
                timeline.add_turn(
                    "agent",
                    text,
                    start_ms=span.start,
                    end_ms=end,
                    latency=TurnLatency(
                        e2e_latency=span.e2e,
                        llm_node_ttft=span.llm_ttft,
                        tts_node_ttfb=span.tts_ttfb,
                    ),
                    interrupted=span.interrupted,
                )
            return
        for response in self.responses:  # no bot speech: a text pipeline
            text = join_pieces(response.pieces)
            if not text:
                continue
            end = response.end if response.end is not None else max(end_ms, response.start)
            timeline.add_turn(
                "agent",
                text,
                start_ms=response.start,
                end_ms=end,
                latency=TurnLatency(llm_node_ttft=response.llm_ttft),
                interrupted=response.interrupted,
            )
