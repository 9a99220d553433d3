"""`ringback-sim demo`: the collector, a bundled suite in text transport against a demo
LiveKit agent, an offline Pipecat call, linking, evaluation and reports, all offline.

`demo_command` is the Typer command; `run_demo(directory)` does the work and returns a
`DemoResult`.
"""

from .command import demo_command
from .run import DemoResult, bundled_suite, run_demo

__all__ = ["DemoResult", "bundled_suite", "demo_command", "run_demo"]
