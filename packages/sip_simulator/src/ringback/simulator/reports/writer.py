"""`write_reports`: render the chosen formats into a folder."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from ringback.simulator.evaluate import RunEvaluation
from ringback.simulator.evaluate.compare import Comparison

from .comparison import comparison_section, render_comparison_json, render_comparison_markdown
from .formats import COMPARISON_FILE_NAMES, FILE_NAMES, ReportFormat
from .html import render_html
from .json_report import render_json
from .junit import render_junit
from .markdown import render_markdown
from .models import CallBodies

ALL_FORMATS = tuple(ReportFormat)


def render(
    evaluation: RunEvaluation,
    bodies: Mapping[str, CallBodies],
    fmt: ReportFormat,
    comparison: Comparison | None = None,
) -> str:
    """One report as text (the HTML one with its baseline section, given `comparison`)."""
    match fmt:
        case ReportFormat.JSON:
            return render_json(evaluation, bodies)
        case ReportFormat.JUNIT:
            return render_junit(evaluation)
        case ReportFormat.HTML:
            section = comparison_section(comparison) if comparison is not None else ""
            return render_html(evaluation, bodies, comparison=section)
        case ReportFormat.MD:
            return render_markdown(evaluation)


def write_reports(
    evaluation: RunEvaluation,
    bodies: Mapping[str, CallBodies],
    out_dir: Path,
    formats: Iterable[ReportFormat | str] = ALL_FORMATS,
    *,
    comparison: Comparison | None = None,
) -> dict[ReportFormat, Path]:
    """Write each format to `out_dir` (created) as `FILE_NAMES[format]`. `bodies` holds the
    synced Create Call bodies of each call, by result id. With `comparison` (the run against
    a baseline) the JSON and Markdown formats also write `COMPARISON_FILE_NAMES`, and the HTML
    report gets a baseline section."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[ReportFormat, Path] = {}
    for fmt in dict.fromkeys(ReportFormat(f) for f in formats):
        path = out_dir / FILE_NAMES[fmt]
        path.write_text(render(evaluation, bodies, fmt, comparison), encoding="utf-8")
        written[fmt] = path
        if comparison is not None and fmt in COMPARISON_FILE_NAMES:
            text = (
                render_comparison_json(comparison)
                if fmt is ReportFormat.JSON
                else render_comparison_markdown(comparison)
            )
            (out_dir / COMPARISON_FILE_NAMES[fmt]).write_text(text, encoding="utf-8")
    return written
