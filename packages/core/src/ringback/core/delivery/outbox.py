"""The outbox: every finished call on disk, one entry per (call, sink), until a sink has it.

Layout under the outbox directory::

    pending/<sink>/<key>.json          envelope waiting to be delivered to <sink>
    pending/<sink>/<key>.error.json    last failed attempt (advisory, for `ringback outbox list`)
    dead/<sink>/<key>.json             rejected by the server (4xx), with <key>.error.json
    quarantine/<sink>/<key>.json       unreadable or corrupt, with <key>.error.json
    locks/<sink>/<key>.lock            flock while a sender works on the entry

`<key>` is `entry_key(call_id)`. The entries of one call in several sinks are hard links to a
single file, written once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from .envelope import CorruptEntry, Envelope, entry_key, parse_envelope, read_header
from .locking import EntryLock

logger = logging.getLogger("ringback.delivery")

State = Literal["pending", "dead", "quarantine"]
PENDING: State = "pending"
DEAD: State = "dead"
QUARANTINE: State = "quarantine"
STATES: tuple[State, ...] = (PENDING, DEAD, QUARANTINE)

_NEW_FILE = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)
_ENTRY_SUFFIX = ".json"
_ERROR_SUFFIX = ".error.json"
_TMP_PREFIX = ".tmp-"

FileId = tuple[int, int]
"""(st_dev, st_ino): which file a path named when we wrote or read it."""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":  # directories cannot be opened (or fsynced) there
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems cannot fsync a directory
        if exc.errno not in (22, 95):  # EINVAL, EOPNOTSUPP
            raise
    finally:
        os.close(fd)


def _file_id(st: os.stat_result) -> FileId:
    return (st.st_dev, st.st_ino)


@dataclass(frozen=True)
class PersistResult:
    """What `Outbox.persist` managed to put on disk."""

    written: dict[str, FileId] = field(default_factory=dict)
    """Sink name → the file now at its pending path."""
    error: OSError | None = None


@dataclass(frozen=True)
class EntryRef:
    """One file in the outbox."""

    state: State
    sink: str
    key: str
    path: Path
    size: int
    mtime: float


@dataclass(frozen=True)
class Loaded:
    """An entry read under its lock."""

    envelope: Envelope
    file_id: FileId


class Outbox:
    """The on-disk outbox (see the module docstring for the layout).

    Every method is blocking file I/O; async callers run them in a worker thread.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser()
        self._made: set[Path] = set()

    # ── paths ─────────────────────────────────────────────────────────────────
    def sink_dir(self, state: State, sink: str) -> Path:
        return self.root / state / sink

    def entry_path(self, sink: str, key: str, state: State = PENDING) -> Path:
        return self.sink_dir(state, sink) / f"{key}{_ENTRY_SUFFIX}"

    def error_path(self, sink: str, key: str, state: State = PENDING) -> Path:
        return self.sink_dir(state, sink) / f"{key}{_ERROR_SUFFIX}"

    def _ensure(self, path: Path, *, again: bool = False) -> Path:
        if again or path not in self._made:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._made.add(path)
        return path

    # ── writing ───────────────────────────────────────────────────────────────
    def persist(self, key: str, data: bytes, sinks: Sequence[str]) -> PersistResult:
        result = self._persist(key, data, sinks)
        if isinstance(result.error, FileNotFoundError) and not result.written:
            # Someone removed the outbox folders while we run: recreate them once.
            self._made.clear()
            result = self._persist(key, data, sinks)
        return result

    def _persist(self, key: str, data: bytes, sinks: Sequence[str]) -> PersistResult:
        """Durably write `data` as the pending entry `key` of every sink, replacing any older one.

        The bytes are written and fsynced once to a temp file in the first sink's folder,
        hard-linked (or, where links fail, copied) into the others, renamed into place, and
        each folder is fsynced. Never raises: a failure is returned with the sinks that made it.
        """
        written: dict[str, FileId] = {}
        error: OSError | None = None
        if not sinks:
            return PersistResult()
        try:
            dirs = [self._ensure(self.sink_dir(PENDING, s)) for s in sinks]
        except OSError as exc:
            return PersistResult(error=exc)
        tmp = dirs[0] / f"{_TMP_PREFIX}{key}-{secrets.token_hex(4)}"
        try:
            fd = os.open(tmp, _NEW_FILE, 0o600)
            try:
                _write_all(fd, data)
                os.fsync(fd)
                ident = _file_id(os.fstat(fd))
            finally:
                os.close(fd)
            for sink, folder in zip(sinks[1:], dirs[1:], strict=True):
                try:
                    written[sink] = self._place_extra(tmp, ident, folder, key, data)
                except OSError as exc:
                    error = error or exc
            os.replace(tmp, dirs[0] / f"{key}{_ENTRY_SUFFIX}")
            written[sinks[0]] = ident
            for sink, folder in zip(sinks, dirs, strict=True):
                if sink in written:
                    with contextlib.suppress(FileNotFoundError):
                        (folder / f"{key}{_ERROR_SUFFIX}").unlink()
                    _fsync_dir(folder)
        except OSError as exc:
            error = exc
            with contextlib.suppress(OSError):
                tmp.unlink()
        return PersistResult(written=written, error=error)

    @staticmethod
    def _place_extra(tmp: Path, ident: FileId, folder: Path, key: str, data: bytes) -> FileId:
        staged = folder / f"{_TMP_PREFIX}{key}-{secrets.token_hex(4)}"
        try:
            try:
                os.link(tmp, staged)
                placed = ident
            except OSError:  # no hard links here (or across mounts): pay for a second write
                fd = os.open(staged, _NEW_FILE, 0o600)
                try:
                    _write_all(fd, data)
                    os.fsync(fd)
                    placed = _file_id(os.fstat(fd))
                finally:
                    os.close(fd)
            os.replace(staged, folder / f"{key}{_ENTRY_SUFFIX}")
            return placed
        except OSError:
            with contextlib.suppress(OSError):
                staged.unlink()
            raise

    # ── locking and reading ───────────────────────────────────────────────────
    def try_lock(self, sink: str, key: str) -> EntryLock | None:
        """Lock the entry `key` of `sink` for sending; None if another sender holds it."""
        folder = self._ensure(self.root / "locks" / sink)
        try:
            return EntryLock.try_acquire(folder / f"{key}.lock")
        except FileNotFoundError:  # the folder was removed under us
            return EntryLock.try_acquire(self._ensure(folder, again=True) / f"{key}.lock")

    def load(self, sink: str, key: str) -> Loaded | None:
        """Read and parse a pending entry (call with its lock held); None if it is gone.

        Raises `CorruptEntry` for a file that cannot be read or parsed.
        """
        path = self.entry_path(sink, key)
        try:
            with path.open("rb") as f:
                ident = _file_id(os.fstat(f.fileno()))
                data = f.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CorruptEntry(f"unreadable ({exc.strerror or exc})") from None
        return Loaded(parse_envelope(data), ident)

    def _is(self, path: Path, ident: FileId | None) -> bool:
        try:
            return ident is None or _file_id(os.stat(path)) == ident
        except FileNotFoundError:
            return False

    # ── leaving pending/ ──────────────────────────────────────────────────────
    def remove(self, sink: str, key: str, ident: FileId | None) -> None:
        """Delete a delivered entry, unless the path now names a newer file (a re-submit)."""
        path = self.entry_path(sink, key)
        if self._is(path, ident):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            with contextlib.suppress(FileNotFoundError):
                self.error_path(sink, key).unlink()

    def dead_letter(
        self, sink: str, key: str, ident: FileId | None, info: dict[str, Any]
    ) -> Path | None:
        """Move a rejected entry to `dead/<sink>/` with an error file; returns its new path."""
        return self._move(sink, key, ident, DEAD, info)

    def quarantine(self, sink: str, key: str, reason: str) -> Path | None:
        """Move an unreadable entry to `quarantine/<sink>/` with an error file."""
        return self._move(sink, key, None, QUARANTINE, {"reason": reason})

    def _move(
        self, sink: str, key: str, ident: FileId | None, state: State, info: dict[str, Any]
    ) -> Path | None:
        src = self.entry_path(sink, key)
        if not self._is(src, ident):
            return None
        folder = self._ensure(self.sink_dir(state, sink))
        dst = folder / src.name
        os.replace(src, dst)
        _write_json(self.error_path(sink, key, state), {**info, "at": _now_iso()})
        with contextlib.suppress(FileNotFoundError):
            self.error_path(sink, key).unlink()
        _fsync_dir(folder)
        return dst

    def note_failure(self, sink: str, key: str, info: dict[str, Any]) -> None:
        """Record the last failed attempt next to a pending entry (best effort)."""
        if not self.entry_path(sink, key).exists():
            return
        previous = self.last_error(sink, key) or {}
        attempts = int(previous.get("attempts", 0) or 0) + int(info.pop("attempts", 1))
        with contextlib.suppress(OSError):
            _write_json(
                self.error_path(sink, key), {**info, "attempts": attempts, "at": _now_iso()}
            )

    def last_error(self, sink: str, key: str, state: State = PENDING) -> dict[str, Any] | None:
        """The error file next to an entry, if any."""
        try:
            doc = json.loads(self.error_path(sink, key, state).read_bytes())
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def retry_dead(
        self, call_ids: Iterable[str] | None = None, *, sink: str | None = None
    ) -> tuple[list[EntryRef], list[EntryRef]]:
        """Move dead letters back to pending (all, or those of `call_ids`).

        Returns (moved, skipped); an entry is skipped when a newer pending entry of the same
        call exists.
        """
        keys = None if call_ids is None else {entry_key(c) for c in call_ids}
        moved: list[EntryRef] = []
        skipped: list[EntryRef] = []
        for ref in self.entries(DEAD, sink):
            if keys is not None and ref.key not in keys:
                continue
            target = self.entry_path(ref.sink, ref.key)
            if target.exists():
                skipped.append(ref)
                continue
            self._ensure(target.parent)
            os.replace(ref.path, target)
            with contextlib.suppress(FileNotFoundError):
                self.error_path(ref.sink, ref.key, DEAD).unlink()
            _fsync_dir(target.parent)
            moved.append(ref)
        return moved, skipped

    # ── listing ───────────────────────────────────────────────────────────────
    def sinks(self) -> list[str]:
        """Sink names that have a folder in any state."""
        names: set[str] = set()
        for state in STATES:
            with contextlib.suppress(OSError), os.scandir(self.root / state) as it:
                names.update(e.name for e in it if e.is_dir())
        return sorted(names)

    def entries(self, state: State = PENDING, sink: str | None = None) -> list[EntryRef]:
        """Entries in `state` (of one sink, or all), oldest first."""
        refs: list[EntryRef] = []
        for name in [sink] if sink else self.sinks():
            try:
                it = os.scandir(self.sink_dir(state, name))
            except OSError:
                continue
            with it:
                for e in it:
                    n = e.name
                    if (
                        n.startswith(".")
                        or not n.endswith(_ENTRY_SUFFIX)
                        or n.endswith(_ERROR_SUFFIX)
                    ):
                        continue
                    try:
                        st = e.stat()
                    except FileNotFoundError:
                        continue
                    key = n[: -len(_ENTRY_SUFFIX)]
                    refs.append(EntryRef(state, name, key, Path(e.path), st.st_size, st.st_mtime))
        refs.sort(key=lambda r: (r.mtime, r.key))
        return refs

    def header(self, ref: EntryRef) -> dict[str, Any] | None:
        """The envelope fields of an entry other than its body (reads only the file's start)."""
        return read_header(ref.path)

    def cleanup_temp(self, older_than: float = 3600.0) -> int:
        """Delete temp files left by writers that died mid-write; returns how many."""
        removed = 0
        cutoff = time.time() - older_than
        folders = [self.sink_dir(PENDING, name) for name in self.sinks()]
        folders.append(self.root / "live")  # snapshots of calls in progress (checkpoints.py)
        for folder in folders:
            with contextlib.suppress(OSError), os.scandir(folder) as it:
                for e in it:
                    if e.name.startswith(_TMP_PREFIX):
                        with contextlib.suppress(OSError):
                            if e.stat().st_mtime < cutoff:
                                os.unlink(e.path)
                                removed += 1
        return removed


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_name(f"{_TMP_PREFIX}{path.name}-{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, _NEW_FILE, 0o600)
        try:
            _write_all(fd, json.dumps(doc, indent=2, ensure_ascii=False).encode())
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


__all__ = [
    "DEAD",
    "PENDING",
    "QUARANTINE",
    "CorruptEntry",
    "EntryRef",
    "Loaded",
    "Outbox",
    "PersistResult",
]
