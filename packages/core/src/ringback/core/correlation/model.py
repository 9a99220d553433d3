"""The `Correlation` model: what links a synced call back to the SIP call that reached the agent."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ringback.core.protocol import RESULT_ID_HEADERS, RUN_ID_HEADER, SCENARIO_ID_HEADER

from .headers import canonical_header_name, check_header, value_problem
from .native import native_id_kind

NO_CALL_ID = "No SIP Call-ID"
"""Every missing-Call-ID warning starts with this, so a later merge can drop it."""

# Correlation headers that also fill an id field; result_id prefers X-Result-Id.
ID_HEADERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("run_id", (RUN_ID_HEADER,)),
    ("scenario_id", (SCENARIO_ID_HEADER,)),
    ("result_id", RESULT_ID_HEADERS),
)


def ids_from_headers(headers: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Map id field -> (value, header it came from) for the correlation headers present."""
    found: dict[str, tuple[str, str]] = {}
    for field, names in ID_HEADERS:
        for name in names:
            if headers.get(name):
                found[field] = (headers[name], name)
                break
    return found


def _dedupe(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


class Correlation(BaseModel):
    """Correlation read from one call: SIP Call-ID, X- headers, ids and provider metadata.

    Invariants (enforced on construction): `sip_call_id` is never a provider-native id and
    holds no CR/LF/NUL; `sip_headers` holds only X- headers, canonically named, whose values
    pass `check_header`; strings are trimmed and empty ones are None.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    sip_call_id: str | None = None
    sip_headers: dict[str, str] = Field(default_factory=dict)
    run_id: str | None = None
    scenario_id: str | None = None
    result_id: str | None = None
    recipient: str | None = None
    caller: str | None = None
    provider: str | None = None
    native_ids: dict[str, str] = Field(default_factory=dict)
    sources: dict[str, str] = Field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @field_validator(
        "sip_call_id",
        "run_id",
        "scenario_id",
        "result_id",
        "recipient",
        "caller",
        "provider",
        mode="before",
    )
    @classmethod
    def _trimmed(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("sip_call_id")
    @classmethod
    def _real_call_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        problem = value_problem(value)
        if problem is not None:
            raise ValueError(f"sip_call_id: {problem}")
        kind = native_id_kind(value)
        if kind is not None:
            raise ValueError(
                f"sip_call_id looks like {kind}, not a SIP Call-ID; keep it in native_ids"
            )
        return value

    @field_validator("sip_headers")
    @classmethod
    def _x_headers_only(cls, value: dict[str, str]) -> dict[str, str]:
        headers: dict[str, str] = {}
        for raw_name, raw_value in value.items():
            name = canonical_header_name(raw_name)
            header_value = raw_value.strip()
            if not header_value:
                continue
            check_header(name, header_value)
            headers[name] = header_value
        return headers

    @property
    def is_empty(self) -> bool:
        """True when nothing about the call was found (provider, sources, warnings aside)."""
        return not (
            self.sip_call_id
            or self.sip_headers
            or self.run_id
            or self.scenario_id
            or self.result_id
            or self.recipient
            or self.caller
            or self.native_ids
        )

    def merged(self, override: Correlation) -> Correlation:
        """Combine two readings of the same call; values present in `override` win.

        Headers, native ids and sources merge key-wise (override wins); warnings are
        de-duplicated, and a missing-Call-ID warning is dropped once the result has one.
        """
        call_id = override.sip_call_id or self.sip_call_id
        warnings = _dedupe(self.warnings + override.warnings)
        if call_id is not None:
            warnings = tuple(w for w in warnings if not w.startswith(NO_CALL_ID))
        return Correlation(
            sip_call_id=call_id,
            sip_headers={**self.sip_headers, **override.sip_headers},
            run_id=override.run_id or self.run_id,
            scenario_id=override.scenario_id or self.scenario_id,
            result_id=override.result_id or self.result_id,
            recipient=override.recipient or self.recipient,
            caller=override.caller or self.caller,
            provider=override.provider or self.provider,
            native_ids={**self.native_ids, **override.native_ids},
            sources={**self.sources, **override.sources},
            warnings=warnings,
        )

    def with_explicit(
        self,
        *,
        sip_call_id: str | None = None,
        sip_headers: Mapping[str, str] | None = None,
        recipient: str | None = None,
        run_id: str | None = None,
        scenario_id: str | None = None,
        result_id: str | None = None,
    ) -> Correlation:
        """Apply values the caller passed in code; they beat extracted ones.

        Their sources read ``"explicit"``. Explicit headers get the same treatment as
        extracted ones (X- only, canonical names, value checks): a refused one is dropped with
        a warning rather than raised, and so is a provider-native id passed as `sip_call_id`.
        """
        from .builder import Builder  # builder imports this module

        builder = Builder(None)
        builder.call_id(sip_call_id, "sip_call_id")
        for name, value in (sip_headers or {}).items():
            builder.explicit_header(name, value)
        builder.recipient(recipient, "recipient")
        explicit = builder.build(None, x_cid_fallback=False)
        ids = {"run_id": run_id, "scenario_id": scenario_id, "result_id": result_id}
        given = {field: value.strip() for field, value in ids.items() if value and value.strip()}
        if given:
            explicit = explicit.model_copy(
                update={
                    **given,
                    "sources": {**explicit.sources, **dict.fromkeys(given, "explicit")},
                }
            )
        return self.merged(explicit)

    def call_fields(self) -> dict[str, object]:
        """The Create Call top-level fields this supplies: sip_call_id, sip_headers, recipient."""
        fields: dict[str, object] = {}
        if self.sip_call_id:
            fields["sip_call_id"] = self.sip_call_id
        if self.sip_headers:
            fields["sip_headers"] = dict(self.sip_headers)
        if self.recipient:
            fields["recipient"] = self.recipient
        return fields

    def metadata(self) -> dict[str, object]:
        """JSON-ready dict for ``general_meta_data_raw["correlation"]`` (None/empty omitted).

        Keys: provider, run_id, scenario_id, result_id, caller, native_ids, sources, warnings.
        """
        meta: dict[str, object] = {}
        for key in ("provider", "run_id", "scenario_id", "result_id", "caller"):
            value = getattr(self, key)
            if value:
                meta[key] = value
        if self.native_ids:
            meta["native_ids"] = dict(self.native_ids)
        if self.sources:
            meta["sources"] = dict(self.sources)
        if self.warnings:
            meta["warnings"] = list(self.warnings)
        return meta
