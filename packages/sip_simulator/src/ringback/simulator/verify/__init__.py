"""`ringback-sim verify`: LiveKit credentials, the outbound trunk, one short call answered,
the call synced back to the collector, and its SIP Call-ID and X- headers intact, each with a
pass/fail line and a fix; `--transport text` runs the same checks in-process against a LiveKit
`Agent`. See docs/verify.md; the command is `ringback.simulator.cli.verify`.

The flows are `verify.sip.verify_sip` and `verify.text.verify_text` (imported lazily: the text
transport loads LiveKit Agents).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ringback.core.lazy import lazy_exports

if TYPE_CHECKING:
    from .models import Shape, Step, StepId, StepStatus, SyncedCall, SyncedCallProblem, VerifyReport

__getattr__ = lazy_exports(
    __name__,
    {
        "Shape": ".models",
        "Step": ".models",
        "StepId": ".models",
        "StepStatus": ".models",
        "SyncedCall": ".models",
        "SyncedCallProblem": ".models",
        "VerifyReport": ".models",
    },
)

__all__ = [
    "Shape",
    "Step",
    "StepId",
    "StepStatus",
    "SyncedCall",
    "SyncedCallProblem",
    "VerifyReport",
]
