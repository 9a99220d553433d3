"""`write_reports`: render the chosen formats into a folder."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from ringback.simulator.evaluate import RunEvaluation

from .formats import FILE_NAMES, ReportFormat
from .html import render_html
from .json_report import render_json
from .junit import render_junit
from .markdown import render_markdown
from .models import CallBodies

ALL_FORMATS = tuple(ReportFormat)


def render(evaluation: RunEvaluation, bodies: Mapping[str, CallBodies], fmt: ReportFormat) -> str:
    """One report as text."""
    match fmt:
        case ReportFormat.JSON:
            return render_json(evaluation, bodies)
        case ReportFormat.JUNIT:
            return render_junit(evaluation)
        case ReportFormat.HTML:
            return render_html(evaluation, bodies)
        case ReportFormat.MD:
            return render_markdown(evaluation)


def write_reports(
    evaluation: RunEvaluation,
    bodies: Mapping[str, CallBodies],
    out_dir: Path,
    formats: Iterable[ReportFormat | str] = ALL_FORMATS,
) -> dict[ReportFormat, Path]:
    """Write each format to `out_dir` (created) as `FILE_NAMES[format]`. `bodies` holds the
    synced Create Call bodies of each call, by result id."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[ReportFormat, Path] = {}
    for fmt in dict.fromkeys(ReportFormat(f) for f in formats):
        path = out_dir / FILE_NAMES[fmt]
        path.write_text(render(evaluation, bodies, fmt), encoding="utf-8")
        written[fmt] = path
    return written
