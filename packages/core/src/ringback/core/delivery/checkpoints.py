"""Snapshots of calls still in progress, so a process that dies mid-call loses nothing.

While a call runs, its recorder holds a lock on `live/<key>.json` and rewrites it now and
then. A finished call goes to `pending/` and its snapshot is dropped. A snapshot whose lock
nobody holds belongs to a process that died: `recover` turns it into a pending entry, marked
as recovered, for every sink.

    live/<key>.json           the latest snapshot (an outbox envelope)
    locks/.live/<key>.lock    held by the recording process for the call's lifetime
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from pathlib import Path

from .envelope import Envelope, parse_envelope
from .locking import EntryLock
from .outbox import _NEW_FILE, _TMP_PREFIX, Outbox, _fsync_dir, _write_all

logger = logging.getLogger("ringback.delivery")

LIVE = "live"
_LOCKS = ".live"  # sink names cannot start with a dot, so this never meets a sink's locks


class LiveSnapshots:
    """The `live/` folder of an outbox."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.folder = outbox.root / LIVE

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def claim(self, key: str) -> EntryLock | None:
        """Lock the snapshot of `key` for the caller's lifetime; None if another holds it."""
        return self.outbox.try_lock(_LOCKS, key)

    def write(self, key: str, envelope: bytes) -> None:
        """Durably replace the snapshot of `key` (temp file, fsync, rename, folder fsync)."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.folder / f"{_TMP_PREFIX}{key}-{secrets.token_hex(4)}"
        try:
            fd = os.open(tmp, _NEW_FILE, 0o600)
            try:
                _write_all(fd, envelope)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path(key))
            _fsync_dir(self.folder)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def drop(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink()

    def keys(self) -> list[str]:
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return []
        return sorted(
            n[: -len(".json")]
            for n in names
            if n.endswith(".json") and not n.startswith(_TMP_PREFIX)
        )

    def orphans(self) -> list[tuple[str, EntryLock]]:
        """Snapshots whose recording process is gone, each with its lock now held by us."""
        found = []
        for key in self.keys():
            lock = self.claim(key)
            if lock is None:
                continue  # a live call
            if self.path(key).exists():
                found.append((key, lock))
            else:
                lock.release()  # finished between listing and locking
        return found

    def read(self, key: str) -> Envelope:
        """Parse a snapshot; raises `CorruptEntry` or `OSError`."""
        return parse_envelope(self.path(key).read_bytes())


RECOVERED_NOTE = "the recording process ended before the call finished; this is its last snapshot"


def recovered_body(body: bytes) -> bytes:
    """A snapshot's body marked as recovered: `general_meta_data_raw.ringback.recovered`, and
    `disconnection_reason` `error` where the snapshot did not know how the call ended."""
    from ringback.core.contract import CallRecord, DisconnectionReason, GeneralMetadata

    record = CallRecord.model_validate_json(body)
    meta = record.general_meta_data_raw.model_dump()
    meta["ringback"] = {**(meta.get("ringback") or {}), "recovered": RECOVERED_NOTE}
    update: dict[str, object] = {"general_meta_data_raw": GeneralMetadata.model_validate(meta)}
    if record.disconnection_reason in (None, DisconnectionReason.UNKNOWN):
        update["disconnection_reason"] = DisconnectionReason.ERROR
    return record.model_copy(update=update).to_json_bytes()


def recover_orphans(outbox: Outbox, sinks: list[str]) -> list[str]:
    """Move the snapshots of calls whose process died into `pending/` for `sinks`.

    A call whose final version already reached `pending/` only loses its stale snapshot. A
    snapshot that cannot be read or recovered is left where it is and logged. Blocking; returns
    the call ids recovered.
    """
    from pydantic import ValidationError

    from .envelope import CorruptEntry, build_envelope

    live = LiveSnapshots(outbox)
    recovered: list[str] = []
    for key, lock in live.orphans():
        try:
            if any(outbox.entry_path(sink, key).exists() for sink in sinks):
                live.drop(key)
                continue
            envelope = live.read(key)
            body = recovered_body(envelope.body)
            data = build_envelope(envelope.call_id, body, agent_hint=envelope.agent_hint)
            stored = outbox.persist(key, data, sinks)
            if stored.error is not None:
                raise stored.error
            live.drop(key)
            recovered.append(envelope.call_id)
            logger.warning(
                "ringback: recovered call %r from its last snapshot (its process ended before "
                "the call finished); it will be delivered marked as recovered",
                envelope.call_id,
            )
        except (CorruptEntry, OSError, ValidationError) as exc:
            logger.error(
                "ringback: could not recover the in-progress snapshot %s: %s",
                live.path(key),
                exc,
            )
        finally:
            lock.release()
    return recovered
