"""The collector's storage: SQLAlchemy 2 (async) on SQLite by default, PostgreSQL by URL."""

from .api_keys import KeyRevokedError
from .engine import database_url
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

__all__ = [
    "SCHEMA_VERSION",
    "CallSummary",
    "EvaluationSummary",
    "IngestOutcome",
    "KeyInfo",
    "KeyRevokedError",
    "NewKey",
    "NotFoundError",
    "ResultInfo",
    "ResultWithCalls",
    "RunInfo",
    "SchemaError",
    "SchemaTooNewError",
    "Store",
    "StoredCall",
    "database_url",
]
