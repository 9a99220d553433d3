"""SIP statuses and client errors become a failure kind and a human reason."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from livekit import api

from ringback.simulator.dial import FailureKind, classify, kind_of_sip_status


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (486, FailureKind.BUSY),
        (600, FailureKind.BUSY),
        (404, FailureKind.NOT_FOUND),
        (604, FailureKind.NOT_FOUND),
        (408, FailureKind.TIMEOUT),
        (480, FailureKind.TIMEOUT),
        (487, FailureKind.TIMEOUT),
        (401, FailureKind.AUTH),
        (403, FailureKind.AUTH),
        (407, FailureKind.AUTH),
        (503, FailureKind.UNAVAILABLE),
        (500, FailureKind.SERVER_ERROR),
        (502, FailureKind.SERVER_ERROR),
        (488, FailureKind.REJECTED),
        (603, FailureKind.REJECTED),
    ],
)
def test_sip_statuses(code: int, kind: FailureKind) -> None:
    assert kind_of_sip_status(code) is kind


def test_a_sip_call_error_keeps_its_status_and_explains_it() -> None:
    error = api.SipCallError(
        "resource_exhausted",
        "sip status 486: Busy Here",
        status=429,
        metadata={"sip_status_code": "486", "sip_status": "Busy Here"},
    )
    failure = classify(error)
    assert failure.kind is FailureKind.BUSY
    assert (failure.sip_status_code, failure.sip_status) == (486, "Busy Here")
    assert failure.reason == "SIP 486 Busy Here: the agent's endpoint answered busy"


def test_auth_failures_point_at_the_suite_credentials() -> None:
    error = api.SipCallError(
        "permission_denied", "x", status=403, metadata={"sip_status_code": "403"}
    )
    assert "agent.username / agent.password" in classify(error).reason


@pytest.mark.parametrize("code", ["unauthenticated", "permission_denied"])
def test_livekit_access_errors_without_a_sip_status(code: str) -> None:
    failure = classify(api.ServerError(code, "no", status=401))
    assert failure.kind is FailureKind.LIVEKIT_ACCESS
    assert failure.sip_status_code is None


def test_other_errors() -> None:
    assert classify(api.ServerError("internal", "boom", status=500)).kind is FailureKind.LIVEKIT
    assert classify(asyncio.TimeoutError()).kind is FailureKind.TIMEOUT
    assert classify(aiohttp.ClientConnectionError("refused")).kind is FailureKind.LIVEKIT
    assert classify(RuntimeError("bug")).kind is FailureKind.INTERNAL
