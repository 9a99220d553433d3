"""The collector's tables (SQLAlchemy Core): calls, API keys, simulation runs, their results
and their kept evaluations.

Bump `SCHEMA_VERSION` and add a step to `migrate.MIGRATIONS` whenever these change.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .types import BigId, UTCDateTime

SCHEMA_VERSION = 2
"""The schema this code creates and understands (2: evaluations in `run_evaluations`)."""

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", UTCDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index(None, "workspace_id"),
)

runs = Table(
    "simulation_runs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("workspace_id", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("meta", JSON, nullable=False),
    UniqueConstraint("workspace_id", "id"),
    Index(None, "workspace_id", "created_at"),
)

results = Table(
    "simulation_results",
    metadata,
    # The result id: what X-Result-Id / X-Correlation-Id carry (32 hex or 26 base32).
    Column("id", String(64), primary_key=True),
    Column("workspace_id", Integer, nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("scenario_id", String(200), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("dialled_sip_call_id", String(1024), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("meta", JSON, nullable=False),
    ForeignKeyConstraint(
        ["workspace_id", "run_id"], ["simulation_runs.workspace_id", "simulation_runs.id"]
    ),
    UniqueConstraint("workspace_id", "id"),
    Index(None, "workspace_id", "run_id"),
    Index(None, "workspace_id", "dialled_sip_call_id"),
)

evaluations = Table(
    "run_evaluations",
    metadata,
    # A run's kept evaluation (one per run, replaced by a re-evaluation). The summary columns
    # let the run list show pass rates without reading the body.
    Column("workspace_id", Integer, primary_key=True, autoincrement=False),
    Column("run_id", String(64), primary_key=True),
    Column("evaluated_at", UTCDateTime, nullable=False),
    Column("suite", Text, nullable=False),
    Column("total", Integer, nullable=False),
    Column("passed", Integer, nullable=False),
    Column("judge_model", Text, nullable=True),
    # The evaluation itself (`RunEvaluation` as JSON), judge verdicts and reasoning included.
    Column("body", JSON, nullable=False),
    ForeignKeyConstraint(
        ["workspace_id", "run_id"], ["simulation_runs.workspace_id", "simulation_runs.id"]
    ),
)

calls = Table(
    "calls",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", Integer, nullable=False),
    Column("agent_id", String(256), nullable=False),
    Column("call_id", String(256), nullable=False),
    # The canonical body: the normalised call as JSON with sorted keys.
    Column("body", Text, nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("call_type", String(32), nullable=False),
    Column("start_timestamp", BigInteger, nullable=False),
    Column("duration_ms", BigInteger, nullable=False),
    # `agent`, or `caller` for the simulator's own side of a simulated call.
    Column("side", String(16), nullable=False),
    Column("sip_call_id", String(1024), nullable=True),
    # X-Result-Id (or, on the caller side, general_meta_data_raw.simulation.result_id).
    Column("result_ref", String(256), nullable=True),
    Column("result_ref_source", String(32), nullable=True),
    # X-Correlation-Id.
    Column("correlation_ref", String(256), nullable=True),
    # The linked simulation result; NULL for production traffic (or not yet linked).
    Column("result_id", String(64), nullable=True),
    Column("linked_by", String(32), nullable=True),
    Column("linked_at", UTCDateTime, nullable=True),
    Column("api_key_id", Integer, ForeignKey("api_keys.id"), nullable=True),
    Column("request_id", String(128), nullable=True),
    # What the normaliser changed to reach the canonical shape.
    Column("notes", JSON, nullable=False),
    UniqueConstraint("workspace_id", "agent_id", "call_id"),
    ForeignKeyConstraint(
        ["workspace_id", "result_id"],
        ["simulation_results.workspace_id", "simulation_results.id"],
    ),
    Index(None, "workspace_id", "id"),
    Index(None, "workspace_id", "result_id"),
    Index(None, "workspace_id", "sip_call_id"),
    Index(None, "workspace_id", "result_ref"),
    Index(None, "workspace_id", "correlation_ref"),
)
