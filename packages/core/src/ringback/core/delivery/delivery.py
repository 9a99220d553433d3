"""`Delivery`: persist every finished call, then deliver it to every sink, never raising."""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import math
import shlex
import time
from collections.abc import Callable
from types import TracebackType

import httpx

from ringback.core.contract import CallRecord, to_jsonable
from ringback.core.settings import RingbackSettings, Sink, load_settings

from .checkpoints import LiveSnapshots, recover_orphans
from .envelope import CorruptEntry, build_envelope, entry_key
from .flusher import BackgroundFlusher, PassResult
from .locking import EntryLock
from .outbox import DEAD, PENDING, QUARANTINE, EntryRef, FileId, Outbox
from .policy import RetryPolicy, SinkHealth, Verdict
from .results import DeliveryStatus, FlushReport, SinkOutcome, SubmitResult
from .sinks import Redactor, auth_rejected, mark_auth_rejected, rejected_with, setting
from .uploader import SendResult, Sleep, Uploader

logger = logging.getLogger("ringback.delivery")

FLUSH_CONCURRENCY = 4
"""Entries of one sink sent at once by `flush`."""
_MAX_ERROR_CHARS = 300
_STOP_GRACE = 1.0
_BUSY_POLL = 0.05

_STATUS = {
    Verdict.DELIVERED: DeliveryStatus.DELIVERED,
    Verdict.ALREADY_STORED: DeliveryStatus.ALREADY_STORED,
    Verdict.RETRY: DeliveryStatus.PENDING_RETRY,
    Verdict.AUTH: DeliveryStatus.AUTH_FAILED,
    Verdict.REDIRECT: DeliveryStatus.REDIRECTED,
    Verdict.REJECT: DeliveryStatus.REJECTED,
}


class Delivery:
    """Durable delivery of finished calls to the configured sinks.

    `submit` writes the call to the outbox first, then tries every sink until its deadline;
    whatever is not delivered stays on disk for the background flusher (`start`), a later
    `flush`, or the next process. `async with Delivery(...)` starts the flusher and closes
    everything on exit. Nothing here raises into the caller.

    `policy` and `sleep` exist for tests (shorter backoff, a recording sleep). The
    constructor raises `ValueError` for an invalid sink list (duplicate names).
    """

    def __init__(
        self,
        settings: RingbackSettings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        # Without settings given: the lenient reading, so a typo in RINGBACK_* cannot cost a call
        self.settings = settings if settings is not None else load_settings()
        self.sinks: list[Sink] = self.settings.sinks()
        self.outbox = Outbox(self.settings.outbox_dir)
        self.policy = policy or RetryPolicy()
        self._clock = time.monotonic
        self._redact = Redactor(self.sinks)
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            timeout=self.settings.request_timeout,
        )
        self._uploader = Uploader(
            self._client,
            request_timeout=self.settings.request_timeout,
            policy=self.policy,
            redact=self._redact,
            sleep=sleep,
            clock=self._clock,
        )
        self._health = {s.name: SinkHealth(self.policy) for s in self.sinks}
        self._flusher = BackgroundFlusher(
            self._flusher_pass,
            self.sinks,
            self._health,
            self.policy,
            self._clock,
            housekeeping=self._housekeeping,
        )
        self._logged: set[tuple[str, ...]] = set()
        self._closed = False
        self._recovery = asyncio.Lock()

    # ── lifecycle ─────────────────────────────────────────────────────────────
    def start(self) -> None:
        """Start the background flusher (idempotent). It first sends what earlier processes
        left in the outbox, then retries pending entries with per-sink backoff."""
        if not self.settings.enabled or self._closed:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            logger.error("ringback: Delivery.start() needs a running event loop; not started")
            return
        self._flusher.start()

    async def aclose(self, *, flush_deadline: float | None = None) -> None:
        """Stop the flusher, optionally flush one last time, and close the HTTP client."""
        if self._closed:
            return
        try:
            await self._flusher.stop(grace=_STOP_GRACE)
            if flush_deadline is not None:
                await self.flush(deadline=flush_deadline)
        except Exception:
            logger.exception("ringback: error while closing delivery")
        finally:
            self._closed = True
            await self._client.aclose()

    async def __aenter__(self) -> Delivery:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # ── submit ────────────────────────────────────────────────────────────────
    async def submit(
        self, record: CallRecord, *, agent_hint: str | None = None, deadline: float | None = None
    ) -> SubmitResult:
        """Persist `record`, then try every sink for up to `deadline` seconds (default
        `settings.delivery_deadline`; 0 only persists). Never raises (cancellation aside, which
        leaves the call in the outbox); what is not delivered stays in the outbox for the
        flusher.

        `agent_hint` is the `agent_remote_identifier` to use when the sink sets no `agent_id`.
        """
        call_id = str(getattr(record, "call_id", "?"))
        try:
            return await self._submit(record, call_id, agent_hint, deadline)
        except Exception as exc:
            logger.exception("ringback: unexpected error delivering call %r", call_id)
            return SubmitResult(call_id=call_id, error=self._error_text(exc))

    async def persist(self, record: CallRecord, *, agent_hint: str | None = None) -> bool:
        """Write `record` to the outbox for every sink without sending it (a later `submit`,
        the flusher, or the next process does). True when every sink's entry is on disk.
        Never raises."""
        call_id = str(getattr(record, "call_id", "?"))
        try:
            if not self.settings.enabled:
                return False
            envelope = build_envelope(call_id, _body_bytes(record, call_id), agent_hint=agent_hint)
            stored = await asyncio.to_thread(
                self.outbox.persist, entry_key(call_id), envelope, [s.name for s in self.sinks]
            )
            self._persist_failed(call_id, stored.error)
            return len(stored.written) == len(self.sinks)
        except Exception:
            logger.exception("ringback: unexpected error saving call %r", call_id)
            return False

    async def _submit(
        self, record: CallRecord, call_id: str, agent_hint: str | None, deadline: float | None
    ) -> SubmitResult:
        if not self.settings.enabled:
            logger.debug("ringback: delivery disabled; call %r not sent", call_id)
            return SubmitResult(call_id=call_id, disabled=True)
        deadline_at = self._deadline_at(deadline)
        body = _body_bytes(record, call_id)
        key = entry_key(call_id)
        locks: dict[str, EntryLock | None] = {}
        busy: set[str] = set()
        try:
            for sink in self.sinks:
                # Lock before the entry appears, so no other sender can grab it first.
                try:
                    locks[sink.name] = self.outbox.try_lock(sink.name, key)
                except OSError:
                    locks[sink.name] = None  # the outbox is unusable; persist will say so
                    continue
                if locks[sink.name] is None:
                    busy.add(sink.name)
            envelope = build_envelope(call_id, body, agent_hint=agent_hint)
            stored = await asyncio.to_thread(
                self.outbox.persist, key, envelope, [s.name for s in self.sinks]
            )
            persist_error = self._persist_failed(call_id, stored.error)
            if self._closed:
                outcomes = [self._closed_outcome(s, call_id, stored.written) for s in self.sinks]
            else:
                outcomes = list(
                    await asyncio.gather(
                        *(
                            self._submit_sink(
                                sink,
                                call_id,
                                key,
                                body,
                                agent_hint,
                                stored.written.get(sink.name),
                                sink.name in busy,
                                deadline_at,
                            )
                            for sink in self.sinks
                        )
                    )
                )
        finally:
            for lock in locks.values():
                if lock is not None:
                    lock.release()
        for o in outcomes:
            if o.pending:
                self._flusher.wake(o.sink)
        return SubmitResult(
            call_id=call_id,
            persisted=len(stored.written) == len(self.sinks),
            persist_error=persist_error,
            outcomes=outcomes,
        )

    def _persist_failed(self, call_id: str, exc: OSError | None) -> str | None:
        if exc is None:
            return None
        code = errno.errorcode.get(exc.errno or 0, "error")
        reason = f"{code}: {exc.strerror or exc}"
        logger.error(
            "ringback: could not save call %r to the outbox at %s (%s). Free some space there "
            "or set RINGBACK_OUTBOX_DIR to a writable directory. Sending it from memory now; "
            "if that fails, this call is lost.",
            call_id,
            self.outbox.root,
            reason,
        )
        return f"outbox {self.outbox.root} not writable ({reason}); set RINGBACK_OUTBOX_DIR"

    def _closed_outcome(self, sink: Sink, call_id: str, written: dict[str, FileId]) -> SinkOutcome:
        status = (
            DeliveryStatus.PENDING_RETRY if sink.name in written else DeliveryStatus.NOT_PERSISTED
        )
        return SinkOutcome(
            sink=sink.name,
            call_id=call_id,
            status=status,
            error="Delivery is closed; not sent (left in the outbox if saved)",
        )

    async def _submit_sink(
        self,
        sink: Sink,
        call_id: str,
        key: str,
        body: bytes,
        agent_hint: str | None,
        file_id: FileId | None,
        busy: bool,
        deadline_at: float,
    ) -> SinkOutcome:
        persisted = file_id is not None
        lock: EntryLock | None = None
        try:
            if busy and persisted:
                # Another sender (our own flusher, another process) holds the entry: wait for
                # it within the deadline, then send our version or report what it did.
                lock = await self._wait_for_lock(sink.name, key, deadline_at)
                if lock is None:
                    return SinkOutcome(
                        sink=sink.name,
                        call_id=call_id,
                        status=DeliveryStatus.BUSY,
                        error="another sender holds this call's entry right now",
                    )
                taken = await asyncio.to_thread(self._taken_by_other_sender, sink.name, key)
                if taken is not None:
                    return SinkOutcome(sink=sink.name, call_id=call_id, status=taken)
            if auth_rejected(sink):
                return self._blocked_outcome(sink, call_id, persisted)
            if deadline_at <= self._clock() and persisted:
                return SinkOutcome(
                    sink=sink.name,
                    call_id=call_id,
                    status=DeliveryStatus.PENDING_RETRY,
                    error="not attempted: no time given (deadline 0); left to the flusher",
                )
            agent_id = sink.agent_id or agent_hint or "default"
            sent = await self._send(sink, body, agent_id, deadline_at, retry=True)
            return await self._settle(sink, call_id, key, file_id, sent, persisted=persisted)
        except Exception as exc:
            logger.exception("ringback: unexpected error sending call %r to %r", call_id, sink.name)
            status = DeliveryStatus.ERROR if persisted else DeliveryStatus.NOT_PERSISTED
            return SinkOutcome(
                sink=sink.name, call_id=call_id, status=status, error=self._error_text(exc)
            )
        finally:
            if lock is not None:
                lock.release()

    async def _wait_for_lock(self, sink: str, key: str, deadline_at: float) -> EntryLock | None:
        while True:
            lock = self.outbox.try_lock(sink, key)
            if lock is not None or self._clock() + _BUSY_POLL >= deadline_at:
                return lock
            await asyncio.sleep(_BUSY_POLL)

    def _taken_by_other_sender(self, sink: str, key: str) -> DeliveryStatus | None:
        """What became of a pending entry another sender handled (None: it is still pending)."""
        if self.outbox.entry_path(sink, key).exists():
            return None
        if self.outbox.entry_path(sink, key, DEAD).exists():
            return DeliveryStatus.REJECTED
        if self.outbox.entry_path(sink, key, QUARANTINE).exists():
            return DeliveryStatus.QUARANTINED
        return DeliveryStatus.DELIVERED

    # ── flush ─────────────────────────────────────────────────────────────────
    async def flush(self, *, deadline: float | None = None) -> FlushReport:
        """Send everything pending for the configured sinks (entries of earlier processes
        included), retrying each until `deadline` seconds (default
        `settings.delivery_deadline`). Never raises."""
        try:
            if not self.settings.enabled:
                return FlushReport(disabled=True)
            if self._closed:
                return FlushReport(error="Delivery is closed")
            deadline_at = self._deadline_at(deadline)
            await self.recover_interrupted()
            per_sink = await asyncio.gather(
                *(self._flush_sink(s, deadline_at=deadline_at, retry=True) for s in self.sinks)
            )
            remaining = await asyncio.to_thread(self._remaining)
            return FlushReport(outcomes=[o for r in per_sink for o in r], remaining=remaining)
        except Exception as exc:
            logger.exception("ringback: unexpected error while flushing the outbox")
            return FlushReport(error=self._error_text(exc))

    def _remaining(self) -> dict[str, int]:
        return {s.name: len(self.outbox.entries(PENDING, s.name)) for s in self.sinks}

    async def _flusher_pass(self, sink: Sink, should_stop: Callable[[], bool]) -> PassResult:
        outcomes = await self._flush_sink(
            sink, deadline_at=math.inf, retry=False, should_stop=should_stop
        )
        return PassResult(remaining=sum(o.pending for o in outcomes), blocked=auth_rejected(sink))

    async def recover_interrupted(self) -> list[str]:
        """Queue the last snapshots of calls whose process died mid-call (marked as recovered)
        for every sink; returns their call ids. Runs when the flusher starts and on `flush`."""
        # One at a time: a flush must not list pending/ while the flusher's own recovery is
        # still moving a snapshot there.
        async with self._recovery:
            return await asyncio.to_thread(
                recover_orphans, self.outbox, [s.name for s in self.sinks]
            )

    @property
    def live(self) -> LiveSnapshots:
        """Snapshots of calls in progress (see `CallRecorder`)."""
        return LiveSnapshots(self.outbox)

    async def _housekeeping(self) -> None:
        await self.recover_interrupted()
        removed = await asyncio.to_thread(self.outbox.cleanup_temp)
        if removed:
            logger.info("ringback: removed %d temp files left by interrupted writes", removed)

    async def _flush_sink(
        self,
        sink: Sink,
        *,
        deadline_at: float,
        retry: bool,
        should_stop: Callable[[], bool] | None = None,
    ) -> list[SinkOutcome]:
        refs = await asyncio.to_thread(self.outbox.entries, PENDING, sink.name)
        if not refs:
            return []
        if auth_rejected(sink):
            why = self._blocked_outcome(sink, "", persisted=True).error or ""
            return [await self._outcome_for(r, DeliveryStatus.AUTH_FAILED, why) for r in refs]
        gate = asyncio.Semaphore(FLUSH_CONCURRENCY)
        failing: list[str] = []

        async def one(ref: EntryRef) -> SinkOutcome | None:
            async with gate:
                why = None
                if failing:
                    why = f"not attempted: the sink is failing ({failing[0]})"
                elif should_stop is not None and should_stop():
                    why = "not attempted: shutting down"
                elif self._clock() + self.policy.min_attempt_time >= deadline_at:
                    why = "not attempted: deadline reached"
                if why is not None:
                    return await self._outcome_for(ref, DeliveryStatus.PENDING_RETRY, why)
                try:
                    out = await self._flush_entry(sink, ref, deadline_at, retry)
                    # Someone else is sending it (our own flusher, another process): an
                    # explicit flush waits to see how that ends, within its deadline.
                    while (
                        retry
                        and out is not None
                        and out.status is DeliveryStatus.BUSY
                        and self._clock() + _BUSY_POLL < deadline_at
                    ):
                        await asyncio.sleep(_BUSY_POLL)
                        out = await self._flush_entry(sink, ref, deadline_at, retry)
                except Exception as exc:
                    logger.exception("ringback: unexpected error sending %s", ref.path)
                    self._health[sink.name].failed(self._clock())  # don't spin on a bug
                    return await self._outcome_for(ref, DeliveryStatus.ERROR, self._error_text(exc))
                if out is not None and out.status in (
                    DeliveryStatus.PENDING_RETRY,
                    DeliveryStatus.REDIRECTED,
                ):
                    failing.append(out.error or out.status.value)
                return out

        results = await asyncio.gather(*(one(r) for r in refs))
        return [r for r in results if r is not None]

    async def _flush_entry(
        self, sink: Sink, ref: EntryRef, deadline_at: float, retry: bool
    ) -> SinkOutcome | None:
        lock = self.outbox.try_lock(sink.name, ref.key)
        if lock is None:
            return await self._outcome_for(
                ref, DeliveryStatus.BUSY, "another sender holds this entry right now"
            )
        try:
            try:
                loaded = await asyncio.to_thread(self.outbox.load, sink.name, ref.key)
            except CorruptEntry as exc:
                return await self._quarantine(sink, ref, str(exc))
            if loaded is None:
                return None  # delivered by another sender since we listed it
            env = loaded.envelope
            if auth_rejected(sink):
                return self._blocked_outcome(sink, env.call_id, persisted=True)
            agent_id = sink.agent_id or env.agent_hint or "default"
            sent = await self._send(sink, env.body, agent_id, deadline_at, retry=retry)
            return await self._settle(
                sink, env.call_id, ref.key, loaded.file_id, sent, persisted=True
            )
        finally:
            lock.release()

    async def _quarantine(self, sink: Sink, ref: EntryRef, reason: str) -> SinkOutcome:
        try:
            moved = await asyncio.to_thread(self.outbox.quarantine, sink.name, ref.key, reason)
        except OSError as exc:
            logger.error(
                "ringback: outbox entry %s is unreadable (%s) and could not be moved to "
                "quarantine (%s)",
                ref.path,
                reason,
                exc,
            )
            return SinkOutcome(
                sink=sink.name, call_id=ref.key, status=DeliveryStatus.ERROR, error=reason
            )
        logger.error(
            "ringback: outbox entry %s is corrupt or unreadable (%s); moved it to %s",
            ref.path,
            reason,
            moved,
        )
        return SinkOutcome(
            sink=sink.name, call_id=ref.key, status=DeliveryStatus.QUARANTINED, error=reason
        )

    async def _outcome_for(self, ref: EntryRef, status: DeliveryStatus, why: str) -> SinkOutcome:
        head = await asyncio.to_thread(self.outbox.header, ref)
        call_id = head["call_id"] if head else ref.key
        return SinkOutcome(sink=ref.sink, call_id=call_id, status=status, error=why)

    # ── one call, one sink ────────────────────────────────────────────────────
    async def _send(
        self, sink: Sink, body: bytes, agent_id: str, deadline_at: float, *, retry: bool
    ) -> SendResult:
        send = self._uploader.send(
            sink, body, agent_id=agent_id, deadline_at=deadline_at, retry=retry
        )
        if math.isinf(deadline_at):
            return await send
        # A safety net over the per-attempt timeouts (name resolution, a stuck stream...).
        budget = max(deadline_at - self._clock(), 0.0) + 1.0
        return await asyncio.wait_for(send, budget)

    async def _settle(
        self,
        sink: Sink,
        call_id: str,
        key: str,
        file_id: FileId | None,
        sent: SendResult,
        *,
        persisted: bool,
    ) -> SinkOutcome:
        a = sent.last
        status = _STATUS[a.verdict]
        error: str | None = None
        health = self._health[sink.name]
        where = f"sink {sink.name!r} ({sink.base_url})"
        if status in (DeliveryStatus.DELIVERED, DeliveryStatus.ALREADY_STORED):
            if persisted:
                await asyncio.to_thread(self.outbox.remove, sink.name, key, file_id)
            if health.succeeded():
                logger.info("ringback: %s accepts calls again", where)
                self._flusher.wake(sink.name)
        elif status is DeliveryStatus.AUTH_FAILED:
            error = self._auth_failed(sink, a.http_status)
        elif status is DeliveryStatus.REDIRECTED:
            health.failed(self._clock())
            error = (
                f"HTTP {a.http_status} redirect to {a.location or '(no Location)'}: "
                f"check {setting(sink, 'base_url')}"
            )
            if self._once("redirect", sink.name, str(a.location)):
                logger.error(
                    "ringback: %s answered HTTP %s redirecting to %s; a redirect is not a "
                    "delivery. Check %s (it should be the service's base URL). Calls stay in "
                    "the outbox.",
                    where,
                    a.http_status,
                    a.location or "(no Location header)",
                    setting(sink, "base_url"),
                )
        elif status is DeliveryStatus.REJECTED:
            error = f"HTTP {a.http_status}: {a.message or '(no message)'}"
            if persisted:
                info = {
                    "sink": sink.name,
                    "call_id": call_id,
                    "http_status": a.http_status,
                    "message": a.message,
                    "request_id": a.request_id,
                    "server_request_id": a.server_request_id,
                }
                dead = await asyncio.to_thread(
                    self.outbox.dead_letter, sink.name, key, file_id, info
                )
                logger.error(
                    "ringback: %s rejected call %r with HTTP %s: %s. Moved to %s; fix the cause, "
                    "then run `ringback outbox retry-dead %s`. %s",
                    where,
                    call_id,
                    a.http_status,
                    a.message or "(no message)",
                    dead or "the dead-letter folder",
                    shlex.quote(call_id),
                    a.ids,
                )
        else:
            if a.http_status is not None:
                error = f"HTTP {a.http_status}" + (f": {a.message}" if a.message else "")
            else:
                error = a.message or "no answer"
            first = health.failed(self._clock(), a.retry_after)
            (logger.warning if first else logger.info)(
                "ringback: call %r not delivered to %s yet after %d attempt(s): %s. It stays in "
                "the outbox and is retried. %s",
                call_id,
                where,
                sent.attempts,
                error,
                a.ids,
            )
        if error is not None:
            error = self._bound(error)
            if persisted and status in (
                DeliveryStatus.PENDING_RETRY,
                DeliveryStatus.AUTH_FAILED,
                DeliveryStatus.REDIRECTED,
            ):
                info = {"http_status": a.http_status, "error": error, "attempts": sent.attempts}
                await asyncio.to_thread(self.outbox.note_failure, sink.name, key, info)
        if not persisted and status not in (
            DeliveryStatus.DELIVERED,
            DeliveryStatus.ALREADY_STORED,
        ):
            status = DeliveryStatus.NOT_PERSISTED
            error = f"not saved to the outbox and not delivered: {error}"
        return SinkOutcome(
            sink=sink.name,
            call_id=call_id,
            status=status,
            http_status=a.http_status,
            attempts=sent.attempts,
            request_id=a.request_id,
            server_request_id=a.server_request_id,
            error=error,
        )

    def _auth_failed(self, sink: Sink, http_status: int | None) -> str:
        hint = self._auth_hint(sink)
        if mark_auth_rejected(sink, http_status):
            logger.error(
                "ringback: sink %r (%s) refused the API key with HTTP %s. %s. Calls stay in the "
                "outbox and are not sent to this sink again until its settings change.",
                sink.name,
                sink.base_url,
                http_status,
                hint,
            )
        return f"HTTP {http_status}: {hint}"

    def _blocked_outcome(self, sink: Sink, call_id: str, persisted: bool) -> SinkOutcome:
        status = DeliveryStatus.AUTH_FAILED if persisted else DeliveryStatus.NOT_PERSISTED
        return SinkOutcome(
            sink=sink.name,
            call_id=call_id,
            status=status,
            error=(
                f"HTTP {rejected_with(sink) or '401/403'} earlier: not sent again with the "
                f"credentials the sink refused. {self._auth_hint(sink)}"
            ),
        )

    @staticmethod
    def _auth_hint(sink: Sink) -> str:
        key = setting(sink, "api_key")
        if sink.api_key is None or not sink.api_key.get_secret_value():
            return f"No API key is set: set {key}"
        return f"Check {key} and {setting(sink, 'workspace_id')} (workspace {sink.workspace_id})"

    # ── helpers ───────────────────────────────────────────────────────────────
    def _deadline_at(self, deadline: float | None) -> float:
        seconds = self.settings.delivery_deadline if deadline is None else max(deadline, 0.0)
        return self._clock() + seconds

    def _once(self, *key: str) -> bool:
        if key in self._logged:
            return False
        self._logged.add(key)
        return True

    def _bound(self, text: str) -> str:
        text = self._redact(text)
        return text if len(text) <= _MAX_ERROR_CHARS else text[: _MAX_ERROR_CHARS - 1] + "…"

    def _error_text(self, exc: BaseException) -> str:
        return self._bound(f"internal error: {type(exc).__name__}: {exc}")


def _body_bytes(record: CallRecord, call_id: str) -> bytes:
    """The request body; a record that does not serialise (built bypassing validation) is
    sent as a JSON-safe copy rather than failing."""
    try:
        return record.to_json_bytes()
    except Exception as exc:
        logger.warning(
            "ringback: call %r did not serialise (%s); sending a JSON-safe copy",
            call_id,
            type(exc).__name__,
        )
        data = to_jsonable(record.model_dump(mode="python", by_alias=True))
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
