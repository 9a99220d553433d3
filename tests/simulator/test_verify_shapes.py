"""`verify` names the shape of a synced call that does not carry what was dialled, with the
provider-specific setting to change: the agent under test (played through the LiveKit
stand-in) syncs each shape to a real collector."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support.verify_agent import Invite, SyncingAgent, synced
from support.verify_rig import NO_LINK, Rig, shapes, statuses, step, verify_rig

from ringback.simulator.verify.models import Shape, StepId, StepStatus

TWILIO_CALL_SID = "CA" + "3ae75ffe1c5d8847e478556c07d07103"
TWILIO_STREAM_SID = "MZ" + "18ad3ab5a668481ce02b83e7395059f0"
INJECTED = ["X-Run-Id", "X-Scenario-Id", "X-Result-Id", "X-Correlation-Id"]
PROFILE = ["X-Customer-Tier", "X-Auth-Token"]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with verify_rig(tmp_path) as rig:
        yield rig


def agent(rig: Rig, shape: object, **kwargs: object) -> SyncingAgent:
    return SyncingAgent(rig.standin, rig.collector, shape=shape, **kwargs)  # type: ignore[arg-type]


def hint(call_id: str) -> str:
    """How the diagnosis of a call that mentions none of the verify call's ids begins."""
    return f"if {call_id!r} (agent support-bot) is the verify call, "


async def test_no_call_id_and_no_headers(rig: Rig) -> None:
    agent(rig, lambda invite: synced(invite))
    report = await rig.verify(sync=NO_LINK)
    sync = step(report, StepId.SYNC)
    assert sync.status is StepStatus.FAILED
    # nothing ties the call that arrived to the verify call: not synced, with a hint only
    assert "arrived instead" not in sync.detail
    (arrived,) = await rig.collector.store.list_calls(1, linked=False)
    assert sync.detail.endswith(
        f"; 1 unrelated call arrived meanwhile, mentioning none of its ids (newest first: "
        f"{arrived.call_id!r})"
    )
    assert shapes(report, StepId.SYNC) == [
        Shape.NOT_SYNCED,
        Shape.NO_CALL_ID,
        Shape.HEADERS_MISSING,
    ]
    not_synced, no_id, headers = sync.findings
    assert "RINGBACK_BASE_URL" in not_synced.fix
    assert no_id.detail.startswith(hint(arrived.call_id))
    assert "has no SIP Call-ID and no X- headers at all" in no_id.detail
    assert "RingbackPlugin(session, ctx)" in no_id.fix
    assert headers.detail.startswith(hint(arrived.call_id))
    assert "none of the 6 X- headers the INVITE carried came back" in headers.detail
    assert report.synced_call is None  # not presented as the verify call
    assert statuses(report)[StepId.CORRELATION] is StepStatus.SKIPPED


async def test_unrelated_calls_are_a_hint_newest_first(rig: Rig) -> None:
    def two(invite: Invite) -> object:
        return [
            synced(invite, sip_call_id="someone@carrier.example"),
            synced(invite, sip_call_id=TWILIO_CALL_SID),
        ]

    agent(rig, two)
    report = await rig.verify(sync=NO_LINK)
    sync = step(report, StepId.SYNC)
    older, newer = sorted(await rig.collector.store.list_calls(1, linked=False), key=lambda c: c.id)
    assert sync.detail.endswith(
        f"2 unrelated calls arrived meanwhile, mentioning none of its ids (newest first: "
        f"{newer.call_id!r}, {older.call_id!r})"
    )
    # the newest is diagnosed, as a hint
    assert shapes(report, StepId.SYNC) == [
        Shape.NOT_SYNCED,
        Shape.PROVIDER_ID,
        Shape.HEADERS_MISSING,
    ]
    assert sync.findings[1].detail.startswith(hint(newer.call_id) + "sip_call_id holds 'CA")
    assert report.synced_call is None


async def test_a_provider_native_id_in_place_of_the_call_id(rig: Rig) -> None:
    agent(rig, lambda invite: synced(invite, sip_call_id=TWILIO_CALL_SID))
    report = await rig.verify(sync=NO_LINK)
    # nothing in it names the verify call: diagnosed as a hint, after "not synced"
    assert shapes(report, StepId.SYNC) == [
        Shape.NOT_SYNCED,
        Shape.PROVIDER_ID,
        Shape.HEADERS_MISSING,
    ]
    finding = step(report, StepId.SYNC).findings[1]
    assert "is the verify call, " in finding.detail
    assert f"sip_call_id holds {TWILIO_CALL_SID!r}, a Twilio CallSid" in finding.detail
    assert "Twilio SIP domain" in finding.fix
    assert finding.docs == ["docs/correlation.md#twilio-voice-webhook"]
    # the headers advice is Twilio's too
    assert "SipHeader_X-*" in step(report, StepId.SYNC).findings[2].fix


async def test_only_provider_ids_in_the_metadata_of_a_media_stream(rig: Rig) -> None:
    warning = "No SIP Call-ID: the Twilio Media Streams start message carries only ..."
    correlation = {
        "provider": "twilio_stream",
        "native_ids": {"twilio.callSid": TWILIO_CALL_SID, "twilio.streamSid": TWILIO_STREAM_SID},
        "warnings": [warning],
    }
    agent(rig, lambda invite: synced(invite, correlation=correlation))
    report = await rig.verify(sync=NO_LINK)
    assert step(report, StepId.SYNC).findings[0].shape is Shape.NOT_SYNCED
    finding = step(report, StepId.SYNC).findings[1]  # the hint: nothing names the verify call
    assert finding.shape is Shape.PROVIDER_ID
    assert "only a provider-native id in its place: a Twilio CallSid" in finding.detail
    assert "general_meta_data_raw.correlation.native_ids.twilio.callSid" in finding.detail
    assert f"Ringback on the agent warned: {warning}" in finding.detail
    assert '<Parameter name="SipCallId"' in finding.fix
    assert finding.docs == ["docs/correlation.md#twilio-media-streams"]


async def test_livekits_own_id_instead_of_the_call_id_with_the_headers(rig: Rig) -> None:
    agent(
        rig,
        lambda invite: synced(
            invite,
            sip_call_id="SCL_7xQm2KpR9vTb",
            sip_headers=invite.x_headers(),
            correlation={"provider": "livekit"},
        ),
    )
    report = await rig.verify()
    assert statuses(report)[StepId.SYNC] is StepStatus.PASSED  # linked by X-Result-Id
    correlation = step(report, StepId.CORRELATION)
    assert correlation.status is StepStatus.FAILED
    (finding,) = correlation.findings
    assert finding.shape is Shape.PROVIDER_ID
    assert "LiveKit's SIP call id (SCL_...)" in finding.detail
    assert "sip.callIDFull" in finding.fix
    assert finding.docs == ["docs/correlation.md#livekit"]


async def test_a_different_call_id_after_a_hop_still_linked_by_headers(rig: Rig) -> None:
    agent(
        rig,
        lambda invite: synced(
            invite, sip_call_id="b2bua-leg-2@pbx.internal", sip_headers=invite.x_headers()
        ),
    )
    report = await rig.verify()
    assert "linked by x-result-id" in step(report, StepId.SYNC).detail
    (finding,) = step(report, StepId.CORRELATION).findings
    assert finding.shape is Shape.DIFFERENT_CALL_ID
    assert "'b2bua-leg-2@pbx.internal', not the dialled" in finding.detail
    assert report.dialled_sip_call_id is not None
    assert report.dialled_sip_call_id in finding.detail
    assert "X-CID" in finding.fix
    assert finding.docs == ["docs/correlation.md#freeswitch", "docs/correlation.md#asterisk-pjsip"]


async def test_a_different_call_id_and_no_headers_does_not_link(rig: Rig) -> None:
    agent(rig, lambda invite: synced(invite, sip_call_id="b2bua-leg-2@pbx.internal"))
    report = await rig.verify(sync=NO_LINK)
    assert shapes(report, StepId.SYNC) == [
        Shape.NOT_SYNCED,
        Shape.DIFFERENT_CALL_ID,
        Shape.HEADERS_MISSING,
    ]


async def test_the_call_id_without_headers_links_but_names_the_missing_headers(rig: Rig) -> None:
    agent(
        rig,
        lambda invite: synced(
            invite, sip_call_id=invite.call_id, correlation={"provider": "livekit"}
        ),
    )
    report = await rig.verify()
    assert "linked by sip-call-id" in step(report, StepId.SYNC).detail
    (finding,) = step(report, StepId.CORRELATION).findings
    assert finding.shape is Shape.HEADERS_MISSING
    assert "none of the 6 X- headers" in finding.detail
    assert "include_headers: SIP_X_HEADERS" in finding.fix
    assert finding.docs == ["docs/correlation.md#livekit"]


async def test_some_headers_missing_are_named(rig: Rig) -> None:
    agent(
        rig,
        lambda invite: synced(
            invite,
            sip_call_id=invite.call_id,
            sip_headers=invite.x_headers(drop=["X-Run-Id", "X-Customer-Tier"]),
        ),
    )
    report = await rig.verify()
    (finding,) = step(report, StepId.CORRELATION).findings
    assert finding.shape is Shape.HEADERS_MISSING
    assert finding.detail == "the synced call lacks X-Run-Id, X-Customer-Tier"


async def test_headers_synced_with_other_values(rig: Rig) -> None:
    agent(
        rig,
        lambda invite: synced(
            invite,
            sip_call_id=invite.call_id,
            sip_headers=invite.x_headers(X_Customer_Tier="gold", X_Auth_Token="zzz999"),
        ),
    )
    report = await rig.verify()
    (finding,) = step(report, StepId.CORRELATION).findings
    assert finding.shape is Shape.HEADERS_ALTERED
    assert "X-Customer-Tier (sent 'premium', synced 'gold')" in finding.detail
    assert "X-Auth-Token (value differs; not shown)" in finding.detail
    dumped = report.model_dump_json()
    assert "abc123" not in dumped
    assert "zzz999" not in dumped


async def test_a_call_id_and_headers_nested_where_ringback_does_not_read_them(rig: Rig) -> None:
    def nested(invite: Invite) -> object:
        return synced(
            invite,
            metadata={
                "webhook": {
                    "SipCallId": invite.call_id,
                    "vars": {"result": invite.headers["X-Result-Id"]},
                }
            },
        )

    agent(rig, nested)
    report = await rig.verify(sync=NO_LINK)
    no_id, headers = step(report, StepId.SYNC).findings
    assert no_id.shape is Shape.NO_CALL_ID
    assert "general_meta_data_raw.webhook.SipCallId" in no_id.detail
    assert "renamed or nested" in no_id.detail
    assert "sip_correlation_id=" in no_id.fix
    assert no_id.docs == ["docs/correlation.md#generic-payloads"]
    assert headers.shape is Shape.HEADERS_MISSING
    assert "X-Result-Id at general_meta_data_raw.webhook.vars.result" in headers.detail


async def test_the_likeliest_of_several_unlinked_calls_is_diagnosed(rig: Rig) -> None:
    def two(invite: Invite) -> object:
        ours = synced(invite, metadata={"run": invite.headers["X-Run-Id"]})
        production = synced(invite, sip_call_id="someone-else@carrier.example")
        return [ours, production]  # ours arrives first, so it is not the newest

    player = agent(rig, two)
    report = await rig.verify(sync=NO_LINK)
    sync = step(report, StepId.SYNC)
    assert player.statuses == [201, 201]
    assert "(2 arrived; the likeliest shown)" in sync.detail
    assert shapes(report, StepId.SYNC) == [Shape.NO_CALL_ID, Shape.HEADERS_MISSING]
    assert "X-Run-Id at general_meta_data_raw.run" in sync.findings[1].detail
