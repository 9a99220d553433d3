"""Diagnosing correlation: what `extract_correlation` finds in a captured payload, whether it
matches what was expected, and, when not, which known failure shape it is and what to change
(`ringback doctor`)."""

from .checks import diagnose
from .model import Check, DoctorReport, HeaderExpectation
from .render import render

__all__ = ["Check", "DoctorReport", "HeaderExpectation", "diagnose", "render"]
