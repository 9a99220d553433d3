"""`ringback-sim demo`: the collector, a bundled suite in text transport against a demo
LiveKit agent, an offline Pipecat call, linking, evaluation and reports, all offline.

`run_demo(directory)` does the work and returns a `DemoResult`; the command is
`ringback.simulator.cli.demo`.
"""

from .run import DemoResult, bundled_suite, run_demo

__all__ = ["DemoResult", "bundled_suite", "run_demo"]
