"""What both transports share: the collector verify reads, and the report it fills."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ringback.core.secrets import masked
from ringback.simulator.store import Store

from .models import VerifyReport
from .target import VerifyTarget


@dataclass(frozen=True)
class Collector:
    """Where verify looks for the synced call."""

    store: Store
    workspace_id: int

    @property
    def description(self) -> str:
        return self.store.description


def new_report(
    target: VerifyTarget, collector: Collector, transport: Literal["sip", "text"]
) -> VerifyReport:
    call = target.call
    return VerifyReport(
        transport=transport,
        target=target.description,
        run_id=call.run_id,
        result_id=call.result_id,
        scenario_id=call.scenario_id,
        headers=masked(call.headers),
        workspace_id=collector.workspace_id,
        collector=collector.description,
    )


__all__ = ["Collector", "new_report"]
