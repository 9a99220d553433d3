"""How long Ringback's commands take to start, against a typer app of the same shape.

For every command of `ringback-sim` and `ringback`, `CMD --help` is timed in a fresh process,
and so is the same path of a generated typer app with the same commands and options, the same
markup mode and nothing else imported: the floor for a typer CLI of that shape. The ratio is
ours over that floor (medians of interleaved runs). Then `import ringback.pipecat` against the
Pipecat modules the observer itself uses.

Run: uv run python benchmarks/cli_startup.py [runs]
Goal: at most 1.5x the floor for `--help`, `keys`, `report` and `outbox`; `import
ringback.pipecat` at most 1.2x the Pipecat modules it needs.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from typer.core import TyperArgument, TyperGroup
from typer.main import get_command

PYTHON = sys.executable
GOALS = {"": 1.5, "keys": 1.5, "report": 1.5, "outbox": 1.5}
PIPECAT_NEEDS = (
    "pipecat.frames.frames",
    "pipecat.metrics.metrics",
    "pipecat.observers.base_observer",
    "pipecat.processors.frame_processor",
    "pipecat.utils.asyncio.task_manager",
)


def shape_of(group: Any, name: str) -> str:
    """Python source of a typer app with `group`'s commands and options, and nothing else."""
    lines = [
        "import typer",
        f"app = typer.Typer(name={name!r}, no_args_is_help=True, rich_markup_mode='markdown')",
    ]
    counter = iter(range(10_000))

    def emit(command: Any, owner: str) -> None:
        if isinstance(command, TyperGroup):
            for sub_name, sub in sorted(command.commands.items()):
                if isinstance(sub, TyperGroup):
                    sub_app = f"app_{next(counter)}"
                    lines.append(f"{sub_app} = typer.Typer(no_args_is_help=True)")
                    lines.append(f"{owner}.add_typer({sub_app}, name={sub_name!r})")
                    emit(sub, sub_app)
                else:
                    emit_command(sub, sub_name, owner)

    def emit_command(command: Any, command_name: str, owner: str) -> None:
        params = []
        for i, param in enumerate(command.params):
            if param.name == "help":
                continue
            help_text = getattr(param, "help", None) or ""
            if isinstance(param, TyperArgument):
                params.append(f"p{i}: str = typer.Argument(None)")
            elif getattr(param, "is_flag", False):
                params.append(
                    f"p{i}: bool = typer.Option(False, {param.opts[0]!r}, help={help_text!r})"
                )
            else:
                params.append(
                    f"p{i}: str = typer.Option(None, {param.opts[0]!r}, help={help_text!r})"
                )
        doc = (command.help or "").replace('"""', "'")
        lines.append(f"@{owner}.command({command_name!r})")
        lines.append(f"def c{next(counter)}({', '.join(params)}) -> None:")
        lines.append(f'    """{doc}"""')

    emit(group, "app")
    lines.append("app()")
    return "\n".join(lines)


def seconds(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def compare(ours: list[str], floor: list[str], runs: int) -> tuple[float, float]:
    """Medians of interleaved runs, after one warm-up each (the OS file cache)."""
    seconds(ours)
    seconds(floor)
    mine, base = [], []
    for _ in range(runs):
        mine.append(seconds(ours))
        base.append(seconds(floor))
    return statistics.median(mine), statistics.median(base)


def command_paths(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    if isinstance(group, TyperGroup):
        for name, sub in sorted(group.commands.items()):
            paths += command_paths(sub, (*prefix, name))
    return paths


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    from ringback.core.cli.app import app as core_app
    from ringback.simulator.cli import app as sim_app

    print(f"start-up of `CMD --help`, median of {runs} runs, against a typer app of the same shape")
    print(f"{'command':<32} {'ours':>7} {'floor':>7} {'ratio':>6}  goal")
    with tempfile.TemporaryDirectory() as tmp:
        for prog, typer_app, module in (
            ("ringback-sim", sim_app, "ringback.simulator.cli"),
            ("ringback", core_app, "ringback.core.cli.app"),
        ):
            group = get_command(typer_app)
            floor_file = Path(tmp) / f"{prog.replace('-', '_')}_floor.py"
            floor_file.write_text(shape_of(group, prog))
            for path in command_paths(group):
                ours, floor = compare(
                    [PYTHON, "-c", f"from {module} import main; main()", *path, "--help"],
                    [PYTHON, str(floor_file), *path, "--help"],
                    runs,
                )
                goal = GOALS.get(path[0] if path else "")
                verdict = (
                    ""
                    if goal is None
                    else f"<= {goal}x {'ok' if ours / floor <= goal else 'MISSED'}"
                )
                label = " ".join((prog, *path))
                print(f"{label:<32} {ours:>6.2f}s {floor:>6.2f}s {ours / floor:>5.2f}x  {verdict}")

    ours, floor = compare(
        [PYTHON, "-c", "import ringback.pipecat"],
        [PYTHON, "-c", "import " + ", ".join(PIPECAT_NEEDS)],
        runs,
    )
    verdict = "ok" if ours / floor <= 1.2 else "MISSED"
    print(
        f"\nimport ringback.pipecat {ours:.2f}s; the Pipecat modules it uses {floor:.2f}s: "
        f"{ours / floor:.2f}x (goal <= 1.2x: {verdict})"
    )


if __name__ == "__main__":
    main()
