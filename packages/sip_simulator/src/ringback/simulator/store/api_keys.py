"""Repository functions for API keys."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from ringback.core.errors import RingbackError

from .api_key_format import generate_key, hash_key
from .schema import api_keys
from .types import utcnow
from .views import KeyInfo, NewKey


class KeyRevokedError(RingbackError, LookupError):
    """The key used for a write is revoked (or gone) by the time the write runs."""


_COLUMNS = (
    api_keys.c.id,
    api_keys.c.workspace_id,
    api_keys.c.name,
    api_keys.c.created_at,
    api_keys.c.revoked_at,
)


def _info(row: Any) -> KeyInfo:
    return KeyInfo(
        id=row.id,
        workspace_id=row.workspace_id,
        name=row.name,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def create_key(conn: Connection, workspace_id: int, name: str = "") -> NewKey:
    """Create a key for `workspace_id`; the returned `NewKey.key` is the only copy."""
    if workspace_id < 1:
        raise ValueError(f"workspace ids are positive integers, not {workspace_id}")
    key = generate_key()
    now = utcnow()
    result = conn.execute(
        insert(api_keys)
        .values(workspace_id=workspace_id, name=name, key_hash=hash_key(key), created_at=now)
        .returning(*_COLUMNS)
    )
    return NewKey(info=_info(result.one()), key=key)


def list_keys(conn: Connection, workspace_id: int | None = None) -> list[KeyInfo]:
    query = select(*_COLUMNS).order_by(api_keys.c.id)
    if workspace_id is not None:
        query = query.where(api_keys.c.workspace_id == workspace_id)
    return [_info(row) for row in conn.execute(query)]


def revoke_key(conn: Connection, key_id: int) -> KeyInfo | None:
    """Revoke a key (idempotent); None when no key has that id."""
    conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    row = (conn.execute(select(*_COLUMNS).where(api_keys.c.id == key_id))).one_or_none()
    return None if row is None else _info(row)


_BY_HASH = select(*_COLUMNS).where(api_keys.c.key_hash == bindparam("key_hash"))


def find_key(conn: Connection, key: str) -> KeyInfo | None:
    """The key whose secret is `key` (revoked or not), or None."""
    row = conn.execute(_BY_HASH, {"key_hash": hash_key(key)}).one_or_none()
    return None if row is None else _info(row)


_ACTIVE = select(api_keys.c.id).where(
    api_keys.c.id == bindparam("key_id"), api_keys.c.revoked_at.is_(None)
)


def check_active(conn: Connection, key_id: int) -> None:
    """`KeyRevokedError` unless key `key_id` exists and is not revoked."""
    if conn.scalar(_ACTIVE, {"key_id": key_id}) is None:
        raise KeyRevokedError(f"API key {key_id} is revoked")


def count_keys(conn: Connection) -> int:
    """Every key ever created, revoked ones included."""
    return int((conn.execute(select(func.count()).select_from(api_keys))).scalar_one())
