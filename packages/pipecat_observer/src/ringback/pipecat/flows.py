"""Pipecat Flows node transitions, read through the FlowManager's public `current_node`.

Flows has no transition event. When it enters a node it sets `current_node` and then queues
the node's frames (`LLMMessagesAppendFrame`/`LLMMessagesUpdateFrame`, `LLMSetToolsFrame`,
`LLMRunFrame`), so the observer compares `current_node` with the last node it saw whenever it
handles a frame: the first frame after a transition carries its time. The reason is the edge
function whose result preceded the transition (``function:<name>``), ``initial`` for the
first node, and ``set_node`` for a transition made in code (`set_node_from_config`).
"""

from __future__ import annotations

import logging
from typing import Protocol

from ringback.core.timeline import Timeline

from .tools import ToolTracker

logger = logging.getLogger("ringback.pipecat")


class FlowLike(Protocol):
    """What is read from a `pipecat.flows.FlowManager`."""

    @property
    def current_node(self) -> str | None: ...


class FlowWatcher:
    def __init__(self, timeline: Timeline, tools: ToolTracker) -> None:
        self._timeline = timeline
        self._tools = tools
        self._flows: list[FlowLike] = []
        self._nodes: list[str | None] = []

    @property
    def watching(self) -> bool:
        return bool(self._flows)

    def watch(self, flow: FlowLike) -> None:
        if any(f is flow for f in self._flows):
            return
        self._flows.append(flow)
        self._nodes.append(None)

    def poll(self, at_ms: float) -> None:
        for i, flow in enumerate(self._flows):
            try:
                node = flow.current_node
            except Exception:
                logger.debug("ringback: could not read the flow's current node", exc_info=True)
                continue
            previous = self._nodes[i]
            if node is None or node == previous:
                continue
            self._nodes[i] = node
            if previous is None:
                reason = "initial"
            elif self._tools.last_edge is not None:
                reason = f"function:{self._tools.last_edge}"
            else:
                reason = "set_node"
            self._tools.last_edge = None
            self._timeline.transition(node, at_ms=at_ms, from_=previous, reason=reason)
