"""Every ```python block in README.md and docs/*.md runs, and every ```yaml suite in them
loads, so the examples cannot rot."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest
from support.create_call_server import CreateCallServer

from ringback.simulator.suite import parse_suite

ROOT = Path(__file__).parents[1]
DOCS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "packages").glob("*/README.md")),
]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.S | re.M)


def examples(block: re.Pattern[str] = BLOCK) -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for n, code in enumerate(block.findall(doc.read_text()), start=1):
            found.append((f"{doc.relative_to(ROOT)}#{n}", code))
    return found


def suites() -> list[tuple[str, str]]:
    return [(name, text) for name, text in examples(YAML_BLOCK) if "\nscenarios:" in text]


@pytest.mark.parametrize(("name", "text"), suites(), ids=[n for n, _ in suites()])
def test_example_suite_loads(name: str, text: str) -> None:
    env = {var: "set" for var in re.findall(r"\$\{(\w+)\}", text)}
    loaded = parse_suite(text, name=name, env=env)
    assert loaded.suite.scenarios, name


def test_the_docs_have_a_suite() -> None:
    assert any(n.startswith("packages/sip_simulator/README.md") for n, _ in suites())


def test_the_docs_have_examples() -> None:
    names = [name for name, _ in examples()]
    assert "README.md#1" in names
    assert any(name.startswith("docs/correlation.md") for name in names)
    # the testing page's LiveKit session, Pipecat harness and server stand-in
    assert {"docs/testing.md#1", "docs/testing.md#2", "docs/testing.md#3"} <= set(names)


@pytest.mark.parametrize(("name", "code"), examples(), ids=[n for n, _ in examples()])
def test_example_runs(
    name: str,
    code: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    threaded_create_call_server: CreateCallServer,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RINGBACK_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("RINGBACK_BASE_URL", threaded_create_call_server.url)
    script = tmp_path / "example.py"
    script.write_text(code)
    # Not "__main__": a worker example's `if __name__ == "__main__": cli.run_app(...)` must
    # define everything without starting a worker.
    runpy.run_path(str(script), run_name="__docs__")
    if "Delivery(" in code:  # an example that delivers must really have delivered
        assert threaded_create_call_server.requests, f"{name} sent nothing"
        assert not list((tmp_path / "outbox" / "pending").rglob("*.json"))
