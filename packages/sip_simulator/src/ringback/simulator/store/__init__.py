"""The one store of calls, API keys, simulation runs, results and evaluations.

SQLAlchemy 2 (async) on SQLite by default, PostgreSQL by URL. The collector's ingest, linking,
the batch runner, evaluation, reports, `verify` and the pages all go through `Store`; no other
module touches its tables. Names are imported lazily: the CLI's help loads no database code.

- `Store`: open it once (`await Store.open(url)`), share it; every method is one transaction.
- `PreparedCall`: what `Store.ingest_call` accepts (the collector's `prepare_call` makes one).
- `linking`: how a call finds its result (`LinkedBy`), and which side of the call it is
  (`caller_side_metadata` marks the simulator's own recording).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ringback.core.lazy import lazy_exports

if TYPE_CHECKING:
    from .api_keys import KeyRevokedError
    from .engine import (
        DatabaseError,
        DatabaseUnavailable,
        DriverMissingError,
        check_driver,
        database_url,
        describe,
        hide_password,
        is_sqlite,
        sqlite_path,
    )
    from .incoming import PreparedCall
    from .linking import (
        AGENT_SIDE,
        CALLER_SIDE,
        SIDE_KEY,
        SIMULATION_KEY,
        LinkedBy,
        LinkKeys,
        caller_side_metadata,
    )
    from .location import default_database_path, default_database_url
    from .migrate import SchemaError, SchemaTooNewError
    from .schema import SCHEMA_VERSION
    from .simulation import NotFoundError
    from .store import Store
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

__getattr__ = lazy_exports(
    __name__,
    {
        "KeyRevokedError": ".api_keys",
        "DatabaseError": ".engine",
        "DatabaseUnavailable": ".engine",
        "DriverMissingError": ".engine",
        "check_driver": ".engine",
        "database_url": ".engine",
        "describe": ".engine",
        "hide_password": ".engine",
        "is_sqlite": ".engine",
        "sqlite_path": ".engine",
        "default_database_path": ".location",
        "default_database_url": ".location",
        "PreparedCall": ".incoming",
        "AGENT_SIDE": ".linking",
        "CALLER_SIDE": ".linking",
        "SIDE_KEY": ".linking",
        "SIMULATION_KEY": ".linking",
        "LinkedBy": ".linking",
        "LinkKeys": ".linking",
        "caller_side_metadata": ".linking",
        "SchemaError": ".migrate",
        "SchemaTooNewError": ".migrate",
        "SCHEMA_VERSION": ".schema",
        "NotFoundError": ".simulation",
        "Store": ".store",
        "CallSummary": ".views",
        "EvaluationSummary": ".views",
        "IngestOutcome": ".views",
        "KeyInfo": ".views",
        "NewKey": ".views",
        "ResultInfo": ".views",
        "ResultWithCalls": ".views",
        "RunInfo": ".views",
        "StoredCall": ".views",
    },
)

__all__ = [
    "AGENT_SIDE",
    "CALLER_SIDE",
    "SCHEMA_VERSION",
    "SIDE_KEY",
    "SIMULATION_KEY",
    "CallSummary",
    "DatabaseError",
    "DatabaseUnavailable",
    "DriverMissingError",
    "EvaluationSummary",
    "IngestOutcome",
    "KeyInfo",
    "KeyRevokedError",
    "LinkKeys",
    "LinkedBy",
    "NewKey",
    "NotFoundError",
    "PreparedCall",
    "ResultInfo",
    "ResultWithCalls",
    "RunInfo",
    "SchemaError",
    "SchemaTooNewError",
    "Store",
    "StoredCall",
    "caller_side_metadata",
    "check_driver",
    "database_url",
    "default_database_path",
    "default_database_url",
    "describe",
    "hide_password",
    "is_sqlite",
    "sqlite_path",
]
