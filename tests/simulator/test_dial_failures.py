"""SIP statuses and client errors become a failure kind and a human reason."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from livekit import api

from ringback.simulator.batch.outcome import FailureKind
from ringback.simulator.dial import dial_failure_for, kind_of_sip_status


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
    failure = dial_failure_for(error)
    assert failure.kind is FailureKind.BUSY
    assert (failure.sip_status_code, failure.sip_status) == (486, "Busy Here")
    assert failure.reason == "SIP 486 Busy Here: the agent's endpoint answered busy"


def test_auth_failures_point_at_the_suite_credentials() -> None:
    error = api.SipCallError(
        "permission_denied", "x", status=403, metadata={"sip_status_code": "403"}
    )
    assert "agent.username / agent.password" in dial_failure_for(error).reason


@pytest.mark.parametrize("code", ["unauthenticated", "permission_denied"])
def test_livekit_access_errors_without_a_sip_status(code: str) -> None:
    failure = dial_failure_for(api.ServerError(code, "no", status=401))
    assert failure.kind is FailureKind.LIVEKIT_ACCESS
    assert failure.sip_status_code is None


def test_other_errors() -> None:
    assert (
        dial_failure_for(api.ServerError("internal", "boom", status=500)).kind
        is FailureKind.LIVEKIT
    )
    assert dial_failure_for(asyncio.TimeoutError()).kind is FailureKind.TIMEOUT
    assert dial_failure_for(aiohttp.ClientConnectionError("refused")).kind is FailureKind.LIVEKIT
    assert dial_failure_for(RuntimeError("bug")).kind is FailureKind.INTERNAL


# What livekit-sip (the stack's build) answers with no SIP status in the error's metadata,
# word for word as tests/stack saw it.
@pytest.mark.parametrize(
    ("code", "message", "kind", "says"),
    [
        (
            "canceled",
            "twirp error unknown: canceled",
            FailureKind.TIMEOUT,
            "matched no inbound trunk",
        ),
        (
            "unknown",
            "twirp error unknown: no auth header in response",
            FailureKind.AUTH,
            "SIP 401/407: the agent's endpoint challenged the call",
        ),
        (
            "unknown",
            "twirp error unknown: server required auth, but no username or password was provided",
            FailureKind.AUTH,
            "the suite gives no credentials",
        ),
        (
            "unknown",
            "twirp error unknown: transport<TCP> dial err=dial tcp 127.0.0.1:9: connect: "
            "connection refused",
            FailureKind.UNREACHABLE,
            "could not reach the agent's SIP address (connection refused)",
        ),
        (
            "unknown",
            "twirp error unknown: transport<TCP> dial err=dial tcp 10.77.0.2:5060: connect: "
            "no route to host",
            FailureKind.UNREACHABLE,
            "(no route to host)",
        ),
        (
            "unknown",
            "twirp error unknown: udp conn 127.0.0.1:5060 err. write udp "
            "127.0.0.1:5060->192.0.2.1:5060: sendto: network is unreachable. transaction "
            "transport error",
            FailureKind.UNREACHABLE,
            "could not reach the agent's SIP address (network is unreachable)",
        ),
        (
            "unknown",
            "twirp error unknown: INVITE failed: sip status: 404: Does not match Trunks",
            FailureKind.NOT_FOUND,
            "SIP 404: the agent's endpoint does not know the dialled user or number",
        ),
    ],
)
def test_livekit_sip_errors_in_words_are_named(
    code: str, message: str, kind: FailureKind, says: str
) -> None:
    failure = dial_failure_for(api.ServerError(code, message, status=500))
    assert failure.kind is kind
    assert says in failure.reason


def test_an_unknown_livekit_error_stays_a_livekit_error() -> None:
    failure = dial_failure_for(
        api.ServerError("internal", "twirp error internal: boom", status=500)
    )
    assert failure.kind is FailureKind.LIVEKIT
    assert failure.reason == "LiveKit refused the request (internal): twirp error internal: boom"
