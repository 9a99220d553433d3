"""The on-disk outbox: entry names, the envelope, atomic multi-sink writes, moves, locks."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import pytest
from delivery_helpers import record

from ringback.core.delivery import (
    DEAD,
    PENDING,
    QUARANTINE,
    CorruptEntry,
    Outbox,
    build_envelope,
    entry_key,
    parse_envelope,
)
from ringback.core.delivery import outbox as outbox_module
from ringback.core.delivery.envelope import read_header


@pytest.mark.parametrize(
    "call_id",
    ["abc", "../../etc/passwd", "a/b\\c", "sip:agent@pbx:5060;tag=x", "é日本", "x" * 256, "///"],
)
def test_entry_key_is_a_safe_file_name(call_id: str) -> None:
    key = entry_key(call_id)
    assert key == entry_key(call_id)
    assert all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
    assert not key.startswith(("-", "_", "."))
    assert 20 <= len(key) <= 69


def test_entry_keys_do_not_collide() -> None:
    ids = ["a/b", "a_b", "a?b", "A_B", "a b", "a\udcffb", "", "x" * 300, "x" * 301]
    keys = {entry_key(i) for i in ids}
    assert len(keys) == len(ids)
    assert len({k.lower() for k in keys}) == len(ids)  # case-insensitive filesystems too


def test_envelope_wraps_the_body_bytes_untouched() -> None:
    rec = record("call-1")
    body = rec.to_json_bytes()
    data = build_envelope(rec.call_id, body, agent_hint="agent-7")
    doc = json.loads(data)
    assert list(doc) == ["version", "call_id", "agent_hint", "created_at", "body"]
    assert doc["version"] == 1
    assert doc["call_id"] == "call-1"
    assert doc["agent_hint"] == "agent-7"
    env = parse_envelope(data)
    assert env.body == body
    assert (env.call_id, env.agent_hint) == ("call-1", "agent-7")


def test_envelope_survives_a_hostile_call_id() -> None:
    call_id = 'x","body":{"call_id":"y"},"z":"'
    rec = record(call_id)
    env = parse_envelope(build_envelope(call_id, rec.to_json_bytes(), agent_hint=None))
    assert env.call_id == call_id
    assert env.body == rec.to_json_bytes()


def test_reformatted_envelope_still_parses() -> None:
    rec = record("call-2")
    data = build_envelope(rec.call_id, rec.to_json_bytes(), agent_hint=None)
    pretty = json.dumps(json.loads(data), indent=2).encode()
    assert json.loads(parse_envelope(pretty).body) == json.loads(rec.to_json_bytes())


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json",
        b'{"version": 1, "call_id": "a", "agent_hint": null, "created_at": "", "bo',
        b"[1, 2]",
        b'{"version": 2, "call_id": "a", "body": {"call_id": "a"}}',
        b'{"version": 1, "call_id": "a", "body": {"call_id": "b"}}',
        b'{"version": 1, "call_id": "a"}',
    ],
)
def test_corrupt_envelopes_are_refused(data: bytes) -> None:
    with pytest.raises(CorruptEntry):
        parse_envelope(data)


def test_persist_writes_once_and_hard_links_each_sink(outbox_dir: Path) -> None:
    box = Outbox(outbox_dir)
    rec = record("call-3")
    data = build_envelope(rec.call_id, rec.to_json_bytes(), agent_hint=None)
    key = entry_key(rec.call_id)
    result = box.persist(key, data, ["primary", "backup", "third"])
    assert result.error is None
    assert set(result.written) == {"primary", "backup", "third"}
    paths = [box.entry_path(s, key) for s in ("primary", "backup", "third")]
    inodes = {p.stat().st_ino for p in paths}
    assert len(inodes) == 1
    assert paths[0].stat().st_nlink == 3
    assert paths[0].read_bytes() == data
    assert stat.S_IMODE(paths[0].stat().st_mode) == 0o600
    leftovers = [p for p in outbox_dir.rglob("*") if p.name.startswith(".")]
    assert leftovers == []
    assert [r.key for r in box.entries(PENDING, "backup")] == [key]


def test_persist_copies_when_links_fail(outbox_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    box = Outbox(outbox_dir)
    data = build_envelope("c", record("c").to_json_bytes(), agent_hint=None)
    result = box.persist("k", data, ["primary", "backup"])
    assert result.error is None
    a, b = box.entry_path("primary", "k"), box.entry_path("backup", "k")
    assert a.read_bytes() == b.read_bytes() == data
    assert a.stat().st_ino != b.stat().st_ino


def test_persist_replaces_an_older_entry_of_the_same_call(outbox_dir: Path) -> None:
    box = Outbox(outbox_dir)
    key = entry_key("same")
    box.persist(
        key, build_envelope("same", record("same", 1).to_json_bytes(), agent_hint=None), ["primary"]
    )
    newer = build_envelope("same", record("same", 4).to_json_bytes(), agent_hint=None)
    box.persist(key, newer, ["primary"])
    assert [r.path.read_bytes() for r in box.entries(PENDING, "primary")] == [newer]


def test_persist_failure_leaves_nothing_behind(
    outbox_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(fd: int, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(outbox_module, "_write_all", disk_full)
    box = Outbox(outbox_dir)
    result = box.persist("k", b"{}", ["primary", "backup"])
    assert isinstance(result.error, OSError)
    assert result.error.errno == errno.ENOSPC
    assert result.written == {}
    assert [p for p in outbox_dir.rglob("*") if p.is_file()] == []


def test_dead_letters_quarantine_and_retry(outbox_dir: Path) -> None:
    box = Outbox(outbox_dir)
    for cid in ("bad", "worse"):
        box.persist(
            entry_key(cid),
            build_envelope(cid, record(cid).to_json_bytes(), agent_hint=None),
            ["primary"],
        )
    bad = entry_key("bad")
    moved = box.dead_letter("primary", bad, None, {"http_status": 422, "message": "nope"})
    assert moved == box.entry_path("primary", bad, DEAD)
    assert (box.last_error("primary", bad, DEAD) or {})["message"] == "nope"
    box.quarantine("primary", entry_key("worse"), "broken")
    assert [r.key for r in box.entries(QUARANTINE)] == [entry_key("worse")]
    assert box.entries(PENDING) == []

    box.persist(
        bad, build_envelope("bad", record("bad").to_json_bytes(), agent_hint=None), ["primary"]
    )
    moved_back, skipped = box.retry_dead(["bad"])
    assert moved_back == []
    assert [r.key for r in skipped] == [bad]
    box.entry_path("primary", bad).unlink()
    moved_back, _ = box.retry_dead(["bad"])
    assert [r.key for r in moved_back] == [bad]
    assert box.entries(DEAD) == []
    assert not box.error_path("primary", bad, DEAD).exists()
    assert (read_header(box.entry_path("primary", bad)) or {})["call_id"] == "bad"


def test_listing_ignores_temp_and_error_files(outbox_dir: Path) -> None:
    box = Outbox(outbox_dir)
    box.persist(
        "k1", build_envelope("c1", record("c1").to_json_bytes(), agent_hint=None), ["primary"]
    )
    folder = box.sink_dir(PENDING, "primary")
    (folder / ".tmp-k2-1234").write_bytes(b"partial")
    (folder / "k1.error.json").write_text("{}")
    assert [r.key for r in box.entries()] == ["k1"]
    old = 1_000_000.0
    os.utime(folder / ".tmp-k2-1234", (old, old))
    assert box.cleanup_temp() == 1


def test_cleanup_also_clears_interrupted_snapshot_writes(outbox_dir: Path) -> None:
    box = Outbox(outbox_dir)
    live = outbox_dir / "live"
    live.mkdir(parents=True)
    (live / ".tmp-k3-abcd").write_bytes(b"partial snapshot")
    (live / ".tmp-k4-abcd").write_bytes(b"a snapshot being written right now")
    (live / "k5.json").write_bytes(b"{}")  # a snapshot, never touched by cleanup
    old = 1_000_000.0
    os.utime(live / ".tmp-k3-abcd", (old, old))
    os.utime(live / "k5.json", (old, old))
    assert box.cleanup_temp() == 1
    assert sorted(p.name for p in live.iterdir()) == [".tmp-k4-abcd", "k5.json"]


def test_entry_lock_is_exclusive_and_cleans_up(outbox_dir: Path) -> None:
    box = Outbox(outbox_dir)
    first = box.try_lock("primary", "k")
    assert first is not None
    assert box.try_lock("primary", "k") is None  # flock conflicts even within one process
    assert box.try_lock("backup", "k") is not None  # other sinks are independent
    first.release()
    assert not first.path.exists()
    again = box.try_lock("primary", "k")
    assert again is not None
    again.release()
