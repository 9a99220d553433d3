"""`Store`: the collector's database, opened once and shared by the server, CLI and simulator."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

from . import api_keys, calls, simulation
from .backends import Backend, ServerBackend, SQLiteBackend, Work
from .engine import (
    create_server_engine,
    create_sqlite_engine,
    database_url,
    describe,
    is_sqlite,
)
from .incoming import PreparedCall
from .location import default_database_url
from .migrate import prepare_schema
from .views import (
    CallSummary,
    EvaluationSummary,
    IngestOutcome,
    KeyInfo,
    NewKey,
    ResultInfo,
    ResultWithCalls,
    RunInfo,
    StoredCall,
)

T = TypeVar("T")


class Store:
    """Calls, API keys, simulation runs and results in one database.

    `await Store.open(url)` (or `async with await Store.open(url) as store:`) creates or
    upgrades the schema. Every method is one transaction. Results are scoped by workspace:
    nothing here returns another workspace's data. `read` / `write` run your own SQLAlchemy
    Core code (a sync function taking a `Connection`) in a transaction.
    """

    def __init__(self, backend: Backend, url: str, schema_version: int) -> None:
        self.backend = backend
        self.url = url
        self.schema_version = schema_version

    @classmethod
    async def open(cls, url: str | None = None) -> Store:
        """Open the database at `url` (default: the per-user SQLite file), creating or
        upgrading its schema; raises `migrate.SchemaError` for one it cannot use."""
        resolved = database_url(url or default_database_url())
        backend: Backend
        if is_sqlite(resolved):
            backend = SQLiteBackend(create_sqlite_engine(resolved))
        else:
            backend = ServerBackend(create_server_engine(resolved))
        try:
            version = await prepare_schema(backend)
        except BaseException:
            await backend.close()
            raise
        return cls(backend, resolved, version)

    @property
    def description(self) -> str:
        """The database URL without any password."""
        return describe(self.url)

    async def close(self) -> None:
        await self.backend.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ── transactions ──────────────────────────────────────────────────────────
    async def write(self, work: Work[T], *args: Any) -> T:
        """Run `work(conn, *args)` in a write transaction (committed unless it raises)."""
        return await self.backend.run(work, *args, write=True)

    async def read(self, work: Work[T], *args: Any) -> T:
        """Run `work(conn, *args)` in a read-only transaction."""
        return await self.backend.run(work, *args, write=False)

    # ── API keys ──────────────────────────────────────────────────────────────
    async def create_key(self, workspace_id: int, name: str = "") -> NewKey:
        return await self.write(api_keys.create_key, workspace_id, name)

    async def list_keys(self, workspace_id: int | None = None) -> list[KeyInfo]:
        return await self.read(api_keys.list_keys, workspace_id)

    async def revoke_key(self, key_id: int) -> KeyInfo | None:
        return await self.write(api_keys.revoke_key, key_id)

    async def find_key(self, key: str) -> KeyInfo | None:
        return await self.read(api_keys.find_key, key)

    async def count_keys(self) -> int:
        return await self.read(api_keys.count_keys)

    # ── calls ─────────────────────────────────────────────────────────────────
    async def ingest_call(
        self,
        workspace_id: int,
        agent_id: str,
        call: PreparedCall,
        *,
        api_key_id: int | None = None,
        request_id: str | None = None,
    ) -> IngestOutcome:
        """Store a prepared call idempotently and link it (see `calls.ingest_call`)."""
        args = (workspace_id, agent_id, call, api_key_id, request_id)
        try:
            return await self.write(calls.ingest_call, *args)
        except IntegrityError:
            # Another transaction stored the same call id first (PostgreSQL); compare with it.
            return await self.write(calls.ingest_call, *args)

    async def get_call(self, workspace_id: int, id: int) -> StoredCall | None:
        return await self.read(calls.get_call, workspace_id, id)

    async def find_call(self, workspace_id: int, agent_id: str, call_id: str) -> StoredCall | None:
        return await self.read(calls.find_call, workspace_id, agent_id, call_id)

    async def calls_with_id(self, workspace_id: int, call_id: str) -> list[StoredCall]:
        """Every call with this client-side `call_id`, whichever agent synced it."""
        return await self.read(calls.calls_with_id, workspace_id, call_id)

    async def list_calls(
        self,
        workspace_id: int,
        *,
        linked: bool | None = None,
        side: str | None = None,
        agent_id: str | None = None,
        limit: int = 100,
        before_id: int | None = None,
    ) -> list[CallSummary]:
        """Newest first. `linked=False, side="agent"` lists production traffic."""
        return await self.read(
            calls.list_calls, workspace_id, linked, side, agent_id, limit, before_id
        )

    async def count_calls(self, workspace_id: int, *, agent_id: str | None = None) -> int:
        return await self.read(calls.count_calls, workspace_id, agent_id)

    # ── simulation runs and results ───────────────────────────────────────────
    async def create_run(
        self,
        workspace_id: int,
        *,
        run_id: str | None = None,
        name: str = "",
        metadata: Mapping[str, Any] | None = None,
    ) -> RunInfo:
        """A new simulation run (a fresh 32-hex id unless `run_id` is given)."""
        try:
            return await self.write(simulation.create_run, workspace_id, run_id, name, metadata)
        except IntegrityError:
            raise ValueError(f"run id {run_id!r} is already used") from None

    async def finish_run(self, workspace_id: int, run_id: str) -> RunInfo:
        return await self.write(simulation.finish_run, workspace_id, run_id)

    async def update_run_meta(
        self, workspace_id: int, run_id: str, patch: Mapping[str, Any]
    ) -> RunInfo:
        """Set top-level keys of a run's metadata."""
        return await self.write(simulation.update_run_meta, workspace_id, run_id, patch)

    async def get_run(self, workspace_id: int, run_id: str) -> RunInfo | None:
        return await self.read(simulation.get_run, workspace_id, run_id)

    async def list_runs(self, workspace_id: int, limit: int = 100) -> list[RunInfo]:
        """The newest runs, each with its evaluation's summary (never the body)."""
        return await self.read(simulation.list_runs, workspace_id, limit)

    async def save_evaluation(
        self,
        workspace_id: int,
        run_id: str,
        body: Mapping[str, Any],
        *,
        total: int,
        passed: int,
        evaluated_at: datetime,
        suite: str = "",
        judge_model: str | None = None,
    ) -> EvaluationSummary:
        """Keep `body` (JSON) as the run's evaluation, replacing an earlier one;
        `NotFoundError` for an unknown run."""
        summary = EvaluationSummary(
            evaluated_at=evaluated_at,
            suite=suite,
            total=total,
            passed=passed,
            judge_model=judge_model,
        )
        args = (workspace_id, run_id, body, summary)
        try:
            await self.write(simulation.save_evaluation, *args)
        except IntegrityError:
            # A concurrent save inserted first (PostgreSQL); replace it.
            await self.write(simulation.save_evaluation, *args)
        return summary

    async def get_evaluation(
        self, workspace_id: int, run_id: str
    ) -> tuple[EvaluationSummary, dict[str, Any]] | None:
        """The run's kept evaluation (summary and body), or None."""
        return await self.read(simulation.get_evaluation, workspace_id, run_id)

    async def register_result(
        self,
        workspace_id: int,
        run_id: str,
        result_id: str,
        *,
        scenario_id: str,
        attempt: int = 0,
        dialled_sip_call_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> ResultInfo:
        """Record one planned call of a run; calls that already arrived for it link now."""
        try:
            return await self.write(
                simulation.register_result,
                workspace_id,
                run_id,
                result_id,
                scenario_id,
                attempt,
                dialled_sip_call_id,
                metadata,
            )
        except IntegrityError:
            raise ValueError(f"result id {result_id!r} is already registered") from None

    async def set_dialled_call_id(
        self, workspace_id: int, result_id: str, sip_call_id: str
    ) -> ResultInfo:
        """Record the Call-ID dialled for a result; calls carrying it link now."""
        return await self.write(
            simulation.set_dialled_call_id, workspace_id, result_id, sip_call_id
        )

    async def get_result(self, workspace_id: int, result_id: str) -> ResultWithCalls | None:
        """A result with its agent-side and caller-side calls."""
        return await self.read(simulation.get_result, workspace_id, result_id)

    async def list_results(self, workspace_id: int, run_id: str) -> list[ResultWithCalls]:
        """Every result of a run with its linked calls, bodies included."""
        return await self.read(simulation.list_results, workspace_id, run_id)

    async def agent_linked_results(self, workspace_id: int, run_id: str) -> set[str]:
        """The ids of the run's results whose agent side is linked (reads no bodies)."""
        return await self.read(simulation.agent_linked_results, workspace_id, run_id)

    async def caller_linked_results(self, workspace_id: int, run_id: str) -> set[str]:
        """The ids of the run's results whose simulated caller's side is linked."""
        return await self.read(simulation.caller_linked_results, workspace_id, run_id)
