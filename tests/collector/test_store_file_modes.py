"""The collector's database holds calls and API-key hashes: a new one, its WAL files and the
folders made for it are readable by their owner only."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

from ringback.core.sample import sample_call
from ringback.simulator.collector import prepare_call
from ringback.simulator.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_folders_are_private(tmp_path: Path) -> None:
    existing = tmp_path / "home"
    existing.mkdir(mode=0o755)
    existing.chmod(0o755)
    database = existing / "made" / "for" / "it" / "collector.sqlite3"
    umask = os.umask(0o022)  # a usual umask, which would leave them world-readable
    try:
        _use(database)
    finally:
        os.umask(umask)
    assert mode(database) == 0o600
    for folder in (existing / "made", existing / "made" / "for", database.parent):
        assert mode(folder) == 0o700
    assert mode(existing) == 0o755  # a folder that was there is left as it was


def _use(database: Path) -> None:
    async def use() -> None:
        async with await Store.open(str(database)) as store:
            await store.create_key(1, "k")
            body = sample_call(2, call_id="c").to_json_bytes()
            await store.ingest_call(1, "bot", prepare_call(body))
            assert mode(Path(f"{database}-wal")) == 0o600  # while it is open

    asyncio.run(use())


def test_an_existing_database_keeps_its_mode(tmp_path: Path) -> None:
    database = tmp_path / "shared.sqlite3"
    database.touch(mode=0o640)
    database.chmod(0o640)

    async def use() -> None:
        async with await Store.open(str(database)):
            pass

    asyncio.run(use())
    assert mode(database) == 0o640
