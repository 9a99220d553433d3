"""Reports of an evaluated run: JSON, JUnit XML, Markdown and one self-contained HTML page.

- `write_reports(evaluation, bodies, out_dir, formats)`: render into a folder;
- `report_run(database_url, workspace_id, run_id, suite, out_dir)`: from the collector's store;
"""

from .collect import UnknownRunError, call_bodies, load_run, report_run
from .models import FILE_NAMES, CallBodies, ReportFormat, TimelineEvent, timeline
from .writer import ALL_FORMATS, render, write_reports

__all__ = [
    "ALL_FORMATS",
    "FILE_NAMES",
    "CallBodies",
    "ReportFormat",
    "TimelineEvent",
    "UnknownRunError",
    "call_bodies",
    "load_run",
    "render",
    "report_run",
    "timeline",
    "write_reports",
]
