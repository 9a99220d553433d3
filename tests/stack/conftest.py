"""Fixtures of the `livekit_stack` tests: the stack itself, its server API, a collector.

Every test in this folder is marked `livekit_stack`. Without a stack they are not run, and
one line at the end of the session says how to run them; under `with-stack`
(`RINGBACK_LIVEKIT_STACK=1`) a test that cannot reach the stack fails instead.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from livekit import api
from support.collector_server import RunningCollector, running_collector
from support.livekit_stack import HOW_TO_RUN, Stack

HERE = Path(__file__).parent
_not_run: list[pytest.Item] = []


def _required() -> bool:
    return os.environ.get("RINGBACK_LIVEKIT_STACK") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mine = [item for item in items if HERE in Path(item.path).parents]
    for item in mine:
        item.add_marker(pytest.mark.livekit_stack)
    if mine and Stack.from_env() is None and not _required():
        _not_run.extend(mine)
        items[:] = [item for item in items if item not in mine]
        config.hook.pytest_deselected(items=mine)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _not_run:
        terminalreporter.write_line(
            f"{len(_not_run)} livekit_stack tests not run: {HOW_TO_RUN}", yellow=True
        )


@pytest.fixture(scope="session")
def stack() -> Stack:
    found = Stack.from_env()
    if found is None:
        pytest.fail(f"RINGBACK_LIVEKIT_STACK=1 but no stack is configured; {HOW_TO_RUN}")
    return found


@pytest.fixture
async def lkapi(stack: Stack) -> AsyncIterator[api.LiveKitAPI]:
    client = stack.api()
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def collector(tmp_path: Path) -> AsyncIterator[RunningCollector]:
    async with running_collector(tmp_path) as running:
        yield running
