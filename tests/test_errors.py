"""Every error Ringback's packages define derives from `RingbackError`, so users can catch
ours in one place; and each package hands the same class out."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import ringback.core
import ringback.livekit
import ringback.pipecat
import ringback.simulator
from ringback.core.errors import RingbackError

PACKAGES = ("ringback.core", "ringback.livekit", "ringback.pipecat", "ringback.simulator")


def modules() -> list[str]:
    names = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        names.append(package)
        walked = pkgutil.walk_packages(module.__path__, package + ".")
        names += [m.name for m in walked if not m.name.endswith(".__main__")]  # entry scripts
    return names


def defined_errors() -> list[type[BaseException]]:
    found = []
    for name in modules():
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if (
                value.__module__ == name
                and issubclass(value, BaseException)
                and not value.__name__.startswith("_")
            ):
                found.append(value)
    return found


def test_every_error_derives_from_ringback_error() -> None:
    errors = defined_errors()
    assert len(errors) > 20  # the walk found them
    outside = sorted(
        f"{e.__module__}.{e.__qualname__}" for e in errors if not issubclass(e, RingbackError)
    )
    assert outside == []


@pytest.mark.parametrize(
    "package", [ringback.core, ringback.livekit, ringback.pipecat, ringback.simulator]
)
def test_each_package_hands_out_the_one_base(package: object) -> None:
    assert package.RingbackError is RingbackError  # type: ignore[attr-defined]
