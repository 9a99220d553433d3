"""Load a suite file: YAML → `${ENV}` substitution → validation, with errors that point at the
file, line and field."""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ringback.core.errors import RingbackError

from .models import Suite

Loc = tuple[str | int, ...]
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a suite file."""

    file: str
    line: int | None
    column: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class SuiteError(RingbackError, ValueError):
    """A suite file could not be loaded; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class LoadedSuite:
    suite: Suite
    path: Path
    warnings: list[str] = field(default_factory=list)


def load_suite(
    path: str | Path,
    *,
    env: Mapping[str, str] | None = None,
    unset_allowed_in: Collection[str] = (),
) -> LoadedSuite:
    """Read and validate a suite file. Raises `SuiteError` naming file, line and field.

    `unset_allowed_in` names top-level sections (e.g. ``("agent",)`` when the endpoint is
    never dialled) where a `${VAR}` whose variable is not set is left as written instead of
    being an error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SuiteError(
            [Problem(str(path), None, None, "", f"cannot read: {exc.strerror}")]
        ) from exc
    return parse_suite(
        text,
        name=str(path),
        env=os.environ if env is None else env,
        unset_allowed_in=unset_allowed_in,
    )


def parse_suite(
    text: str,
    *,
    name: str = "<suite>",
    env: Mapping[str, str],
    unset_allowed_in: Collection[str] = (),
) -> LoadedSuite:
    """Validate suite YAML `text` (`name` is used in messages); `unset_allowed_in` as for
    `load_suite`."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SuiteError(
            [
                Problem(
                    name,
                    mark.line + 1 if mark else None,
                    mark.column + 1 if mark else None,
                    "",
                    f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
                )
            ]
        ) from exc
    if root is None:
        raise SuiteError([Problem(name, None, None, "", "the file is empty")])
    marks: dict[Loc, tuple[int, int]] = {}
    problems: list[Problem] = []
    _walk(root, (), marks, problems, name)
    if problems:
        raise SuiteError(problems)
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise SuiteError([Problem(name, 1, 1, "", "a suite is a mapping (name:, agent:, ...)")])

    missing: list[Problem] = []
    data = _substitute(data, (), env, missing, marks, name, frozenset(unset_allowed_in))
    if missing:
        raise SuiteError(missing)
    cross: list[tuple[Loc, str]] = []
    try:
        suite = Suite.model_validate(data, context={"problems": cross})
    except ValidationError as exc:
        raise SuiteError([_problem(e, marks, name) for e in exc.errors()]) from None
    if cross:
        raise SuiteError([Problem(name, *_mark(loc, marks), _dotted(loc), m) for loc, m in cross])

    warnings = [
        f"{name}: test_profiles.{profile}.information.main_agent_variables.{key}: not an X- "
        "header, so it is not sent to the agent (only keys starting with X- become INVITE "
        "headers; put caller-only values under testing_agent_variables)"
        for profile, key in suite.ignored_variables()
    ]
    unjudged = [s.id for s in suite.scenarios if s.agent_expectations and suite.judge is None]
    if unjudged:
        shown = ", ".join(unjudged[:5]) + (
            f" and {len(unjudged) - 5} more" if len(unjudged) > 5 else ""
        )
        warnings.append(
            f"{name}: agent_expectations of {shown} will not be checked: the suite has no "
            "`judge` (add `judge: {llm: ...}`), so they are reported as skipped and never pass"
        )
    return LoadedSuite(suite, Path(name), warnings)


def _walk(
    node: yaml.Node, loc: Loc, marks: dict[Loc, tuple[int, int]], problems: list[Problem], name: str
) -> None:
    marks[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                problems.append(
                    Problem(
                        name,
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                        _dotted((*loc, key)),
                        "this key appears twice in the same mapping",
                    )
                )
            seen.add(key)
            _walk(value_node, (*loc, key), marks, problems, name)
            marks[(*loc, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*loc, i), marks, problems, name)


def _substitute(
    value: Any,
    loc: Loc,
    env: Mapping[str, str],
    missing: list[Problem],
    marks: dict[Loc, tuple[int, int]],
    name: str,
    allowed: frozenset[str] = frozenset(),
) -> Any:
    """Replace `${VAR}` / `${VAR:-default}` in every string; an unset variable is a problem,
    unless under a top-level key in `allowed`, where the reference is left as written."""
    if isinstance(value, dict):
        return {
            k: _substitute(v, (*loc, k), env, missing, marks, name, allowed)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            _substitute(v, (*loc, i), env, missing, marks, name, allowed)
            for i, v in enumerate(value)
        ]
    if not isinstance(value, str) or "${" not in value:
        return value

    def replace(match: re.Match[str]) -> str:
        var, default = match[1], match[2]
        if var in env:
            return env[var]
        if default is not None:
            return default
        if loc and loc[0] in allowed:
            return match[0]
        line, column = _mark(loc, marks)
        missing.append(
            Problem(
                name,
                line,
                column,
                _dotted(loc),
                f"environment variable {var} is not set (export {var}=... or write "
                f"${{{var}:-default}})",
            )
        )
        return ""

    return _ENV_REF.sub(replace, value)


def _problem(error: Any, marks: dict[Loc, tuple[int, int]], name: str) -> Problem:
    loc = _without_union_tags(tuple(error["loc"]))
    line, column = _mark(loc, marks)
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if error["type"] == "extra_forbidden":
        message = "unknown field (check the spelling; see docs/schema/suite.schema.json)"
    return Problem(name, line, column, _dotted(loc), message)


def _without_union_tags(loc: Loc) -> Loc:
    """Drop the tag a discriminated union repeats in error locations (`said`, `said`)."""
    out: list[str | int] = []
    for part in loc:
        if out and isinstance(part, str) and out[-1] == part:
            continue
        out.append(part)
    return tuple(out)


def _mark(loc: Loc, marks: dict[Loc, tuple[int, int]]) -> tuple[int | None, int | None]:
    for end in range(len(loc), -1, -1):
        if loc[:end] in marks:
            return marks[loc[:end]]
    return None, None


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
