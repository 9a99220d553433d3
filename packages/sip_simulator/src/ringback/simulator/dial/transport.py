"""`SipTransport`: a batch's calls dialled through the LiveKit SIP API."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import aiohttp
from livekit import api

from ringback.simulator.batch.outcome import CallOutcome
from ringback.simulator.batch.transport import CallObserver, Pace
from ringback.simulator.plan import PlannedCall
from ringback.simulator.suite.models import Suite

from .connection import LiveKitUnreachableError
from .dialer import Dialer, DialSettings
from .trunks import TrunkManager


class SipTransport:
    """Dials each call with `CreateSIPParticipant` over the suite's outbound trunk.

    `open` checks the dial target and finds or creates the trunk (keyed by
    `fingerprint_key`, the LiveKit API secret) before anything is dialled, raising
    `LiveKitUnreachableError` / `LiveKitAccessError` / `TrunkError`. `poll_interval_s`: how
    often a call is checked for its end.
    """

    paced = True

    def __init__(
        self, lkapi: api.LiveKitAPI, *, fingerprint_key: str, poll_interval_s: float = 2.0
    ) -> None:
        self._api = lkapi
        self._fingerprint_key = fingerprint_key
        self._poll_interval_s = poll_interval_s
        self._dialer: Dialer | None = None

    async def open(
        self, suite: Suite, observer: CallObserver, *, pace: Pace, stop: asyncio.Event
    ) -> str | None:
        # for_suite checks the dial target before anything reaches LiveKit
        settings = DialSettings.for_suite(suite, "", poll_interval_s=self._poll_interval_s)
        try:
            trunk = await TrunkManager(self._api, fingerprint_key=self._fingerprint_key).resolve(
                suite.agent
            )
        except aiohttp.ClientConnectionError as exc:
            raise LiveKitUnreachableError(
                f"could not reach the LiveKit server ({exc}); check LIVEKIT_URL"
            ) from exc
        settings = replace(settings, trunk_id=trunk.trunk_id)
        self._dialer = Dialer(self._api, settings, observer=observer, pace=pace, stop=stop)
        return trunk.trunk_id

    async def place(self, call: PlannedCall) -> CallOutcome:
        if self._dialer is None:
            raise RuntimeError("SipTransport.place before open")
        return await self._dialer.place(call)
