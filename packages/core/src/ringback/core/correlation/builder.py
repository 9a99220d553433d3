"""Collects values from one payload, with their sources and warnings, into a `Correlation`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .headers import HeaderError, canonical_header_name, check_header, value_problem
from .model import Correlation, ids_from_headers
from .native import is_local_at_host, native_id_kind
from .payload_keys import call_id_key, header_name_for_key
from .provider import Provider
from .values import pairs, text


class Builder:
    """Accumulates what an extractor finds; the first value offered for a slot wins.

    Extractors offer values in priority order. Sources read ``"<family>:<key>"`` (e.g.
    ``"twilio:SipCallId"``), or ``"explicit"`` for a builder made with ``Builder(None)``.
    """

    def __init__(self, provider: Provider | None) -> None:
        self._provider = provider.value if provider is not None else None
        self._family = self._provider.split("_")[0] if self._provider else "explicit"
        self._call_id: str | None = None
        self._headers: dict[str, str] = {}
        self._sources: dict[str, str] = {}
        self._native: dict[str, str] = {}
        self._parties: dict[str, str] = {}
        self._warnings: list[str] = []

    @property
    def has_call_id(self) -> bool:
        """Whether a SIP Call-ID has been accepted."""
        return self._call_id is not None

    def has_header(self, name: str) -> bool:
        """Whether the canonical header `name` has been accepted."""
        return name in self._headers

    def source(self, key: str) -> str:
        """Source label for a payload key."""
        return "explicit" if self._provider is None else f"{self._family}:{key}"

    def warn(self, message: str) -> None:
        """Record a warning once."""
        if message not in self._warnings:
            self._warnings.append(message)

    def native(self, key: str, raw: object) -> None:
        """Keep a provider-native id as metadata under ``"<family>.<key>"``."""
        value = text(raw)
        if value is not None and value_problem(value) is None:
            self._native.setdefault(f"{self._family}.{key}", value)

    def call_id(self, raw: object, key: str, *, bare: bool = False) -> None:
        """Offer a SIP Call-ID found under `key`.

        A value shaped like a provider-native id goes to native ids instead; so does a `bare`
        one (a plain ``call_id``) unless it has the ``local@host`` shape.
        """
        value = text(raw)
        if value is None or self._call_id is not None:
            return
        kind = native_id_kind(value)
        if kind is not None or (bare and not is_local_at_host(value)):
            if self._provider is None:
                self.warn(
                    f"Ignored the explicit sip_call_id: it looks like {kind or 'a provider id'},"
                    " not a SIP Call-ID header value; kept in native_ids."
                )
            self.native(key, value)
            return
        problem = value_problem(value)
        if problem is not None:
            self.warn(f"Ignored the SIP Call-ID from {self.source(key)}: {problem}.")
            return
        self._call_id = value
        self._sources["sip_call_id"] = self.source(key)

    def header_container(self, container: object, path: str) -> None:
        """Read a header container (a dict or a `{name, value}` list) found at `path`: a
        trusted Call-ID entry offers the Call-ID, X- entries offer headers."""
        for name, value in pairs(container):
            where = f"{path}.{name}"
            if call_id_key(name) == "trusted":
                self.call_id(value, where)
                continue
            header = header_name_for_key(name)
            if header is not None:
                self.header(header, value, where)

    def prefixed_headers(self, data: Mapping[str, Any], prefix: str) -> None:
        """Offer every X- header passed as a `<prefix>X-Name` parameter (`SipHeader_X-...`)."""
        for key, value in pairs(data):
            if key.startswith(prefix):
                name = header_name_for_key(key)
                if name is not None:
                    self.header(name, value, key)

    def header(self, name: str, raw: object, key: str) -> None:
        """Offer X- header `name` found under `key`; a refused value is dropped with a warning."""
        value = text(raw)
        if value is None:
            return
        canonical = canonical_header_name(name)
        if canonical in self._headers:
            return
        try:
            check_header(canonical, value)
        except HeaderError as exc:
            self.warn(f"Dropped {exc} (from {self.source(key)}).")
            return
        self._headers[canonical] = value
        self._sources[canonical] = self.source(key)

    def explicit_header(self, name: str, raw: object) -> None:
        """Offer a header passed in code: a non-X name is dropped with a warning, not ignored."""
        if not name.strip().lower().startswith("x-"):
            try:
                check_header(name.strip(), "")
            except HeaderError as exc:
                self.warn(f"Dropped the explicit {exc}.")
            return
        self.header(name, raw, name)

    def _party(self, slot: str, raw: object, key: str) -> None:
        value = text(raw)
        if value is not None and slot not in self._parties and value_problem(value) is None:
            self._parties[slot] = value
            self._sources[slot] = self.source(key)

    def caller(self, raw: object, key: str) -> None:
        """Offer the caller's number (metadata only)."""
        self._party("caller", raw, key)

    def recipient(self, raw: object, key: str) -> None:
        """Offer the number or SIP URI that was called."""
        self._party("recipient", raw, key)

    def build(self, missing_call_id: str | None, *, x_cid_fallback: bool = True) -> Correlation:
        """Make the `Correlation`.

        Without a Call-ID, an ``X-CID`` header (which carries the original Call-ID across
        jambonz and bridged chains) stands in when `x_cid_fallback`; if there is still none,
        `missing_call_id` (when given) becomes the one missing-Call-ID warning.
        """
        sources = dict(self._sources)
        call_id = self._call_id
        cid = self._headers.get("X-CID")
        if call_id is None and x_cid_fallback and cid and native_id_kind(cid) is None:
            call_id = cid
            sources["sip_call_id"] = f"X-CID header ({sources['X-CID']})"
        ids: dict[str, str] = {}
        for field, (value, header) in ids_from_headers(self._headers).items():
            ids[field] = value
            sources[field] = f"header {header}" if self._provider is not None else "explicit"
        warnings = list(self._warnings)
        if call_id is None and missing_call_id is not None:
            warnings.append(missing_call_id)
        return Correlation(
            sip_call_id=call_id,
            sip_headers=dict(self._headers),
            recipient=self._parties.get("recipient"),
            caller=self._parties.get("caller"),
            provider=self._provider,
            native_ids=dict(self._native),
            sources=sources,
            warnings=tuple(warnings),
            **ids,
        )
