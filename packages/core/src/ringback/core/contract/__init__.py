"""The call contract: pydantic models of the Create Call API request."""

from pydantic import JsonValue

from .enums import CallStatus, CallType, DisconnectionReason, Role
from .jsonsafe import json_object, json_object_from_text, to_jsonable
from .limits import DEFAULT_LIMITS, Limits
from .models import (
    AIModels,
    CallRecord,
    GeneralMetadata,
    NodeTransition,
    Segment,
    ToolInvocation,
    UsageToken,
)

__all__ = [
    "DEFAULT_LIMITS",
    "AIModels",
    "CallRecord",
    "CallStatus",
    "CallType",
    "DisconnectionReason",
    "GeneralMetadata",
    "JsonValue",
    "Limits",
    "NodeTransition",
    "Role",
    "Segment",
    "ToolInvocation",
    "UsageToken",
    "json_object",
    "json_object_from_text",
    "to_jsonable",
]
