"""The plain choices suites and commands share, importable with no validation machinery
(the command line's help reads them)."""

from __future__ import annotations

from enum import Enum


class Transport(str, Enum):
    """How the INVITE reaches the agent's SIP address."""

    UDP = "udp"
    TCP = "tcp"
    TLS = "tls"


PASSWORD_ENV = "AGENT_SIP_PASSWORD"
"""Where `verify --username` reads the agent's SIP password (never an option: shells log those)."""

__all__ = ["PASSWORD_ENV", "Transport"]
