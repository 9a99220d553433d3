"""`TurnTracker` on its own: how frames in the order an observer sees them become turns."""

from __future__ import annotations

from typing import Any

from ringback.core.timeline import Timeline
from ringback.pipecat.turns import Piece, TurnTracker, join_pieces


def turns(tracker: TurnTracker, end_ms: float = 10_000) -> list[tuple[Any, ...]]:
    timeline = Timeline()
    tracker.write(timeline, end_ms=end_ms)
    record = timeline.build(call_id="t")
    return [
        (str(s.role), s.text, s.start_ms, s.end_ms, dict(s.metadata))
        for s in record.transcript_with_tool_calls
    ]


def test_pieces_join_with_or_without_their_own_spaces() -> None:
    assert join_pieces([Piece("Hello"), Piece(" there. "), Piece("Bye.")]) == "Hello there. Bye."
    tokens = [Piece("Sure", True), Piece(", I ", True), Piece("can.", True)]
    assert join_pieces(tokens) == "Sure, I can."


def test_vad_alone_splits_turns_at_each_stop() -> None:
    tracker = TurnTracker()
    tracker.vad_started(1200, 0.2)
    tracker.vad_stopped(2200, 0.2)
    tracker.transcription(2300, "First.", None)
    tracker.vad_started(3200, 0.2)
    tracker.vad_stopped(3700, 0.2)
    tracker.transcription(3800, "Second.", "en")
    assert turns(tracker) == [
        ("user", "First.", 1000, 2000, {}),
        ("user", "Second.", 3000, 3500, {"language": "en"}),
    ]


def test_a_turn_controller_holds_one_turn_across_pauses_and_late_transcripts() -> None:
    tracker = TurnTracker()
    tracker.vad_started(1200, 0.2)
    tracker.user_started(1210)
    tracker.vad_stopped(2000, 0.2)  # a pause...
    tracker.vad_started(2300, 0.2)  # ...and more speech, still the same turn
    tracker.vad_stopped(3200, 0.2)
    tracker.transcription(3250, "I want", None)
    tracker.user_stopped(3400)
    tracker.transcription(3450, "a refund.", None)  # late, but before the agent answers
    tracker.stt_ttfb(250)
    tracker.response_started(3500)
    tracker.transcription(3600, "Hello?", None)  # after the agent started: a new turn
    assert turns(tracker) == [
        ("user", "I want a refund.", 1000, 3000, {"stt_node_ttfb": 250, "eou_delay": 400}),
        ("user", "Hello?", 3600, 3600, {}),
    ]


def test_agent_text_prefers_what_left_the_output() -> None:
    tracker = TurnTracker()
    tracker.response_started(100)
    tracker.response_text(300, "One. Two. Three.", True)
    tracker.response_ended(310)
    tracker.spoken_text("One.", False, confirmed=False)  # the TTS runs ahead of playback
    tracker.bot_started(400)
    tracker.spoken_text("Two.", False, confirmed=False)
    tracker.spoken_text("Three.", False, confirmed=False)
    tracker.spoken_text("One.", False, confirmed=True)  # ...and this one was played
    tracker.interruption(900)
    tracker.bot_stopped(900)
    tracker.response_started(1000)
    tracker.response_text(1200, "Fine.", True)
    tracker.bot_started(1300)  # no TTS text at all (a speech-to-speech service, say)
    tracker.bot_stopped(1600)
    assert turns(tracker) == [
        ("agent", "One. Two.", 400, 900, {"interrupted": True}),  # played, and cut off in
        ("agent", "Fine.", 1300, 1600, {"interrupted": False}),
    ]


def test_without_an_output_that_confirms_the_tts_text_counts() -> None:
    tracker = TurnTracker()
    tracker.vad_started(200, 0.2)
    tracker.vad_stopped(1200, 0.2)
    tracker.transcription(1300, "Hi.", None)
    tracker.llm_ttfb(300)
    tracker.spoken_text("Hello ", False, confirmed=False)
    tracker.tts_ttfb(90)
    tracker.bot_started(1700)
    tracker.spoken_text("there.", False, confirmed=False)
    tracker.tts_ttfb(95)  # a later sentence: the turn keeps its first
    assert turns(tracker, end_ms=2500) == [
        ("user", "Hi.", 0, 1000, {}),
        (
            "agent",
            "Hello there.",
            1700,
            2500,  # still speaking when the call ended
            {"e2e_latency": 700, "llm_node_ttft": 300, "tts_node_ttfb": 90, "interrupted": False},
        ),
    ]


def test_an_interruption_discards_what_was_prepared_but_not_said() -> None:
    tracker = TurnTracker()
    tracker.llm_ttfb(300)
    tracker.tts_ttfb(90)
    tracker.spoken_text("Never said.", False, confirmed=False)
    tracker.interruption(500)
    tracker.bot_started(800)
    tracker.spoken_text("Said.", False, confirmed=False)
    tracker.bot_stopped(1000)
    assert turns(tracker) == [("agent", "Said.", 800, 1000, {"interrupted": False})]
