"""A `ringback doctor` report as plain text."""

from __future__ import annotations

from .model import LINK, Check, DoctorReport, FoundValue

_INDENT = " " * 8


def _from(source: str | None) -> str:
    return f"  (from {source})" if source else ""


def _rows(values: list[FoundValue]) -> list[str]:
    width = max(len(v.name) for v in values)
    return [f"  {v.name:<{width}}  {v.value}{_from(v.source)}" for v in values]


def _provider(report: DoctorReport) -> str:
    if not report.provider_given:
        how = "detected"
    elif report.detected_provider != report.provider:
        how = f"given; the payload looks like {report.detected_provider}"
    else:
        how = "given"
    if report.read_from:
        how += f"; participant attributes read from {report.read_from}"
    return f"{report.provider} ({how})"


def _check(check: Check, warnings: list[str]) -> list[str]:
    if check.expected is not None:
        what = f"{check.subject} = {check.expected}"
    elif check.subject == LINK:
        what = "the call can be linked (by SIP Call-ID, or X-Result-Id / X-Correlation-Id)"
    else:
        what = f"{check.subject} is present"
    if check.ok:
        got = f": {check.found}{_from(check.source)}" if check.expected is None else ""
        return [f"  PASS  {what}{got}"]
    fix = check.fix
    if fix and any(warning.startswith(fix) for warning in warnings):
        fix = "follow the warning above"
    lines = [f"  FAIL  {what}", f"{_INDENT}looks like: {check.label}"]
    for key, value in (("seen", check.detail), ("fix", fix), ("see", check.see)):
        if value:
            lines.append(f"{_INDENT}{key}: {value}")
    return lines


def render(report: DoctorReport) -> str:
    """The report as readable lines (no markup); secret-looking values are already masked."""
    lines = [
        f"Payload:     {report.input} ({report.format})",
        f"Provider:    {_provider(report)}",
        f"Guide:       {report.guide}",
        f"SIP Call-ID: {report.sip_call_id}{_from(report.sip_call_id_source)}"
        if report.sip_call_id
        else "SIP Call-ID: none",
    ]
    lines.append(f"X- headers:  {len(report.headers) or 'none'}")
    if report.headers:
        lines += _rows(report.headers)
    if report.ids:
        lines += ["Linked ids:", *_rows(report.ids)]
    if report.parties:
        lines += ["Parties (metadata only):", *_rows(report.parties)]
    if report.native_ids:
        lines.append("Provider-native ids (kept as metadata, never the Call-ID):")
        width = max(len(n.key) for n in report.native_ids)
        for native in report.native_ids:
            kind = f"  ({native.kind})" if native.kind else ""
            lines.append(f"  {native.key:<{width}}  {native.value}{kind}")
    if report.warnings:
        lines += ["Warnings:", *(f"  - {warning}" for warning in report.warnings)]
    else:
        lines.append("Warnings:    none")
    lines.append("Checks:")
    for check in report.checks:
        lines += _check(check, report.warnings)
    failed = sum(not check.ok for check in report.checks)
    total = len(report.checks)
    if failed:
        lines.append(f"Result: FAIL ({failed} of {total} check{'s' if total != 1 else ''} failed)")
    else:
        lines.append(f"Result: OK ({total} check{'s' if total != 1 else ''} passed)")
    return "\n".join(lines)
