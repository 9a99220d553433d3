"""The collector's pages: its runs (each run's report) and calls at `/`, behind the same API
keys as the Create Call API. No scripts, no external assets, everything escaped."""

from .routes import router

__all__ = ["router"]
