"""Per-entry locks that keep two senders (threads, tasks or processes) off the same entry."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no cross-process exclusion
    fcntl = None  # type: ignore[assignment]

_MAX_RACES = 5
_OPEN = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)


class EntryLock:
    """An exclusive `flock` on one (sink, entry) lock file.

    The kernel drops the lock when the holder's file descriptor closes, including when the
    process is killed, so a crash never leaves an entry locked. Each sink has its own lock file
    rather than locking the entry itself: entries of several sinks are hard links to one inode,
    and a lock on the inode would make one sink's send block another's.
    """

    __slots__ = ("_fd", "path")

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def try_acquire(cls, path: Path) -> EntryLock | None:
        """Take the lock without waiting; None if someone else holds it."""
        for _ in range(_MAX_RACES):
            fd = os.open(path, _OPEN, 0o600)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if _same_file(fd, path):
                    return cls(fd, path)
            except BlockingIOError:
                os.close(fd)
                return None
            except BaseException:
                os.close(fd)
                raise
            # The previous holder finished and removed the file after we opened it: what we
            # locked is an orphan, so try again on whatever the path names now.
            os.close(fd)
        return None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Remove the lock file (while still holding it) and drop the lock. Idempotent."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            with contextlib.suppress(FileNotFoundError):
                if _same_file(fd, self.path):
                    self.path.unlink()
        finally:
            os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_path = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (on_path.st_dev, on_path.st_ino)
