"""Where the store lives when no database URL is given: one SQLite file per user."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_path


def default_database_path() -> Path:
    """The SQLite file used when no database URL is given."""
    return user_data_path("ringback") / "collector.sqlite3"


def default_database_url() -> str:
    return f"sqlite:///{default_database_path()}"
