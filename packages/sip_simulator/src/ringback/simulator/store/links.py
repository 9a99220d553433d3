"""Repository functions that link calls and results, whichever is stored first."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, or_, select, update

from .linking import LinkedBy, LinkKeys
from .schema import calls, results
from .types import utcnow


def lock_link_keys(conn: Connection, workspace_id: int, keys: Iterable[str]) -> None:
    """Serialise linking on the same keys across PostgreSQL transactions.

    Without it, a call and its result committed at the same moment could each miss the
    other. SQLite needs nothing: its write transactions already run one at a time.
    """
    if conn.dialect.name != "postgresql":
        return
    ids = sorted({_lock_id(workspace_id, key) for key in keys if key})
    for lock_id in ids:  # sorted, so two transactions never wait on each other in a cycle
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({lock_id})")


def _lock_id(workspace_id: int, key: str) -> int:
    digest = hashlib.sha256(f"{workspace_id}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


_RESULT_BY_ID = select(results.c.id).where(
    results.c.workspace_id == bindparam("workspace_id"), results.c.id == bindparam("ref")
)
_RESULT_BY_CALL_ID = (
    select(results.c.id)
    .where(
        results.c.workspace_id == bindparam("workspace_id"),
        results.c.dialled_sip_call_id == bindparam("ref"),
    )
    .order_by(results.c.created_at.desc())
    .limit(1)
)


def find_result_for(
    conn: Connection, workspace_id: int, keys: LinkKeys
) -> tuple[str | None, LinkedBy | None]:
    """The result a new call links to, and how; (None, None) when none matches yet."""
    for ref, how in keys.refs():
        found = conn.scalar(_RESULT_BY_ID, {"workspace_id": workspace_id, "ref": ref})
        if found is not None:
            return found, how
    if keys.sip_call_id:
        params = {"workspace_id": workspace_id, "ref": keys.sip_call_id}
        found = conn.scalar(_RESULT_BY_CALL_ID, params)
        if found is not None:
            return found, LinkedBy.SIP_CALL_ID
    return None, None


def link_waiting_calls(
    conn: Connection, workspace_id: int, result_id: str, dialled_sip_call_id: str | None
) -> int:
    """Link the unlinked calls that name this result (or its dialled Call-ID); return how many.

    An unlinked call's references match no registered result (else it would be linked), so
    a Call-ID match is what the preference order allows.
    """
    matches = [calls.c.result_ref == result_id, calls.c.correlation_ref == result_id]
    if dialled_sip_call_id:
        matches.append(calls.c.sip_call_id == dialled_sip_call_id)
    rows = conn.execute(
        select(calls.c.id, calls.c.result_ref, calls.c.result_ref_source, calls.c.correlation_ref)
        .where(calls.c.workspace_id == workspace_id, calls.c.result_id.is_(None), or_(*matches))
        .order_by(calls.c.id)
    )
    now = utcnow()
    linked = 0
    for row in rows.all():
        if row.result_ref == result_id:
            how = row.result_ref_source or LinkedBy.X_RESULT_ID.value
        elif row.correlation_ref == result_id:
            how = LinkedBy.X_CORRELATION_ID.value
        else:
            how = LinkedBy.SIP_CALL_ID.value
        done = conn.execute(
            update(calls)
            .where(calls.c.id == row.id, calls.c.result_id.is_(None))
            .values(result_id=result_id, linked_by=how, linked_at=now)
        )
        linked += done.rowcount
    return linked
