"""Compare a synced call with what was dialled, and name the failure shape: no Call-ID, a
provider-native id in its place, another Call-ID (a hop), X- headers missing or altered."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ringback.core.correlation import canonical_header_name
from ringback.core.correlation.diagnosis.advice import ProviderAdvice, advice_for, hop_fix
from ringback.core.correlation.native import native_id_kind
from ringback.core.secrets import is_secret_name
from ringback.simulator.plan.headers import RESERVED

from .models import Shape, SyncedCallProblem, doc

MAX_PATHS = 3
ANY_HEADER = "X-<Name>"
"""The header name the advice shows when several headers are missing."""
MIN_SEARCHED_CHARS = 12
"""Only values this long are looked for elsewhere in the body (shorter ones match by chance)."""
_NOT_SEARCHED = ("sip_call_id", "sip_headers", "transcript_with_tool_calls")
_NESTED_FIX = (
    "Ringback reads the Call-ID only from sip_call_id and X- headers only from sip_headers: "
    "hand them over as such (RingbackPlugin(sip_correlation_id=..., sip_headers=...), "
    "RingbackObserver(sip_call_id=..., sip_headers=...)), or pass the raw payload to "
    "extract_correlation, which reads SipCallId / sip_call_id / Call-ID keys and nested header "
    "containers."
)


@dataclass(frozen=True)
class UnknownCallId:
    """Why the dialled Call-ID is not known, and what to change."""

    reason: str
    fix: str


LIVEKIT_SILENT = UnknownCallId(
    "LiveKit never reported the dialled one (participant attribute sip.callIDFull)",
    "Use a LiveKit SIP version that reports sip.callIDFull on outbound calls (LiveKit Cloud "
    "does); until then the call links only by its X- headers.",
)
"""The reason when the participant was read but carried no `sip.callIDFull`."""


@dataclass(frozen=True)
class Expected:
    """What the verify call carried."""

    sip_call_id: str | None
    """The dialled Call-ID (None when LiveKit never reported it)."""
    headers: Mapping[str, str]
    livekit_call_id: str | None = None
    """LiveKit's `SCL_` id of the dialled call."""
    unknown: UnknownCallId = LIVEKIT_SILENT
    """Why `sip_call_id` is None, when it is."""


@dataclass(frozen=True)
class NativeIdInBody:
    """A provider-native id seen in a synced call's body, at `path` (a dotted path)."""

    path: str
    value: str
    kind: str


@dataclass(frozen=True)
class Observed:
    """What a synced call body carries for correlation."""

    sip_call_id: str | None
    headers: dict[str, str]
    provider: str | None = None
    native_ids: list[NativeIdInBody] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Observed:
        raw_id = body.get("sip_call_id")
        call_id = raw_id.strip() if isinstance(raw_id, str) and raw_id.strip() else None
        raw_headers = body.get("sip_headers")
        headers = {
            canonical_header_name(str(k)): str(v).strip()
            for k, v in (raw_headers.items() if isinstance(raw_headers, Mapping) else ())
            if isinstance(v, str) and v.strip()
        }
        meta = body.get("general_meta_data_raw")
        meta = meta if isinstance(meta, Mapping) else {}
        corr = meta.get("correlation")
        corr = corr if isinstance(corr, Mapping) else {}
        provider = corr.get("provider") if isinstance(corr.get("provider"), str) else None
        warnings = [w for w in corr.get("warnings") or [] if isinstance(w, str)]
        return cls(call_id, headers, provider, _native_ids(body, corr), warnings)

    def header(self, name: str) -> str | None:
        return self.headers.get(canonical_header_name(name))

    @property
    def family(self) -> str | None:
        """The platform the call came through, as far as the body tells."""
        if self.provider and self.provider != "generic":
            return self.provider
        for native in self.native_ids:
            family = _family(native)
            if family:
                return family
        return None


def _native_ids(body: Mapping[str, Any], corr: Mapping[str, Any]) -> list[NativeIdInBody]:
    found: dict[str, NativeIdInBody] = {}
    listed = corr.get("native_ids")
    if isinstance(listed, Mapping):
        for key, value in listed.items():
            if isinstance(value, str) and value.strip():
                described = native_id_kind(value.strip()) or f"{key} (a provider id)"
                where = f"general_meta_data_raw.correlation.native_ids.{key}"
                found.setdefault(value.strip(), NativeIdInBody(where, value.strip(), described))
    raw_id = body.get("sip_call_id")
    if isinstance(raw_id, str) and (kind := native_id_kind(raw_id.strip())) is not None:
        found[raw_id.strip()] = NativeIdInBody("sip_call_id", raw_id.strip(), kind)
    for path, text in _strings(body, ""):
        if (kind := native_id_kind(text)) is not None:
            found.setdefault(text, NativeIdInBody(path or "body", text, kind))
    return list(found.values())


def _family(native: NativeIdInBody) -> str | None:
    marker = ".native_ids."
    if marker in native.path:
        key = native.path.split(marker, 1)[1]
        prefix = key.split(".", 1)[0]
        if prefix == "twilio" and key in ("twilio.callSid", "twilio.streamSid"):
            return "twilio_stream"
        return prefix if prefix != "generic" else None
    for word, family in (
        ("LiveKit", "livekit"),
        ("Twilio StreamSid", "twilio_stream"),
        ("Twilio", "twilio"),
        ("Telnyx", "telnyx"),
        ("Vonage", "vonage"),
    ):
        if word in native.kind:
            return family
    return None


def _strings(value: Any, path: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    """(dotted path, stripped string) for every string in `value`, outside the fields
    Ringback reads correlation from and the transcript."""
    if depth > 12:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not path and key in _NOT_SEARCHED:
                continue
            yield from _strings(item, f"{path}.{key}" if path else str(key), depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]", depth + 1)
    elif isinstance(value, str) and value.strip():
        yield path, value.strip()


def where_found(body: Mapping[str, Any], value: str) -> list[str]:
    """Where else in `body` a value turns up (case-insensitively), at most `MAX_PATHS`."""
    wanted = value.strip().lower()
    if len(wanted) < MIN_SEARCHED_CHARS:
        return []
    paths = [path for path, text in _strings(body, "") if wanted in text.lower()]
    return paths[:MAX_PATHS]


def diagnose(body: Mapping[str, Any], expected: Expected) -> list[SyncedCallProblem]:
    """Every way `body` differs from what was dialled (empty: it carries both intact)."""
    observed = Observed.from_body(body)
    findings: list[SyncedCallProblem] = []
    call_id = _call_id_finding(body, observed, expected)
    if call_id is not None:
        findings.append(call_id)
    findings.extend(_header_findings(body, observed, expected))
    return findings


def _call_id_finding(
    body: Mapping[str, Any], observed: Observed, expected: Expected
) -> SyncedCallProblem | None:
    synced = observed.sip_call_id
    dialled = expected.sip_call_id
    family = observed.family
    if synced is not None and (kind := native_id_kind(synced)) is not None:
        detail = f"sip_call_id holds {synced!r}, {kind}, not the SIP Call-ID"
        if synced == expected.livekit_call_id:
            detail += " (it is LiveKit's sip.callID of this very call; read sip.callIDFull)"
        if dialled:
            detail += f"; the dialled Call-ID was {dialled!r}"
        advice = advice_for(family)
        return SyncedCallProblem(
            shape=Shape.PROVIDER_ID, detail=detail, fix=advice.call_id, docs=_docs(advice)
        )
    if synced is None:
        return _missing_call_id(body, observed, dialled)
    if synced != dialled and (own := _listed_native_id(observed, synced)) is not None:
        advice = advice_for(family or _family(own))
        key = own.path.rsplit(".native_ids.", 1)[-1]
        detail = (
            f"sip_call_id holds {synced!r}, the call's own {key} (a provider-native id, listed "
            "in general_meta_data_raw.correlation.native_ids), not the SIP Call-ID"
        )
        if dialled:
            detail += f"; the dialled Call-ID was {dialled!r}"
        return SyncedCallProblem(
            shape=Shape.PROVIDER_ID, detail=detail, fix=advice.call_id, docs=_docs(advice)
        )
    if dialled is None:
        return SyncedCallProblem(
            shape=Shape.CALL_ID_UNKNOWN,
            detail=f"the agent synced Call-ID {synced!r}, but {expected.unknown.reason}, so "
            "they cannot be compared",
            fix=expected.unknown.fix,
            docs=[doc("livekit")],
        )
    if synced == dialled:
        return None
    advice = advice_for(family)
    detail = f"the agent synced Call-ID {synced!r}, not the dialled {dialled!r}"
    paths = where_found(body, dialled)
    x_cid = observed.header("X-CID")
    if x_cid == dialled:
        detail += " (the X-CID header carries the dialled one: report it as the Call-ID)"
    elif paths:
        detail += f" (the dialled one is in the body at {', '.join(paths)})"
    return SyncedCallProblem(
        shape=Shape.DIFFERENT_CALL_ID,
        detail=detail + ": the Call-ID was regenerated on the way, as after a hop",
        fix=hop_fix(advice, x_cid, dialled),
        docs=[doc(anchor) for anchor in advice.hop_anchors],
    )


def _listed_native_id(observed: Observed, value: str) -> NativeIdInBody | None:
    """The native id the synced call itself lists (its correlation's `native_ids`) with
    this value, if any: a provider-native id of any shape (Plivo's CallUUID, Exotel's
    call_sid)."""
    return next(
        (n for n in observed.native_ids if n.value == value and ".native_ids." in n.path),
        None,
    )


def _missing_call_id(
    body: Mapping[str, Any], observed: Observed, dialled: str | None
) -> SyncedCallProblem:
    warned = next((w for w in observed.warnings if w.startswith("No SIP Call-ID")), None)
    said = f" Ringback on the agent warned: {warned}" if warned else ""
    paths = where_found(body, dialled) if dialled else []
    if paths:
        return SyncedCallProblem(
            shape=Shape.NO_CALL_ID,
            detail=f"the synced call has no sip_call_id, but the dialled Call-ID {dialled!r} is "
            f"in it at {', '.join(paths)} (renamed or nested where Ringback does not read it)",
            fix=_NESTED_FIX,
            docs=[doc("generic-payloads")],
        )
    advice = advice_for(observed.family)
    if observed.native_ids:
        shown = ", ".join(f"{n.kind} {n.value!r} at {n.path}" for n in observed.native_ids[:2])
        return SyncedCallProblem(
            shape=Shape.PROVIDER_ID,
            detail=f"the synced call has no SIP Call-ID, only a provider-native id in its "
            f"place: {shown}.{said}",
            fix=advice.call_id,
            docs=_docs(advice),
        )
    nothing = "" if observed.headers else " and no X- headers at all"
    return SyncedCallProblem(
        shape=Shape.NO_CALL_ID,
        detail=f"the synced call has no SIP Call-ID{nothing}.{said}",
        fix=advice.call_id,
        docs=_docs(advice),
    )


def _docs(advice: ProviderAdvice) -> list[str]:
    return [doc(advice.anchor)]


def _same(name: str, sent: str, got: str) -> bool:
    if canonical_header_name(name) in RESERVED:
        return sent.strip().lower() == got.strip().lower()  # ids link case-insensitively
    return sent.strip() == got.strip()


def _header_findings(
    body: Mapping[str, Any], observed: Observed, expected: Expected
) -> list[SyncedCallProblem]:
    missing: list[str] = []
    altered: list[str] = []
    for raw_name, sent in expected.headers.items():
        name = canonical_header_name(raw_name)
        got = observed.header(name)
        if got is None:
            missing.append(name)
        elif not _same(name, sent, got):
            altered.append(
                f"{name} (value differs; not shown)"
                if is_secret_name(name)
                else f"{name} (sent {sent!r}, synced {got!r})"
            )
    findings: list[SyncedCallProblem] = []
    advice = advice_for(observed.family)
    if missing:
        nested = {
            name: paths
            for name in missing
            if not is_secret_name(name) and (paths := where_found(body, _get(expected, name)))
        }
        if len(missing) == len(expected.headers):
            detail = f"none of the {len(missing)} X- headers the INVITE carried came back"
        else:
            detail = f"the synced call lacks {', '.join(missing)}"
        if nested:
            where = "; ".join(f"{n} at {', '.join(p)}" for n, p in nested.items())
            detail += f" (their values are in the body where Ringback does not read them: {where})"
            fix, docs = _NESTED_FIX, [doc("generic-payloads")]
        else:
            fix = advice.header_fix(missing[0] if len(missing) == 1 else ANY_HEADER)
            docs = _docs(advice)
        findings.append(
            SyncedCallProblem(shape=Shape.HEADERS_MISSING, detail=detail, fix=fix, docs=docs)
        )
    if altered:
        findings.append(
            SyncedCallProblem(
                shape=Shape.HEADERS_ALTERED,
                detail=f"X- headers synced with other values than dialled: {', '.join(altered)}",
                fix="Something on the way rewrites these headers: forward them unchanged, and "
                "keep correlation values alphanumeric so no hop re-encodes them.",
                docs=[doc("header-names-and-values")],
            )
        )
    return findings


def _get(expected: Expected, name: str) -> str:
    for key, value in expected.headers.items():
        if canonical_header_name(key) == name:
            return value
    return ""


__all__ = ["LIVEKIT_SILENT", "Expected", "Observed", "UnknownCallId", "diagnose", "where_found"]
