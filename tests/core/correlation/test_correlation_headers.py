"""canonical_header_name and check_header."""

from __future__ import annotations

import pytest

from ringback.core.correlation import HeaderError, canonical_header_name, check_header


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("x-run-id", "X-Run-Id"),
        ("X-RUN-ID", "X-Run-Id"),
        ("X-Run-Id", "X-Run-Id"),
        ("  x-scenario-id ", "X-Scenario-Id"),
        ("x-correlation-id", "X-Correlation-Id"),
        ("X-CORRELATION-ID", "X-Correlation-Id"),
        ("x-cid", "X-CID"),
        ("X-Cid", "X-CID"),
        ("x-customer-tier", "X-Customer-Tier"),
        ("x-forwarded-for", "X-Forwarded-For"),
    ],
)
def test_canonical_header_name(raw: str, canonical: str) -> None:
    assert canonical_header_name(raw) == canonical


def test_canonical_header_name_is_idempotent() -> None:
    for name in ("X-Run-Id", "X-CID", "X-Auth-Token"):
        assert canonical_header_name(canonical_header_name(name)) == name


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Run-Id", "01JQ8ZK6M4XB7C9D0EFGH3JKMN"),
        ("x-customer-tier", "premium"),
        ("X-Note", "a\tb"),
        ("X-Empty", ""),
        ("X-Max", "é" * 512),
    ],
)
def test_check_header_accepts(name: str, value: str) -> None:
    check_header(name, value)


def test_header_error_is_a_value_error() -> None:
    assert issubclass(HeaderError, ValueError)


@pytest.mark.parametrize("name", ["From", "Call-ID", "Customer-Tier", "X-", "x"])
def test_check_header_refuses_non_x_names(name: str) -> None:
    with pytest.raises(HeaderError, match="not an X- header"):
        check_header(name, "v")


@pytest.mark.parametrize("name", ["X-Run Id", "X-Run:Id", "X-Run-Id\r\nX-Evil", "X-Rün"])
def test_check_header_refuses_non_token_names(name: str) -> None:
    with pytest.raises(HeaderError, match="cannot hold"):
        check_header(name, "v")


@pytest.mark.parametrize("value", ["a\r\nX-Evil: 1", "a\nb", "a\rb", "a\x00b"])
def test_check_header_refuses_injection(value: str) -> None:
    with pytest.raises(HeaderError, match="CR, LF or NUL") as info:
        check_header("X-Auth-Token", value)
    assert "X-Auth-Token" in str(info.value)
    assert value not in str(info.value)


def test_check_header_refuses_values_over_one_kib() -> None:
    check_header("X-Blob", "a" * 1024)
    with pytest.raises(HeaderError, match="1025 bytes") as info:
        check_header("X-Blob", "a" * 1025)
    assert "X-Blob" in str(info.value)
    # The limit counts UTF-8 bytes, not characters.
    with pytest.raises(HeaderError, match="1026 bytes"):
        check_header("X-Blob", "é" * 513)


def test_check_header_message_says_how_to_fix() -> None:
    with pytest.raises(HeaderError, match="rename it to 'X-Customer-Tier'"):
        check_header("Customer-Tier", "premium")
