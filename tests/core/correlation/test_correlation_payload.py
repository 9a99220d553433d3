"""Payload decoding, provider selection and argument errors."""

from __future__ import annotations

import json

import pytest

from ringback.core.correlation import Provider, extract_correlation
from ringback.core.correlation.detect import RULES, detect_provider

ATTRIBUTES = {"sip.callIDFull": "a@203.0.113.45", "sip.h.x-run-id": "r1"}


def test_dict_json_str_and_json_bytes_agree() -> None:
    expected = extract_correlation(ATTRIBUTES)
    assert extract_correlation(json.dumps(ATTRIBUTES)) == expected
    assert extract_correlation(json.dumps(ATTRIBUTES).encode()) == expected
    assert extract_correlation("\ufeff  " + json.dumps(ATTRIBUTES) + "\n") == expected


def test_form_str_and_bytes_agree() -> None:
    form = "CallSid=CA3ae75ffe1c5d8847e478556c07d07103&SipCallId=a%40h&SipHeader_X-Run-Id=r1"
    as_str = extract_correlation(form)
    assert as_str.sip_call_id == "a@h"
    assert extract_correlation(form.encode()) == as_str
    assert extract_correlation("?" + form) == as_str  # a GET query string


def test_malformed_json_raises_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match="looks like JSON but does not parse"):
        extract_correlation('{"sip.callIDFull": "a@h",')
    with pytest.raises(ValueError, match="looks like JSON"):
        extract_correlation(b"{not json}")


def test_json_that_is_not_an_object_raises() -> None:
    with pytest.raises(ValueError, match="not an object"):
        extract_correlation("[1, 2]")


def test_text_that_is_neither_json_nor_form_raises() -> None:
    with pytest.raises(ValueError, match="neither a JSON object nor a URL-encoded form"):
        extract_correlation("hello world")


def test_non_utf8_bytes_raise() -> None:
    with pytest.raises(ValueError, match="not UTF-8"):
        extract_correlation(b"\xff\xfe=\x00")


def test_wrong_payload_type_raises_type_error() -> None:
    with pytest.raises(TypeError, match="mapping, str or bytes"):
        extract_correlation(42)  # type: ignore[arg-type]


def test_empty_payload_gives_an_empty_correlation() -> None:
    result = extract_correlation("")
    assert result.is_empty
    assert result.provider == "generic"
    assert len(result.warnings) == 1


def test_unknown_provider_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown provider 'twillio'") as info:
        extract_correlation(ATTRIBUTES, "twillio")
    for provider in Provider:
        assert repr(provider.value) in str(info.value)


@pytest.mark.parametrize("given", ["livekit", "LiveKit", " LIVEKIT ", Provider.LIVEKIT])
def test_provider_as_enum_or_string(given: Provider | str) -> None:
    assert extract_correlation(ATTRIBUTES, given).provider == "livekit"


def test_provider_string_with_dash() -> None:
    message = {"start": {"callSid": "CA" + "1" * 32, "streamSid": "MZ" + "2" * 32}}
    assert extract_correlation(message, "twilio-stream").provider == "twilio_stream"


def test_given_provider_is_used_even_when_the_shape_differs() -> None:
    result = extract_correlation(ATTRIBUTES, "twilio")
    assert result.provider == "twilio"
    assert result.sip_call_id is None
    assert len(result.warnings) == 1


def test_invalid_direction_raises() -> None:
    with pytest.raises(ValueError, match="direction"):
        extract_correlation(ATTRIBUTES, direction="sideways")  # type: ignore[arg-type]


def test_provider_values_are_lower_case_strings() -> None:
    for provider in Provider:
        assert provider.value == provider.value.lower()
        assert provider == provider.value


def test_detection_covers_every_provider_but_generic() -> None:
    assert {provider for provider, _ in RULES} == set(Provider) - {Provider.GENERIC}
    assert detect_provider({"anything": "else"}) is Provider.GENERIC
