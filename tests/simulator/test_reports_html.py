"""The renderers on a hand-built evaluation: hostile text is escaped everywhere, the HTML
nests and references nothing, timelines merge tool rows, and edge cases render."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from ringback.simulator.evaluate import (
    AssertionResult,
    CallEvaluation,
    RunEvaluation,
    summarise,
)
from ringback.simulator.reports import (
    FILE_NAMES,
    CallBodies,
    ReportFormat,
    render,
    timeline,
    write_reports,
)
from ringback.simulator.suite.models import Suite

HOSTILE = '<script>alert("x")</script>'

VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "col", "wbr", "source"})
SVG_EMPTY = frozenset({"line", "rect", "circle", "path"})


class _Nesting(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.references: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.references += [f"{k}={v}" for k, v in attrs if k in ("src", "href", "xlink:href")]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.references += [f"{k}={v}" for k, v in attrs if k in ("src", "href", "xlink:href")]

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> _Nesting:
    parser = _Nesting()
    parser.feed(page)
    parser.close()
    return parser


def assert_balanced(page: str) -> None:
    """Every non-void tag is closed, in order; nothing is referenced by src/href."""
    parsed = parse(page)
    assert parsed.problems == []
    assert parsed.stack == []
    assert parsed.references == []


def _body(text: str) -> dict[str, Any]:
    return {
        "transcript_with_tool_calls": [
            {"role": "user", "text": text, "start_ms": 0, "end_ms": 900},
            {"role": "node_transition", "start_ms": 950, "node": {"from": "greet", "to": HOSTILE}},
            {
                "role": "agent_function",
                "start_ms": 1000,
                "tool": {"name": HOSTILE, "request_id": "r1", "params": '{"q": "</td>"}'},
            },
            {
                "role": "agent_result",
                "start_ms": 1100,
                "tool": {"name": HOSTILE, "request_id": "r1", "result": {}, "is_error": True},
            },
            {
                "role": "agent",
                "text": f"you said {text}",
                "start_ms": 1200,
                "end_ms": 2400,
                "metadata": {"llm_node_ttft": 310},
            },
        ]
    }


def _evaluation() -> tuple[RunEvaluation, dict[str, CallBodies]]:
    hostile_call = CallEvaluation(
        result_id="r" * 32,
        scenario_id=HOSTILE,
        attempt=0,
        linked=True,
        caller_linked=True,
        agent_call_id=HOSTILE,
        assertions=[
            AssertionResult(
                kind="said", passed=False, reason=f"never said {HOSTILE}", spec={"pattern": HOSTILE}
            ),
            AssertionResult(
                kind="agent_expectations", passed=None, reason="skipped: no judge configured"
            ),
        ],
        latency_samples={"llm_node_ttft": [310.0, 420.0, 1800.0]},
    )
    unlinked = CallEvaluation(result_id="u" * 32, scenario_id="quiet", attempt=1, linked=False)
    suite = Suite.model_validate(
        {
            "name": "suite <&>",
            "agent": {"sip_uri": "sip:agent@pbx.example.com"},
            "scenarios": [{"id": "quiet", "turns": ["hi"]}],
        }
    )
    evaluation = summarise("run-1", suite, [hostile_call, unlinked])
    return evaluation, {"r" * 32: CallBodies(agent=_body(HOSTILE), caller=_body("hi"))}


def test_html_escapes_every_hostile_string_and_loads_nothing() -> None:
    evaluation, bodies = _evaluation()
    page = render(evaluation, bodies, ReportFormat.HTML)
    assert "<script" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "suite &lt;&amp;&gt;" in page
    parsed = parse(page)
    assert parsed.problems == []
    assert parsed.stack == []
    assert parsed.references == []
    text = "".join(parsed.text)
    assert f"you said {HOSTILE}" in text  # shown to the reader as text
    assert "not linked" in text
    assert "No timeline: no side of this call was synced." in text
    assert "50.0%" not in text  # 0 of 2 passed
    assert "0.0%" in text
    assert "skipped" in text


def test_junit_and_markdown_keep_hostile_text_inert() -> None:
    evaluation, bodies = _evaluation()
    root = ET.fromstring(render(evaluation, bodies, ReportFormat.JUNIT))
    (suite,) = root
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("2", "2", "0")
    names = [c.get("name") for c in suite.iter("testcase")]
    assert names == [f"{HOSTILE}[0]", "quiet[1]"]
    failure = suite.find("testcase/failure")
    assert failure is not None
    assert failure.get("message") == f"said: never said {HOSTILE}"
    quiet = suite.findall("testcase")[1].find("failure")
    assert quiet is not None
    assert (quiet.text or "").startswith("linked: no agent side is linked")
    md = render(evaluation, bodies, ReportFormat.MD)
    assert "<script" not in md
    assert "&lt;script&gt;" in md
    assert "pass rate **0.0%** (0/2 calls passed)" in md


def test_timeline_merges_a_tool_result_into_its_call() -> None:
    events = timeline(_body("hello"))
    assert [(e.kind, e.role) for e in events] == [
        ("turn", "user"),
        ("transition", "node_transition"),
        ("tool", "agent_function"),
        ("turn", "agent"),
    ]
    tool = events[2]
    assert tool.detail["params"] == {"q": "</td>"}
    assert tool.detail["is_error"] is True
    assert events[1].detail == {"from": "greet"}
    assert timeline(None) == []


def test_json_report_carries_both_timelines() -> None:
    evaluation, bodies = _evaluation()
    data = json.loads(render(evaluation, bodies, ReportFormat.JSON))
    assert data["schema_version"] == 1
    hostile, unlinked = data["calls"]
    assert hostile["timeline"][0]["text"] == HOSTILE
    assert hostile["caller_timeline"][0]["text"] == "hi"
    assert (unlinked["timeline"], unlinked["passed"]) == ([], False)
    assert data["latency"]["llm_node_ttft"]["count"] == 3


def test_write_reports_writes_each_format_once(tmp_path: Path) -> None:
    evaluation, bodies = _evaluation()
    written = write_reports(
        evaluation, bodies, tmp_path / "a" / "b", ["md", ReportFormat.MD, "junit"]
    )
    assert written == {
        ReportFormat.MD: tmp_path / "a" / "b" / FILE_NAMES[ReportFormat.MD],
        ReportFormat.JUNIT: tmp_path / "a" / "b" / "junit.xml",
    }
    assert sorted(p.name for p in (tmp_path / "a" / "b").iterdir()) == ["junit.xml", "summary.md"]


def test_an_empty_run_renders() -> None:
    evaluation = RunEvaluation(run_id="empty", suite="s")
    page = render(evaluation, {}, ReportFormat.HTML)
    assert '<span class="rate" id="pass-rate">n/a</span>' in page
    assert "No agent turn reported latency." in page
    root = ET.fromstring(render(evaluation, {}, ReportFormat.JUNIT))
    assert root.get("tests") == "0"
    assert "pass rate **n/a**" in render(evaluation, {}, ReportFormat.MD)
