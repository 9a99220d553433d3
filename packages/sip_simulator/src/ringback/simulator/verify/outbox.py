"""Text transport: whether the agent's side of the verify call is still waiting in this
process's outbox (not delivered), and the last error its delivery met."""

from __future__ import annotations

from pathlib import Path

from ringback.core.delivery import DEAD, PENDING, Outbox

SKEW_S = 1.0
"""Entries written this long before the call started still count (file time resolution)."""


def undelivered(outbox_dir: Path, result_id: str, *, since: float) -> str | None:
    """Why the agent's side of call `result_id` sits in the outbox, or None when it is not
    there (delivered, or never recorded). Blocking file I/O."""
    outbox = Outbox(outbox_dir)
    for state in (PENDING, DEAD):
        for ref in outbox.entries(state):
            if ref.mtime < since - SKEW_S:
                continue
            head = outbox.header(ref) or {}
            call_id = str(head.get("call_id", ""))
            if call_id.endswith("-caller"):
                continue  # the simulated caller's side
            try:
                if result_id.encode() not in ref.path.read_bytes():
                    continue
            except OSError:
                continue
            error = outbox.last_error(ref.sink, ref.key, state) or {}
            why = str(error.get("error") or "not delivered yet")
            where = "given up on (dead letter)" if state == DEAD else "waiting in the outbox"
            return f"the agent's side of the call ({call_id!r}) is {where}: {why}"
    return None


__all__ = ["undelivered"]
