"""Fixtures for the collector tests: a real collector on uvicorn and an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from support.collector_server import RunningCollector, running_collector

from ringback.simulator.collector.store import Store


@pytest.fixture
async def collector(tmp_path: Path) -> AsyncIterator[RunningCollector]:
    async with running_collector(tmp_path) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A store on a fresh SQLite file, without a server."""
    async with await Store.open(str(tmp_path / "store.sqlite3")) as opened:
        yield opened
