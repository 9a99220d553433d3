"""docs/correlation.md: the Python example runs, and every warning links to a real section."""

from __future__ import annotations

import re
from pathlib import Path

import ringback.core.correlation.providers.daily as daily
import ringback.core.correlation.providers.exotel as exotel
import ringback.core.correlation.providers.freeswitch as freeswitch
import ringback.core.correlation.providers.generic as generic
import ringback.core.correlation.providers.jambonz as jambonz
import ringback.core.correlation.providers.livekit as livekit
import ringback.core.correlation.providers.plivo as plivo
import ringback.core.correlation.providers.telnyx as telnyx
import ringback.core.correlation.providers.twilio as twilio
import ringback.core.correlation.providers.vonage as vonage

DOC = Path(__file__).resolve().parents[3] / "docs" / "correlation.md"

HINTS = [
    livekit.HINT,
    twilio.WEBHOOK_HINT,
    twilio.STREAM_HINT,
    telnyx.WEBHOOK_HINT,
    telnyx.STREAM_HINT,
    plivo.ANSWER_HINT,
    plivo.STREAM_HINT,
    exotel.HINT,
    jambonz.HINT,
    daily.HINT,
    vonage.HINT,
    freeswitch.HINT,
    generic.HINT,
]


def _anchors(markdown: str) -> set[str]:
    anchors = set()
    for line in markdown.splitlines():
        heading = re.match(r"#{1,6} (.+)", line)
        if heading:
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).lower()).replace(" ", "-")
            anchors.add(slug)
    return anchors


def test_the_python_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert len(blocks) == 1
    exec(compile(blocks[0], str(DOC), "exec"), {"__name__": "correlation_doc_example"})


def test_every_warning_links_to_an_existing_section() -> None:
    anchors = _anchors(DOC.read_text())
    for hint in HINTS:
        link = re.search(r"docs/correlation\.md#([\w-]+)$", hint)
        assert link, hint
        assert link.group(1) in anchors, link.group(1)
        assert hint.startswith("No SIP Call-ID")
