"""Text transport: run a suite in-process against a LiveKit `Agent` class, in AgentSession
text mode, with no telephony and no LiveKit server (`ringback-sim run --transport text
--agent module:Class`).

Every planned call keeps its ids; the agent's side is recorded by `RingbackPlugin` with the
planned X- headers and the synthetic SIP Call-ID `<result_id>@text.ringback.invalid`, the
simulated caller's side is recorded and marked as the caller side, and outcomes go to the same
`ResultSink` as a dialled run: `BatchRunner(suite, TextTransport(settings), sink=...)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ringback.core.lazy import lazy_exports

if TYPE_CHECKING:
    from .agent_ref import AgentFactory, AgentImportError, load_agent
    from .call import (
        SYNTHETIC_CALL_ID_DOMAIN,
        LLMSource,
        TextCallSettings,
        run_text_call,
        synthetic_call_id,
    )
    from .conversation import Ending, converse
    from .transport import TextTransport

__getattr__ = lazy_exports(
    __name__,
    {
        "AgentFactory": ".agent_ref",
        "AgentImportError": ".agent_ref",
        "load_agent": ".agent_ref",
        "SYNTHETIC_CALL_ID_DOMAIN": ".call",
        "LLMSource": ".call",
        "TextCallSettings": ".call",
        "run_text_call": ".call",
        "synthetic_call_id": ".call",
        "Ending": ".conversation",
        "converse": ".conversation",
        "TextTransport": ".transport",
    },
)

__all__ = [
    "SYNTHETIC_CALL_ID_DOMAIN",
    "AgentFactory",
    "AgentImportError",
    "Ending",
    "LLMSource",
    "TextCallSettings",
    "TextTransport",
    "converse",
    "load_agent",
    "run_text_call",
    "synthetic_call_id",
]
