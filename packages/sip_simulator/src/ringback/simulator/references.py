"""`module:attr` references from the command line and suite files (`--agent`, `judge.llm`):
`myapp.agents:Support`, `livekit.plugins.openai:LLM`, or a file, `path/to/agent.py:Support`."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from ringback.core.errors import RingbackError


class UnresolvedReference(RingbackError, ValueError):
    """A reference that cannot be resolved; the message says why, without the reference
    itself (callers say where it came from)."""


def split_reference(spec: str) -> tuple[str, str] | None:
    """`(module, attr)` of `module:attr`, or None when `spec` has not that form."""
    module_ref, sep, attr = spec.rpartition(":")
    return (module_ref, attr) if sep and module_ref and attr else None


def resolve(module_ref: str, attr: str) -> object:
    """What `module_ref:attr` names (`attr` may be dotted); the module is imported, or loaded
    from a file path. Modules in the current folder are found, as with `python -m`."""
    target: object = _import(module_ref)
    for part in attr.split("."):
        if not hasattr(target, part):
            raise UnresolvedReference(f"{module_ref} has no attribute {attr!r}")
        target = getattr(target, part)
    return target


def _import(module_ref: str) -> ModuleType:
    if module_ref.endswith(".py") or "/" in module_ref or "\\" in module_ref:
        return _load_file(Path(module_ref))
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        return importlib.import_module(module_ref)
    except Exception as exc:
        if isinstance(exc, ModuleNotFoundError) and exc.name and module_ref.startswith(exc.name):
            raise UnresolvedReference(
                f"no module named {exc.name!r} (run from the folder that holds it, install "
                "it, or write a file path: path/to/file.py:attr)"
            ) from exc
        raise _failed(module_ref, exc) from exc


def _load_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise UnresolvedReference(f"no file {path}")
    name = f"ringback_ref_{path.stem}"
    loader_spec = importlib.util.spec_from_file_location(name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise UnresolvedReference(f"cannot load {path} as Python")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module
    try:
        loader_spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise _failed(str(path), exc) from exc
    return module


def _failed(what: str, exc: Exception) -> UnresolvedReference:
    return UnresolvedReference(f"importing {what} failed: {type(exc).__name__}: {exc}")


__all__ = ["UnresolvedReference", "resolve", "split_reference"]
