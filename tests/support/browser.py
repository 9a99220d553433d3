"""Headless Chromium for the tests: the system's (Debian `chromium`), driven by Playwright.

    browser = await launch_chromium(playwright)   # playwright.async_api

`chromium_executable()` finds it once per test session: `RINGBACK_CHROMIUM`, else `chromium`
on PATH (or /usr/bin/chromium); when there is none it runs `scripts/install-chromium`, and when
that cannot install it the test fails with what to do. It never skips.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.async_api import Browser, Playwright

INSTALL_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "install-chromium"
DEFAULT_PATH = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING = (
    "the browser tests need Chromium: install Debian's chromium package "
    "(`sudo apt-get install --no-install-recommends chromium`, or run scripts/install-chromium "
    "as root), or set RINGBACK_CHROMIUM to a Chromium or Chrome executable"
)


def _find() -> str | None:
    chosen = os.environ.get("RINGBACK_CHROMIUM")
    if chosen:
        if Path(chosen).is_file() and os.access(chosen, os.X_OK):
            return chosen
        pytest.fail(f"RINGBACK_CHROMIUM={chosen!r} is not an executable file; {MISSING}")
    found = shutil.which("chromium")
    if found:
        return found
    return str(DEFAULT_PATH) if DEFAULT_PATH.is_file() else None


@functools.cache
def _resolve() -> tuple[str | None, str]:
    """(path, why not): looked up, and installed when missing, once per session."""
    found = _find()
    if found is not None:
        return found, ""
    done = subprocess.run(
        ["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=900, check=False
    )
    return _find(), (done.stderr or done.stdout).strip()[-2000:]


def chromium_executable() -> str:
    """The Chromium to run, installed first when missing; fails the test when impossible."""
    found, why = _resolve()
    if found is None:
        pytest.fail(f"{MISSING}\n(scripts/install-chromium said: {why})", pytrace=False)
    return found


async def launch_chromium(playwright: Playwright) -> Browser:
    """Headless Chromium (Playwright's default) with no background network traffic."""
    return await playwright.chromium.launch(
        executable_path=chromium_executable(), args=CHROMIUM_ARGS
    )
