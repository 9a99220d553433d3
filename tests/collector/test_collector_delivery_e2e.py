"""Ringback's own CallRecorder and Delivery, delivering to the real collector over HTTP."""

from __future__ import annotations

from pathlib import Path

from support.collector_server import RunningCollector

from ringback.core.delivery import PENDING, Delivery, DeliveryStatus
from ringback.core.protocol import new_result_id
from ringback.core.recorder import CallOptions, CallRecorder
from ringback.core.sample import sample_call
from ringback.core.settings import RingbackSettings


def _settings(collector: RunningCollector, tmp_path: Path, key: str) -> RingbackSettings:
    return RingbackSettings(
        base_url=collector.url,
        api_key=key,
        workspace_id=1,
        outbox_dir=tmp_path / "outbox",
    )


async def test_recorder_delivers_to_the_collector(
    collector: RunningCollector, tmp_path: Path
) -> None:
    key = (await collector.store.create_key(1, "agent")).key  # a key made through the keys API
    rid = new_result_id()
    recorder = CallRecorder(
        settings=_settings(collector, tmp_path, key),
        options=CallOptions(call_id="e2e-1", metadata={"tier": "gold"}),
        agent_hint="support-bot",
        sip_call_id="a1b2c3@pbx.example.com",
        sip_headers={"X-Result-Id": rid},
    )
    recorder.timeline.add_turn("user", "Hi, where is my order?", start_ms=0, end_ms=1_500)
    recorder.timeline.add_turn("agent", "Let me check.", start_ms=2_100, end_ms=3_000)
    result = await recorder.finish(disconnection_reason="user_hangup")

    assert result.delivered, result.summary()
    (outcome,) = result.outcomes
    assert (outcome.status, outcome.http_status) == (DeliveryStatus.DELIVERED, 201)
    assert outcome.server_request_id == outcome.request_id  # the collector echoes X-Request-Id
    stored = await collector.store.find_call(1, "support-bot", "e2e-1")
    assert stored is not None
    assert stored.body == recorder.record.model_dump(mode="json")  # type: ignore[union-attr]
    assert stored.body["general_meta_data_raw"]["tier"] == "gold"
    assert stored.production  # no result registered: production for now

    run = await collector.store.create_run(1)
    await collector.store.register_result(1, run.id, rid, scenario_id="s")
    linked = await collector.store.get_result(1, rid)
    assert linked is not None
    assert [c.call_id for c in linked.agent_calls] == ["e2e-1"]
    assert Delivery(_settings(collector, tmp_path, key)).outbox.entries(PENDING, "primary") == []


async def test_a_resend_is_already_stored_not_duplicated(
    collector: RunningCollector, tmp_path: Path
) -> None:
    record = sample_call(4, call_id="e2e-twice")
    async with Delivery(_settings(collector, tmp_path, collector.key)) as delivery:
        first = await delivery.submit(record, agent_hint="support-bot")
        second = await delivery.submit(record, agent_hint="support-bot")
    assert (first.outcomes[0].http_status, second.outcomes[0].http_status) == (201, 200)
    assert second.delivered
    assert len(await collector.store.list_calls(1)) == 1


async def test_a_revoked_key_keeps_the_call_in_the_outbox(
    collector: RunningCollector, tmp_path: Path
) -> None:
    new = await collector.store.create_key(1, "to revoke")
    await collector.store.revoke_key(new.info.id)
    settings = _settings(collector, tmp_path, new.key)
    recorder = CallRecorder(
        settings=settings, options=CallOptions(call_id="e2e-revoked"), agent_hint="support-bot"
    )
    recorder.timeline.add_turn("user", "Hello?", start_ms=0, end_ms=800)
    result = await recorder.finish()

    assert not result.delivered
    (outcome,) = result.outcomes
    assert (outcome.status, outcome.http_status) == (DeliveryStatus.AUTH_FAILED, 401)
    assert new.key not in (outcome.error or "")
    assert result.pending
    pending = Delivery(settings).outbox.entries(PENDING, "primary")
    assert len(pending) == 1
    assert await collector.store.find_call(1, "support-bot", "e2e-revoked") is None
