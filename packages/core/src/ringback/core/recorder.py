"""`CallRecorder`: one call's Timeline, correlation and options, and the single path from a
finished call to the outbox and the backend that both framework integrations share."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import uuid
from collections.abc import Mapping

from ringback.core.contract import CallRecord, DisconnectionReason
from ringback.core.correlation import Correlation
from ringback.core.delivery import Delivery, SubmitResult
from ringback.core.delivery.envelope import build_envelope, entry_key
from ringback.core.delivery.locking import EntryLock
from ringback.core.ending import default_call_type
from ringback.core.options import CallOptions, IntegrationOptions, RecordingUrlResolver
from ringback.core.settings import RingbackSettings, load_settings
from ringback.core.timeline import CallClock, Timeline

__all__ = ["RECORDING_URL_TIMEOUT", "CallOptions", "CallRecorder", "RecordingUrlResolver"]

logger = logging.getLogger("ringback.recorder")

RECORDING_URL_TIMEOUT = 2.0
"""Seconds a recording URL resolver may take before the call is sent without one."""


class CallRecorder:
    """Records one call and delivers it once it ends.

    Integrations feed `timeline` and `note_correlation`, then call `finish` exactly when the
    call ends; calling it again is harmless and returns the first result. Explicit correlation
    values (`sip_call_id=`, `sip_headers=`) always beat what is read from the call. Nothing
    here raises into the agent.
    """

    def __init__(
        self,
        *,
        settings: RingbackSettings | None = None,
        options: CallOptions | None = None,
        agent_hint: str | None = None,
        sip_call_id: str | None = None,
        sip_headers: Mapping[str, str] | None = None,
        clock: CallClock | None = None,
        delivery: Delivery | None = None,
    ) -> None:
        self.settings = settings if settings is not None else load_settings()
        self.options = options or CallOptions()
        self.agent_hint = agent_hint
        self.call_id = self.options.call_id or uuid.uuid4().hex
        self.timeline = Timeline(clock=clock)
        self._extracted = Correlation()
        self._explicit = {"sip_call_id": sip_call_id, "sip_headers": sip_headers}
        self._delivery = delivery
        self._owns_delivery = delivery is None
        self._finished: asyncio.Future[SubmitResult] | None = None
        self._record: CallRecord | None = None
        self._live_lock: EntryLock | None = None
        self._snapshots: asyncio.Task[None] | None = None
        self._snapshot_revision = -1
        self._sip_participant = False

    @classmethod
    def from_options(
        cls,
        options: IntegrationOptions,
        *,
        settings: RingbackSettings | None = None,
        agent_hint: str | None = None,
    ) -> CallRecorder:
        """The recorder of one call from an integration's keywords: `settings` (default:
        `options.load_settings()`), the lenient `CallOptions`, the explicit correlation, the
        clock and the shared delivery, if any."""
        return cls(
            settings=settings if settings is not None else options.load_settings(),
            options=options.call_options(),
            agent_hint=agent_hint,
            sip_call_id=options.sip_call_id,
            sip_headers=options.sip_headers,
            clock=options.clock,
            delivery=options.delivery,
        )

    # ── correlation ───────────────────────────────────────────────────────────
    def note_correlation(self, correlation: Correlation) -> None:
        """Merge a (possibly later, more complete) reading of the call's correlation."""
        self._extracted = self._extracted.merged(correlation)

    def note_sip_participant(self) -> None:
        """A SIP participant took part: the call is a phone call unless `call_type` was given."""
        self._sip_participant = True

    @property
    def correlation(self) -> Correlation:
        """What is known so far, explicit values winning."""
        if not any(self._explicit.values()):
            return self._extracted
        return self._extracted.with_explicit(**self._explicit)  # type: ignore[arg-type]

    # ── delivery ──────────────────────────────────────────────────────────────
    @property
    def delivery(self) -> Delivery:
        if self._delivery is None:
            self._delivery = Delivery(self.settings)
        return self._delivery

    def start(self) -> None:
        """Start sending what earlier processes left in the outbox, and snapshotting this
        call every `settings.checkpoint_interval` seconds so that a process that dies
        mid-call loses nothing. Call it from a running event loop."""
        try:
            self.delivery.start()
            if self.settings.enabled and self.settings.checkpoint_interval > 0:
                self._live_lock = self.delivery.live.claim(entry_key(self.call_id))
                if self._live_lock is not None:
                    self._snapshots = asyncio.ensure_future(self._snapshot_loop())
        except Exception:
            logger.exception("ringback: could not start recording call %r", self.call_id)

    async def checkpoint(self) -> None:
        """Write a snapshot of the call so far (when it changed since the last one)."""
        if self._live_lock is None or self.timeline.revision == self._snapshot_revision:
            return
        self._snapshot_revision = self.timeline.revision
        try:
            record = self._build(disconnection_reason=None, recording_url=None)
            data = build_envelope(self.call_id, record.to_json_bytes(), agent_hint=self.agent_hint)
            await asyncio.to_thread(self.delivery.live.write, entry_key(self.call_id), data)
        except Exception:
            logger.exception("ringback: could not snapshot call %r", self.call_id)

    async def _snapshot_loop(self) -> None:
        while True:
            await self.checkpoint()
            await asyncio.sleep(self.settings.checkpoint_interval)

    async def _stop_snapshots(self, *, keep: bool) -> None:
        """Stop snapshotting; drop the snapshot unless `keep` (the call is not on disk yet)."""
        task, self._snapshots = self._snapshots, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        lock, self._live_lock = self._live_lock, None
        if lock is not None:
            if not keep:
                await asyncio.to_thread(self.delivery.live.drop, entry_key(self.call_id))
            lock.release()

    @property
    def record(self) -> CallRecord | None:
        """The built call, once `finish` has built it."""
        return self._record

    async def finish(
        self,
        *,
        disconnection_reason: DisconnectionReason | str | None = None,
        end_ms: float | None = None,
        deadline: float | None = None,
    ) -> SubmitResult:
        """End the call, build it, persist it and deliver it within `deadline` seconds.

        The first call does the work; later calls wait for and return the same result.
        Never raises (cancellation aside: the call is on disk before the first network
        attempt).
        """
        if self._finished is None:
            self.timeline.mark_end(end_ms)
            self._finished = asyncio.ensure_future(self._finish(disconnection_reason, deadline))
        return await asyncio.shield(self._finished)

    async def _finish(
        self, reason: DisconnectionReason | str | None, deadline: float | None
    ) -> SubmitResult:
        persisted = False
        try:
            try:
                record = self.build(disconnection_reason=reason)
            except Exception as exc:
                logger.exception("ringback: could not build call %r", self.call_id)
                return SubmitResult(
                    call_id=self.call_id, error=f"build failed: {type(exc).__name__}"
                )
            # On disk before anything that can take time (a recording URL, the network).
            persisted = await self.delivery.persist(record, agent_hint=self.agent_hint)
            await self._stop_snapshots(keep=not persisted)
            url = await self._recording_url()
            if url is not None:
                record = self.build(disconnection_reason=reason, recording_url=url)
            return await self.delivery.submit(record, agent_hint=self.agent_hint, deadline=deadline)
        finally:
            await self._stop_snapshots(keep=not persisted)
            if self._owns_delivery:
                await self.delivery.aclose()

    def build(
        self,
        *,
        disconnection_reason: DisconnectionReason | str | None = None,
        recording_url: str | None = None,
    ) -> CallRecord:
        """Build the call's `CallRecord` from what was recorded so far (its correlation warnings
        are logged the first time)."""
        if self._record is None:
            for warning in self.correlation.warnings:
                logger.warning("ringback: call %s: %s", self.call_id, warning)
        self._record = self._build(
            disconnection_reason=disconnection_reason, recording_url=recording_url
        )
        return self._record

    def _build(
        self, *, disconnection_reason: DisconnectionReason | str | None, recording_url: str | None
    ) -> CallRecord:
        options = self.options
        correlation = self.correlation
        call_type = options.call_type
        if call_type is None:
            call_type = default_call_type(correlation, sip_participant=self._sip_participant)
        return self.timeline.build(
            call_id=self.call_id,
            call_type=call_type,
            disconnection_reason=disconnection_reason,
            correlation=correlation,
            recording_url=recording_url,
            agent_version=options.agent_version,
            cost_calculator=options.cost_calculator,
            metadata=options.metadata,
        )

    async def _recording_url(self) -> str | None:
        source = self.options.recording_url
        if source is None or isinstance(source, str):
            return source
        try:
            value = source()
            if inspect.isawaitable(value):
                value = await asyncio.wait_for(value, RECORDING_URL_TIMEOUT)
        except Exception:
            logger.exception("ringback: the recording URL resolver failed; sending without one")
            return None
        return value if isinstance(value, str) and value else None
