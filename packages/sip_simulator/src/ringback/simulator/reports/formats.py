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

__all__ = ["FILE_NAMES", "ReportFormat"]
