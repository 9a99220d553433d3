"""The report formats and their file names."""

from __future__ import annotations

from enum import Enum


class ReportFormat(str, Enum):
    JSON = "json"
    JUNIT = "junit"
    HTML = "html"
    MD = "md"


FILE_NAMES: dict[ReportFormat, str] = {
    ReportFormat.JSON: "report.json",
    ReportFormat.JUNIT: "junit.xml",
    ReportFormat.HTML: "report.html",
    ReportFormat.MD: "summary.md",
}

COMPARISON_FILE_NAMES = {ReportFormat.JSON: "comparison.json", ReportFormat.MD: "comparison.md"}
"""Where a run's comparison with its baseline goes, beside the reports (HTML: a section)."""

__all__ = ["COMPARISON_FILE_NAMES", "FILE_NAMES", "ReportFormat"]
