"""Reports of an evaluated run: JSON, JUnit XML, Markdown and one self-contained HTML page.

- `write_reports(evaluation, bodies, out_dir, formats)`: render into a folder;
- `report_run(database_url, workspace_id, run_id, suite, out_dir)`: from the collector's store;
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ringback.core.lazy import lazy_exports

if TYPE_CHECKING:
    from .collect import UnknownRunError, call_bodies, load_run, report_run
    from .formats import FILE_NAMES, ReportFormat
    from .models import CallBodies, TimelineEvent, timeline
    from .writer import ALL_FORMATS, render, write_reports

__getattr__ = lazy_exports(
    __name__,
    {
        "UnknownRunError": ".collect",
        "call_bodies": ".collect",
        "load_run": ".collect",
        "report_run": ".collect",
        "FILE_NAMES": ".formats",
        "CallBodies": ".models",
        "ReportFormat": ".formats",
        "TimelineEvent": ".models",
        "timeline": ".models",
        "ALL_FORMATS": ".writer",
        "render": ".writer",
        "write_reports": ".writer",
    },
)

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
