"""A typo in the environment cannot cost a call: a malformed `RINGBACK_EXTRA_SINKS` (not
JSON, or a sink without a name of its own) and a non-number workspace are logged with what is
wrong and how to fix it, never their value, and replaced by the default; delivery goes on."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from support.create_call_server import CreateCallServer

from ringback.core.delivery import Delivery, DeliveryStatus
from ringback.core.sample import sample_call
from ringback.core.settings import load_settings

SECRET = "tr_api_do_not_print_me"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (
            f'[{{"base_url": "https://backup.example.com", "api_key": "{SECRET}"',
            "is not valid JSON (Expecting ',' delimiter",
        ),
        (
            f'[{{"base_url": "https://backup.example.com", "api_key": "{SECRET}"}}]',
            "sink names must be unique, and primary is used more than once: give each extra "
            "sink its own `name`",
        ),
        ('{"name": "backup"}', "Input should be a valid list"),
    ],
)
def test_a_malformed_extra_sinks_falls_back_to_none_and_says_why(
    value: str, problem: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("RINGBACK_EXTRA_SINKS", value)
    with caplog.at_level(logging.ERROR, logger="ringback.settings"):
        settings = load_settings()
    assert settings.extra_sinks == []
    assert [s.name for s in settings.sinks()] == ["primary"]
    assert "setting extra_sinks (keyword 'extra_sinks' or env RINGBACK_EXTRA_SINKS)" in caplog.text
    assert problem in caplog.text
    assert SECRET not in caplog.text
    assert "backup.example.com" not in caplog.text


def test_well_formed_extra_sinks_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "RINGBACK_EXTRA_SINKS", '[{"name": "backup", "base_url": "https://backup.example.com/"}]'
    )
    sinks = load_settings().sinks()
    assert [(s.name, s.base_url) for s in sinks][1:] == [("backup", "https://backup.example.com")]


async def test_delivery_with_a_typo_in_the_environment_still_delivers_the_call(
    create_call_server: CreateCallServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("RINGBACK_BASE_URL", create_call_server.url)
    monkeypatch.setenv("RINGBACK_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("RINGBACK_WORKSPACE_ID", "abc")
    monkeypatch.setenv("RINGBACK_EXTRA_SINKS", f'[{{"api_key": "{SECRET}"')
    with caplog.at_level(logging.ERROR, logger="ringback.settings"):
        delivery = Delivery()  # raised before, printing the bad value
    try:
        result = await delivery.submit(sample_call(2, call_id="typo-call"))
    finally:
        await delivery.aclose()
    (outcome,) = result.outcomes
    assert outcome.status is DeliveryStatus.DELIVERED
    assert create_call_server.requests[0].query["workspace_id"] == "1"
    assert "RINGBACK_WORKSPACE_ID" in caplog.text
    assert "abc" not in caplog.text
    assert SECRET not in caplog.text
