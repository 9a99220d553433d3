"""`diagnose`: what `extract_correlation` finds in a payload, checked against expectations."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ringback.core.correlation import Correlation, Provider, extract_correlation
from ringback.core.correlation.detect import detect_provider
from ringback.core.correlation.model import NO_CALL_ID
from ringback.core.correlation.native import native_id_kind
from ringback.core.correlation.providers import livekit
from ringback.core.protocol import RESULT_ID_HEADERS, RESULT_ID_SHAPE, is_result_id, same_result_id
from ringback.core.secrets import is_secret_name

from . import advice
from .model import (
    LINK,
    Check,
    DoctorReport,
    FoundNativeId,
    FoundValue,
    HeaderExpectation,
    PayloadFormat,
    Problem,
)
from .scan import Leaf, header_spellings, leaves, paths_holding

_SEE_SUFFIX = re.compile(r"\s*See docs/correlation\.md#[\w-]+\.?$")
_CALL_ID_REFUSED = "Ignored the SIP Call-ID"
_MAX_PATHS = 3
_NOT_CALL_IDS = frozenset({"livekit.sip.trunkID", "livekit.sip.ruleID"})
"""Native ids that name a trunk or a dispatch rule, not the call."""


def _paths(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:_MAX_PATHS])
    more = len(paths) - _MAX_PATHS
    return f"{shown} and {more} more" if more > 0 else shown


def _failed(base: dict[str, Any], problem: Problem, detail: str, fix: str, *anchors: str) -> Check:
    return Check(
        **base,
        ok=False,
        problem=problem,
        label=advice.LABELS[problem],
        detail=detail,
        fix=fix,
        see=", ".join(advice.see(anchor) for anchor in anchors),
    )


def _call_id_check(
    corr: Correlation, provider: Provider, found: list[Leaf], expected: str | None
) -> Check:
    """Check the Call-ID: equal to `expected`, or present when `expected` is None."""
    call_id = corr.sip_call_id
    source = corr.sources.get("sip_call_id")
    base: dict[str, Any] = {
        "subject": "Call-ID",
        "expected": expected,
        "found": call_id,
        "source": source,
    }
    if call_id is not None and expected in (None, call_id):
        return Check(**base, ok=True)
    about = advice.ADVICE[provider]
    section = about.anchor
    if expected is not None and (kind := native_id_kind(expected)) is not None:
        detail = (
            f"{expected} looks like {kind}: an id the provider gives the call, never the"
            " INVITE's Call-ID header."
        )
        if call_id is not None:
            detail += f" The payload's SIP Call-ID is {call_id} (from {source})."
        return _failed(
            base, "expected_native_id", detail, advice.NATIVE_EXPECTED_FIX, advice.RULES_SECTION
        )
    elsewhere = paths_holding(found, expected) if expected else []
    where = (
        f" The expected Call-ID appears at {_paths(elsewhere)}, where it is not read as the"
        " Call-ID."
        if elsewhere
        else ""
    )
    if call_id is not None:
        assert expected is not None  # a Call-ID without an expectation passed above
        detail = f"The payload's SIP Call-ID is {call_id} (from {source}), not {expected}."
        fix = advice.hop_fix(about, corr.sip_headers.get("X-CID"), expected)
        return _failed(base, "different_call_id", detail + where, fix, *about.hop_anchors)
    refused = [w for w in corr.warnings if w.startswith(_CALL_ID_REFUSED)]
    if refused:
        return _failed(
            base, "call_id_refused", refused[0] + where, advice.REFUSED_FIX, advice.RULES_SECTION
        )
    missing = next((w for w in corr.warnings if w.startswith(NO_CALL_ID)), None)
    fix = _SEE_SUFFIX.sub("", missing) if missing else about.call_id
    call_ids = {k: v for k, v in corr.native_ids.items() if k not in _NOT_CALL_IDS}
    if call_ids:
        ids = ", ".join(f"{key}={value}" for key, value in call_ids.items())
        detail = (
            f"No SIP Call-ID, only the provider's own id(s): {ids}. They identify the call"
            " inside the provider, not the INVITE, so they cannot link it."
        )
        return _failed(base, "native_id_in_place", detail + where, fix, section)
    detail = "The payload holds no SIP Call-ID and no provider id for the call."
    return _failed(base, "no_call_id", detail + where, fix, section)


def _link_check(corr: Correlation, provider: Provider, found: list[Leaf]) -> Check:
    """Without expectations: a SIP Call-ID, or else a result id (X-Result-Id, then
    X-Correlation-Id, of the shape the collector links), links the call."""
    if corr.sip_call_id is not None:
        source = corr.sources.get("sip_call_id")
        return Check(subject=LINK, expected=None, found=corr.sip_call_id, source=source, ok=True)
    offered = [
        (name, corr.sip_headers[name]) for name in RESULT_ID_HEADERS if name in corr.sip_headers
    ]
    for name, value in offered:
        if is_result_id(value):
            source = corr.sources.get(name)
            return Check(subject=LINK, expected=None, found=value, source=source, ok=True)
    if offered:
        name, value = offered[0]
        source = corr.sources.get(name)
        base: dict[str, Any] = {"subject": LINK, "expected": None, "found": value, "source": source}
        shown = "; ".join(f"{n} is {v!r} (from {corr.sources.get(n)})" for n, v in offered)
        detail = (
            f"No SIP Call-ID, and {shown}: not a valid result id ({RESULT_ID_SHAPE}), so the"
            " collector can never link the call by it."
        )
        return _failed(
            base, "result_id_invalid", detail, advice.RESULT_ID_FIX, advice.RULES_SECTION
        )
    check = _call_id_check(corr, provider, found, None)
    detail = f"{check.detail} No X-Result-Id or X-Correlation-Id either."
    return check.model_copy(update={"subject": LINK, "detail": detail})


def _same_value(name: str, got: str, want: str) -> bool:
    """Header values compared the way the collector does: result ids case-insensitively."""
    return same_result_id(got, want) if name in RESULT_ID_HEADERS else got == want


def _header_check(
    corr: Correlation, provider: Provider, found: list[Leaf], expected: HeaderExpectation
) -> Check:
    """Check one X- header: present, and equal to the expected value when one is given."""
    name = expected.name
    value = corr.sip_headers.get(name)
    source = corr.sources.get(name)
    want = advice.shown(name, expected.value) if expected.value is not None else None
    base: dict[str, Any] = {
        "subject": name,
        "expected": want,
        "found": advice.shown(name, value) if value is not None else None,
        "source": source,
    }
    about = advice.ADVICE[provider]
    section = about.anchor
    if value is not None:
        if expected.value is None or _same_value(name, value, expected.value):
            return Check(**base, ok=True)
        detail = f"{name} is {base['found']} (from {source}), expected {want}."
        return _failed(base, "header_wrong_value", detail, advice.WRONG_VALUE_FIX, section)
    refused = [w for w in corr.warnings if f"header {name}:" in w]
    if refused:
        return _failed(base, "header_refused", refused[0], advice.REFUSED_FIX, advice.RULES_SECTION)
    renamed, same = header_spellings(found, name)
    if renamed:
        note = ""
        if expected.value is not None:
            matches = any(_same_value(name, leaf.value, expected.value) for leaf in renamed)
            note = " (its value matches)" if matches else " (its value differs)"
        detail = (
            f"No {name}, but found {_paths([leaf.path for leaf in renamed])}: the same name"
            f" without the X- prefix{note}."
        )
        fix = advice.RENAME_FIX.format(name=name)
        return _failed(base, "header_renamed", detail, fix, advice.NAMES_SECTION)
    unread = [leaf.path for leaf in same if leaf.value]
    fix = about.header_fix(name)
    if unread:
        detail = f"No {name} read, but it is present at {_paths(unread)}."
        fix = advice.NOT_READ_FIX.format(provider=about.name, fix=fix)
        return _failed(base, "header_not_read", detail, fix, section)
    detail = f"No {name} in the payload."
    if same:
        detail += f" It is present but empty at {_paths([leaf.path for leaf in same])}."
    if expected.value is not None and (holding := paths_holding(found, expected.value)):
        detail += f" The expected value appears at {_paths(holding)}."
    return _failed(base, "header_missing", detail, fix, section)


def _found_values(corr: Correlation) -> tuple[list[FoundValue], list[FoundValue], list[FoundValue]]:
    """The X- headers (secret-looking values masked), the linked ids and the parties."""
    headers = [
        FoundValue(
            name=name,
            value=advice.shown(name, value),
            source=corr.sources.get(name),
            masked=is_secret_name(name),
        )
        for name, value in corr.sip_headers.items()
    ]

    def fields(*names: str) -> list[FoundValue]:
        return [
            FoundValue(name=field, value=value, source=corr.sources.get(field))
            for field in names
            if (value := getattr(corr, field))
        ]

    return headers, fields("run_id", "scenario_id", "result_id"), fields("caller", "recipient")


def diagnose(
    data: Mapping[str, Any],
    *,
    input_name: str,
    payload_format: PayloadFormat,
    provider: Provider | None = None,
    expect_call_id: str | None = None,
    expect_headers: Sequence[HeaderExpectation] = (),
) -> DoctorReport:
    """Extract correlation from decoded `data` and check it.

    Checks: `expect_call_id` and every `expect_headers` entry; with neither, one check that
    the call can be linked (a SIP Call-ID, or else X-Result-Id / X-Correlation-Id).
    `exit_code` is 0 when every check passes, else 1.
    """
    detected = detect_provider(data)
    used = provider or detected
    corr = extract_correlation(data, used)
    found = leaves(data)
    checks: list[Check] = []
    if expect_call_id is not None:
        checks.append(_call_id_check(corr, used, found, expect_call_id))
    elif not expect_headers:
        checks.append(_link_check(corr, used, found))
    checks.extend(_header_check(corr, used, found, header) for header in expect_headers)
    headers, ids, parties = _found_values(corr)
    ok = all(check.ok for check in checks)
    return DoctorReport(
        input=input_name,
        format=payload_format,
        provider=used.value,
        detected_provider=detected.value,
        provider_given=provider is not None,
        read_from=(livekit.attributes_path(data) or None) if used is Provider.LIVEKIT else None,
        guide=advice.see(advice.ADVICE[used].anchor),
        sip_call_id=corr.sip_call_id,
        sip_call_id_source=corr.sources.get("sip_call_id"),
        headers=headers,
        ids=ids,
        parties=parties,
        native_ids=[
            FoundNativeId(key=key, value=value, kind=native_id_kind(value))
            for key, value in corr.native_ids.items()
        ],
        warnings=list(corr.warnings),
        checks=checks,
        ok=ok,
        exit_code=0 if ok else 1,
    )
