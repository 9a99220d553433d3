"""What the store accepts: a validated call in canonical form, with its link keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ringback.core.contract import CallRecord

from .linking import LinkKeys


@dataclass(frozen=True, slots=True)
class PreparedCall:
    """A validated call in canonical form, with what linking needs."""

    record: CallRecord
    canonical: str
    """The normalised call as compact JSON (the model's field order): what is stored."""
    notes: tuple[str, ...]
    """What the normaliser changed (empty for a body already in the canonical shape)."""
    links: LinkKeys

    def sha256(self) -> str:
        """The hex SHA-256 of `canonical`."""
        return hashlib.sha256(self.canonical.encode("utf-8")).hexdigest()
