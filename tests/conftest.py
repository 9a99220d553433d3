"""Shared fixtures: a real Create Call API server and an isolated outbox."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from support.create_call_server import CreateCallServer

INSTALL_ESPEAK = Path(__file__).resolve().parents[1] / "scripts" / "install-espeak-ng"


def pytest_sessionstart(session: pytest.Session) -> None:
    """The offline voices speak through espeak-ng: install it once when it is missing (as
    root with apt-get; otherwise their tests fail saying how to install it)."""
    if shutil.which("espeak-ng") is None:
        subprocess.run([str(INSTALL_ESPEAK)], check=False)


@pytest.fixture(autouse=True)
def _no_ringback_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's RINGBACK_* variables out of every test."""
    import os

    for name in list(os.environ):
        if name.startswith("RINGBACK_"):
            monkeypatch.delenv(name)


@pytest.fixture
async def create_call_server() -> AsyncIterator[CreateCallServer]:
    """A Create Call API server on 127.0.0.1 running in the test's event loop."""
    async with CreateCallServer() as server:
        yield server


@pytest.fixture
def threaded_create_call_server() -> Iterator[CreateCallServer]:
    """The same server on its own loop in a thread, for synchronous tests."""
    server = CreateCallServer()
    with server.in_thread():
        yield server


@pytest.fixture
def create_call_server_url(threaded_create_call_server: CreateCallServer) -> str:
    """The base URL of a threaded Create Call API server (for code that runs its own loop)."""
    return threaded_create_call_server.url


@pytest.fixture
def outbox_dir(tmp_path: Path) -> Path:
    """A fresh, empty outbox directory."""
    return tmp_path / "outbox"
