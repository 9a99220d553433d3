"""Where and how `ringback-sim serve` runs unless told otherwise (a light module: the CLI's
help reads these)."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7450
"""The plugins' default base URL is http://127.0.0.1:7450."""
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
"""A one-hour call is ~0.5 MB; 8 MiB leaves room for large tool payloads."""
DEFAULT_WORKSPACE_ID = 1
