"""How a finished call is reported, the same from every integration: who ended it (the Create
Call API's `disconnection_reason`) and what kind of call it was (`call_type`).

An integration translates what its framework saw into `DisconnectionReason`s (its evidence:
how the caller left, how the session or pipeline stopped, how the process ended) and the
reason is decided here, strongest first:

1. the application's word (`CallEnding.set_disconnection_reason`);
2. a fatal error: ``error``;
3. the integration's evidence, in the order it gives it: the first that says something;
4. ``unknown``.

A call is a phone call when a SIP participant took part or its correlation carries a SIP
Call-ID, X- headers or a recipient; otherwise a web call, unless the user said which.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ringback.core.contract import CallType, DisconnectionReason

if TYPE_CHECKING:
    from ringback.core.correlation import Correlation

logger = logging.getLogger("ringback.ending")


def disconnection_reason(
    *evidence: DisconnectionReason | None,
    fatal_error: bool = False,
    explicit: DisconnectionReason | None = None,
) -> DisconnectionReason:
    """Who ended the call: `explicit`, else ``error`` after a fatal error, else the first
    `evidence` that is not None, else ``unknown``."""
    if explicit is not None:
        return explicit
    if fatal_error:
        return DisconnectionReason.ERROR
    for reason in evidence:
        if reason is not None:
            return reason
    return DisconnectionReason.UNKNOWN


class CallEnding:
    """The application's word on how the call ended, and the decision once it has."""

    def __init__(self) -> None:
        self.explicit: DisconnectionReason | None = None

    def set_disconnection_reason(self, reason: DisconnectionReason | str) -> None:
        """Say how the call ended; it beats every reason inferred from the framework. A value
        that is not a `DisconnectionReason` is logged with the valid ones and ignored."""
        try:
            self.explicit = DisconnectionReason(reason)
        except ValueError:
            valid = ", ".join(r.value for r in DisconnectionReason)
            logger.error("ringback: %r is not a disconnection reason (%s)", reason, valid)

    def decide(
        self, *evidence: DisconnectionReason | None, fatal_error: bool = False
    ) -> DisconnectionReason:
        """`disconnection_reason` with the application's word, if it gave one."""
        return disconnection_reason(*evidence, fatal_error=fatal_error, explicit=self.explicit)


def is_phone_call(correlation: Correlation | None, *, sip_participant: bool = False) -> bool:
    """True when a SIP participant took part, or the correlation carries a SIP Call-ID, X-
    headers or a recipient (the Create Call fields only a phone call has)."""
    return sip_participant or (correlation is not None and bool(correlation.call_fields()))


def default_call_type(
    correlation: Correlation | None, *, sip_participant: bool = False
) -> CallType:
    """The `call_type` of a call whose user did not say: see `is_phone_call`."""
    if is_phone_call(correlation, sip_participant=sip_participant):
        return CallType.PHONE_CALL
    return CallType.WEB_CALL
