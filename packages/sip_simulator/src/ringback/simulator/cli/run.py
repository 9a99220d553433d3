"""`ringback-sim run SUITE.yaml`: plan a batch, print it (`--dry-run`) or dial it.

`run_app` is a Typer app holding the `run` command; `app.add_typer(run_app)` adds it to the
`ringback-sim` CLI. `make_run_app(store_factory)` builds the same command over another
result store (the collector's), anything with `sink(run_id)` and `previous(run_id)`. This
module is the command's options and help; what it does is in `cli.batch_run` (imported when
the command runs, so `--help` loads no framework).

`--transport text --agent module:Class` plays the same planned calls in-process against a
LiveKit `Agent` in text mode (no telephony, no LiveKit server); see `ringback.simulator.text`.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Protocol

import typer

from .options import Baseline, FailOnRegression

if TYPE_CHECKING:
    from ringback.simulator.batch.outcome import CallOutcome
    from ringback.simulator.batch.sink import ResultSink

DEFAULT_RESULTS_DIR = Path(".ringback/runs")


class TransportKind(str, Enum):
    SIP = "sip"
    TEXT = "text"


class RunStore(Protocol):
    """Where a run's results go, and where `--resume` reads them back."""

    def sink(self, run_id: str) -> ResultSink: ...

    def previous(self, run_id: str) -> list[CallOutcome]:
        """Outcomes recorded for `run_id`; `LookupError` when the run is unknown."""
        ...


def make_run_app(store_factory: Callable[[Path], RunStore] | None = None) -> typer.Typer:
    """A Typer app with the `run` command, storing results through `store_factory` (default:
    JSON lines in `--results-dir`)."""
    app = typer.Typer(add_completion=False, no_args_is_help=True)

    @app.command("run")
    def run(
        suite_file: Annotated[Path, typer.Argument(help="The suite YAML file.")],
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Print every planned call; dial nothing.")
        ] = False,
        filter_: Annotated[
            list[str] | None,
            typer.Option(
                "--filter", help="Only scenarios whose id matches this glob (repeatable)."
            ),
        ] = None,
        tag: Annotated[
            list[str] | None,
            typer.Option("--tag", help="Only scenarios with this tag (repeatable)."),
        ] = None,
        resume: Annotated[
            str | None,
            typer.Option("--resume", metavar="RUN_ID", help="Continue a stopped run."),
        ] = None,
        concurrency: Annotated[
            int | None,
            typer.Option(min=1, help="Calls in progress at once (default: the suite's)."),
        ] = None,
        calls_per_second: Annotated[
            float | None,
            typer.Option(min=0.001, help="Dialling rate limit (default: the suite's)."),
        ] = None,
        poll_interval: Annotated[
            float,
            typer.Option(min=0.001, help="Seconds between checks of whether a call has ended."),
        ] = 2.0,
        results_dir: Annotated[
            Path, typer.Option(help="Where results are written (JSON lines per run).")
        ] = DEFAULT_RESULTS_DIR,
        as_json: Annotated[
            bool, typer.Option("--json", help="With --dry-run: print the plan as JSON.")
        ] = False,
        transport: Annotated[
            TransportKind,
            typer.Option(
                help="sip: dial through the LiveKit SIP API. text: play the calls in-process "
                "against --agent in text mode (no telephony, no LiveKit server)."
            ),
        ] = TransportKind.SIP,
        agent: Annotated[
            str | None,
            typer.Option(
                metavar="MODULE:CLASS",
                help="With --transport text: the LiveKit Agent to test, as module:Class (a "
                "no-argument constructor) or module:function returning an Agent; a file "
                "path (path/to/agent.py:Class) works too.",
            ),
        ] = None,
        agent_llm: Annotated[
            str | None,
            typer.Option(
                help="With --transport text: the agent's LLM when its class sets none "
                "(a LiveKit Inference model; default: the suite's caller.llm).",
            ),
        ] = None,
        agent_name: Annotated[
            str | None,
            typer.Option(
                help="With --transport text: the agent name its calls are synced under "
                "(default: RINGBACK_AGENT_ID, else the class or function name).",
            ),
        ] = None,
        report_dir: Annotated[
            Path | None,
            typer.Option(
                help="Where the run's reports (JSON, JUnit, HTML, Markdown) are written, in "
                "a RUN_ID folder (default: --results-dir). Needs the collector's store."
            ),
        ] = None,
        fail_under: Annotated[
            float | None,
            typer.Option(
                min=0,
                max=1,
                help="Evaluate the run's assertions when it ends and exit 1 when the pass "
                "rate is below this (default: the suite's run.fail_under).",
            ),
        ] = None,
        link_timeout: Annotated[
            float | None,
            typer.Option(
                min=0,
                metavar="SECONDS",
                help="After the last SIP call, how long to wait for the agent to sync the "
                "answered calls back before evaluating (default: the suite's "
                "run.link_timeout, 30s). Needs the collector's store.",
            ),
        ] = None,
        baseline: Baseline = None,
        fail_on_regression: FailOnRegression = False,
    ) -> None:
        """Dial every scenario of SUITE_FILE through the LiveKit SIP API (or, with
        `--transport text`, play them in-process against `--agent`)."""
        from .batch_run import run_batch

        run_batch(
            store_factory,
            suite_file=suite_file,
            dry_run=dry_run,
            filter_=filter_,
            tag=tag,
            resume=resume,
            concurrency=concurrency,
            calls_per_second=calls_per_second,
            poll_interval=poll_interval,
            results_dir=results_dir,
            as_json=as_json,
            transport=transport,
            agent=agent,
            agent_llm=agent_llm,
            agent_name=agent_name,
            report_dir=report_dir,
            fail_under=fail_under,
            link_timeout=link_timeout,
            baseline=baseline,
            fail_on_regression=fail_on_regression,
        )

    return app


run_app = make_run_app()
"""The `run` command over JSON-lines results in `--results-dir`."""

__all__ = ["RunStore", "TransportKind", "make_run_app", "run_app"]
