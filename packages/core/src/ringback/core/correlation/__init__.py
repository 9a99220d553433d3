"""Correlation: link a synced call to the SIP call that reached the agent.

`extract_correlation` reads the SIP Call-ID, the X- headers and the provider's own ids from
whatever the agent's platform hands it (LiveKit attributes, webhooks, websocket start
messages); `Correlation` holds the result. See docs/correlation.md. Names are imported on
first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ringback.core.lazy import lazy_exports

if TYPE_CHECKING:
    from ringback.core.protocol import canonical_result_id, is_result_id

    from .extract import extract_correlation
    from .headers import HeaderError, canonical_header_name, check_header
    from .model import Correlation
    from .provider import Provider

__getattr__ = lazy_exports(
    __name__,
    {
        "canonical_result_id": "ringback.core.protocol",
        "is_result_id": "ringback.core.protocol",
        "extract_correlation": ".extract",
        "HeaderError": ".headers",
        "canonical_header_name": ".headers",
        "check_header": ".headers",
        "Correlation": ".model",
        "Provider": ".provider",
    },
)

__all__ = [
    "Correlation",
    "HeaderError",
    "Provider",
    "canonical_header_name",
    "canonical_result_id",
    "check_header",
    "extract_correlation",
    "is_result_id",
]
