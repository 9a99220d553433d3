"""The pages as HTML: the run and call list, a run (its report, or its results before it is
evaluated), one call, login and errors. Built from the report's own pieces
(`reports.html`, `reports.svg`) so a run's page and its report file never drift; every value
from the store goes through `escape`."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from html import escape
from typing import Any
from urllib.parse import quote

from ringback.core.secrets import MASK, is_secret_name, masked
from ringback.simulator.evaluate import RunEvaluation
from ringback.simulator.reports.format import percent
from ringback.simulator.reports.html import (
    document,
    render_html,
    timeline_section,
    usage_table,
)
from ringback.simulator.reports.models import CallBodies, timeline
from ringback.simulator.reports.speakers import Speakers
from ringback.simulator.reports.svg import turn_latency_chart
from ringback.simulator.store import CallSummary, ResultWithCalls, RunInfo, StoredCall
from ringback.simulator.store.linking import CALLER_SIDE

from .session import Viewer

TITLE = "Ringback collector"
REPORT_COMMAND = "ringback-sim report {run_id} --suite SUITE.yaml"
REEVALUATE_COMMAND = REPORT_COMMAND + " --re-evaluate"
_NAV_STYLE = (
    "display:flex;gap:1rem;align-items:center;border-bottom:1px solid #e5e7eb;padding-bottom:.5rem"
)


# ── small pieces ──────────────────────────────────────────────────────────────
def _link(href: str, text: str) -> str:
    """`<a>` to a collector path; `text` must already be safe HTML."""
    return f'<a href="{escape(href)}">{text}</a>'


def run_href(viewer: Viewer, run_id: str) -> str:
    return viewer.href("/runs/" + quote(run_id, safe=""))


def call_href(viewer: Viewer, id: int) -> str:
    return viewer.href(f"/calls/{id}")


def _when(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _epoch(seconds: int) -> str:
    """A Unix time in seconds; a value that is not one (milliseconds...) is shown as stored."""
    try:
        return _when(datetime.fromtimestamp(seconds, timezone.utc))
    except (OverflowError, ValueError, OSError):
        return f'{seconds} <span class="muted">(not a time in seconds)</span>'


def _duration(ms: int) -> str:
    return f"{ms / 1000:.1f} s"


def _code(value: Any) -> str:
    return "-" if value is None or value == "" else f"<code>{escape(str(value))}</code>"


def _capped(limit: int, more: bool, what: str) -> str:
    if more:
        return f"<p class=muted>Showing the newest {limit} {what}; older ones are not listed.</p>"
    return f"<p class=muted>The newest {limit} {what} at most are listed.</p>"


def nav(viewer: Viewer) -> str:
    """The bar on top of every signed-in page: home, workspace, log out."""
    if viewer.via == "cookie":
        end = (
            '<form method="post" action="/logout" style="margin:0 0 0 auto">'
            '<button type="submit" id="logout">Log out</button></form>'
        )
    elif viewer.via == "open":
        end = '<span class="muted" style="margin-left:auto">auth is off (--no-auth)</span>'
    else:
        end = ""
    return (
        f'<nav class="collector" style="{_NAV_STYLE}">'
        f"{_link(viewer.href('/'), '<strong>' + TITLE + '</strong>')}"
        f'<span class="muted" id="workspace">workspace {viewer.workspace_id}</span>{end}</nav>'
    )


def _page(viewer: Viewer, title: str, body: str) -> str:
    return document(title, nav(viewer) + body)


# ── the list ──────────────────────────────────────────────────────────────────
def _run_row(viewer: Viewer, run: RunInfo) -> str:
    evaluation = run.evaluation
    suite = evaluation.suite if evaluation is not None and evaluation.suite else run.name
    if evaluation is None:
        rate = '<span class="muted">not evaluated</span>'
    else:
        rate = f"{percent(evaluation.pass_rate)} ({evaluation.passed}/{evaluation.total})"
    finished = _when(run.finished_at) if run.finished_at else '<span class="skip">running</span>'
    return (
        f"<tr><td>{_link(run_href(viewer, run.id), _code(run.id))}</td>"
        f"<td>{escape(suite) or '-'}</td><td>{_when(run.created_at)}</td><td>{finished}</td>"
        f"<td>{rate}</td></tr>"
    )


def _call_row(viewer: Viewer, call: CallSummary) -> str:
    return (
        f"<tr><td>{escape(call.agent_id)}</td>"
        f"<td>{_link(call_href(viewer, call.id), _code(call.call_id))}</td>"
        f"<td>{_when(call.received_at)}</td><td>{_duration(call.duration_ms)}</td>"
        f"<td>{_code(call.sip_call_id)}</td></tr>"
    )


def index_page(
    viewer: Viewer, runs: Sequence[RunInfo], calls: Sequence[CallSummary], limit: int
) -> str:
    """The workspace's runs and production calls, newest first; `runs` and `calls` may hold
    one more than `limit` (which says that older ones exist)."""
    if runs:
        rows = "".join(_run_row(viewer, r) for r in runs[:limit])
        run_list = (
            '<table id="runs"><tr><th>Run</th><th>Suite</th><th>Created</th><th>Finished</th>'
            f"<th>Pass rate</th></tr>{rows}</table>" + _capped(limit, len(runs) > limit, "runs")
        )
    else:
        run_list = (
            "<p class=muted>No simulation runs yet: start one with "
            "<code>ringback-sim run SUITE.yaml</code>.</p>"
        )
    if calls:
        rows = "".join(_call_row(viewer, c) for c in calls[:limit])
        call_list = (
            '<table id="production-calls"><tr><th>Agent</th><th>Call id</th><th>Received</th>'
            f"<th>Duration</th><th>SIP Call-ID</th></tr>{rows}</table>"
            + _capped(limit, len(calls) > limit, "calls")
        )
    else:
        call_list = "<p class=muted>No production calls yet.</p>"
    return _page(
        viewer,
        TITLE,
        f"<h1>{TITLE}</h1><h2>Simulation runs</h2>{run_list}"
        "<h2>Production calls</h2><p class=muted>Calls your agents synced that are not linked "
        f"to a simulation.</p>{call_list}",
    )


# ── a run ─────────────────────────────────────────────────────────────────────
def _side(viewer: Viewer, calls: Sequence[StoredCall]) -> str:
    if not calls:
        return '<span class="fail">not linked</span>'
    call = calls[-1]
    earlier = f" (and {len(calls) - 1} earlier)" if len(calls) > 1 else ""
    return (
        f"{_link(call_href(viewer, call.id), f'call #{call.id}')} "
        f'<span class="pass">linked</span> by {escape(call.linked_by or "?")}{earlier}'
    )


def results_table(viewer: Viewer, results: Sequence[ResultWithCalls]) -> str:
    """Each planned call of a run with its link status: agent side, caller side, by what."""
    if not results:
        return "<p class=muted>No calls are registered for this run yet.</p>"
    rows = "".join(
        f"<tr><td><strong>{escape(r.result.scenario_id)}[{r.result.attempt}]</strong></td>"
        f"<td>{_code(r.result.id)}</td><td>{_side(viewer, r.agent_calls)}</td>"
        f"<td>{_side(viewer, r.caller_calls)}</td>"
        f"<td>{_code(r.result.dialled_sip_call_id)}</td></tr>"
        for r in results
    )
    return (
        '<table id="results"><tr><th>Call</th><th>Result</th><th>Agent side</th>'
        f"<th>Caller side</th><th>Dialled SIP Call-ID</th></tr>{rows}</table>"
    )


def _bodies(results: Sequence[ResultWithCalls]) -> dict[str, CallBodies]:
    """Each result's latest agent-side and caller-side bodies, for the report."""
    return {
        r.result.id: CallBodies(
            agent=r.agent_call.body if r.agent_call is not None else None,
            caller=r.caller_call.body if r.caller_call is not None else None,
        )
        for r in results
    }


def _relinked(evaluation: RunEvaluation, results: Sequence[ResultWithCalls]) -> list[str]:
    """The evaluated calls whose agent side's link in the store differs from the verdict."""
    linked_now = {r.result.id: r.agent_call is not None for r in results}
    changed = []
    for call in evaluation.calls:
        now = linked_now.get(call.result_id or "")
        if now is None or now == call.linked:
            continue
        was = "counted unlinked, its agent side has arrived since"
        if not now:
            was = "counted linked, its agent side is no longer linked"
        changed.append(f"<strong>{escape(call.scenario_id)}[{call.attempt}]</strong> ({was})")
    return changed


def _evaluation_state(
    run: RunInfo, evaluation: RunEvaluation, results: Sequence[ResultWithCalls]
) -> str:
    """When the run was evaluated, and whether the stored links have moved on since."""
    summary = run.evaluation
    when = "-" if summary is None else summary.evaluated_at.strftime("%Y-%m-%d %H:%M UTC")
    judged = ""
    if summary is not None and summary.judge_model:
        judged = f"; expectations judged by {_code(summary.judge_model)}"
    state = f'<p id="evaluated">Evaluated {when}{judged}.</p>'
    changed = _relinked(evaluation, results)
    if changed:
        command = REEVALUATE_COMMAND.format(run_id=shlex.quote(run.id))
        many = len(changed) > 1
        state += (
            f'<div id="relinked"><p><span class="skip">Out of date:</span> {len(changed)} '
            f"call{'s' if many else ''} {'are' if many else 'is'} linked differently in the "
            f"store now than when this report was made: {', '.join(changed)}. Re-evaluate "
            f"the run to update the report:</p><pre><code>{escape(command)}</code></pre></div>"
        )
    return f'<section class="collector">{state}</section>'


def run_page(
    viewer: Viewer,
    run: RunInfo,
    results: Sequence[ResultWithCalls],
    evaluation: RunEvaluation | None,
) -> str:
    """The run's report when it has a kept evaluation (the report file's HTML, framed by the
    navigation, when it was evaluated and the stored calls' links), else its results and
    how to evaluate it."""
    stored = f'<section class="collector"><h2>Stored calls</h2>{results_table(viewer, results)}'
    if evaluation is not None:
        return render_html(
            evaluation,
            _bodies(results),
            header=nav(viewer) + _evaluation_state(run, evaluation, results),
            footer=stored + "</section>",
        )
    state = (
        f"finished {_when(run.finished_at)}"
        if run.finished_at
        else '<span class="skip">in progress</span> (not finished)'
    )
    command = REPORT_COMMAND.format(run_id=shlex.quote(run.id))
    return _page(
        viewer,
        f"Ringback run {run.id}",
        f'<h1>Ringback run <code id="run-id">{escape(run.id)}</code></h1>'
        f"<p>Suite {escape(run.name) or '-'}; created {_when(run.created_at)}, {state}.</p>"
        '<p id="not-evaluated"><span class="skip">Not evaluated yet.</span> Evaluate it and '
        "write its reports (this page then shows the report) with:</p>"
        f"<pre><code>{escape(command)}</code></pre>"
        f"<h2>Calls</h2>{results_table(viewer, results)}",
    )


# ── a call ────────────────────────────────────────────────────────────────────
def _row(name: str, value: str) -> str:
    return f"<tr><th>{name}</th><td>{value}</td></tr>"


def _linked(viewer: Viewer, call: StoredCall, linked: ResultWithCalls | None) -> str:
    if call.result_id is None or linked is None:
        if call.side == CALLER_SIDE:
            return '<span class="muted">not linked to a simulation result</span>'
        return '<span class="muted">production call: not linked to a simulation</span>'
    result = linked.result
    return (
        f"result {_code(result.id)} ({escape(result.scenario_id)}[{result.attempt}]) of run "
        f"{_link(run_href(viewer, result.run_id), _code(result.run_id))}, linked by "
        f"{escape(call.linked_by or '?')} at {_when(call.linked_at)}"
    )


def _other_sides(viewer: Viewer, call: StoredCall, linked: ResultWithCalls | None) -> str:
    if linked is None:
        return "-"
    others = [c for c in (*linked.agent_calls, *linked.caller_calls) if c.id != call.id]
    if not others:
        return "-"
    return ", ".join(
        f"{_link(call_href(viewer, c.id), f'call #{c.id}')} ({escape(c.side)} side)" for c in others
    )


def _with_headers_masked(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """`body` as shown: its `sip_headers` with secret-looking values masked."""
    headers = body.get("sip_headers")
    if not isinstance(headers, Mapping):
        return body
    return {**body, "sip_headers": masked({str(k): str(v) for k, v in headers.items()})}


def _headers(body: Mapping[str, Any]) -> str:
    headers = body.get("sip_headers")
    if not isinstance(headers, Mapping) or not headers:
        return "-"
    return "<br>".join(
        f"<code>{escape(str(k))}: {escape(MASK if is_secret_name(str(k)) else str(v))}</code>"
        for k, v in sorted(headers.items())
    )


def _models(body: Mapping[str, Any]) -> str:
    meta = body.get("general_meta_data_raw")
    models = meta.get("ai_models") if isinstance(meta, Mapping) else None
    if not isinstance(models, Mapping):
        return "-"
    shown = [f"{escape(str(k))}: {escape(str(v))}" for k, v in models.items() if v]
    return ", ".join(shown) or "-"


def call_page(viewer: Viewer, call: StoredCall, linked: ResultWithCalls | None) -> str:
    """One stored call: what it is, what it is linked to, and its timeline."""
    body = call.body
    caller_side = call.side == CALLER_SIDE
    side = "simulated caller's side" if caller_side else "agent's side"
    speakers = Speakers.of(caller_side=caller_side)
    reason = body.get("disconnection_reason")
    hung_up = speakers.hung_up(reason)
    rows = "".join(
        (
            _row("Agent", escape(call.agent_id)),
            _row("Call id", _code(call.call_id)),
            _row("Record", f"#{call.id}"),
            _row("Side", side),
            _row("Call type", escape(call.call_type)),
            _row("SIP Call-ID", _code(call.sip_call_id)),
            _row("SIP headers", _headers(body)),
            _row("Received", _when(call.received_at)),
            _row("Started", _epoch(call.start_timestamp)),
            _row("Duration", _duration(call.duration_ms)),
            _row("Status", _code(body.get("call_status"))),
            _row(
                "Disconnection",
                _code(reason) + (f" ({escape(hung_up)})" if hung_up else ""),
            ),
            _row("Models", _models(body)),
            _row("Linked", _linked(viewer, call, linked)),
            _row("Other sides", _other_sides(viewer, call, linked)),
        )
    )
    notes = "".join(f"<li>{escape(n)}</li>" for n in call.notes)
    events = timeline(body)
    shown = (
        usage_table(body)
        + turn_latency_chart(events, speakers)
        + timeline_section(events, side, speakers)
        if events
        else "<p class=muted>No transcript, tool calls or transitions in this call.</p>"
    )
    return _page(
        viewer,
        f"Ringback call {call.call_id}",
        f'<h1>Call <code id="call-id">{escape(call.call_id)}</code></h1>'
        f'<table id="call-meta">{rows}</table>'
        "<h2>Normaliser notes</h2>"
        + (f"<ul>{notes}</ul>" if notes else "<p class=muted>None: the body was canonical.</p>")
        + f"<h2>What happened</h2>{shown}"
        + f"<details><summary>Stored body (JSON, secret-looking header values masked)</summary>"
        f"<pre>{_json(_with_headers_masked(body))}</pre></details>",
    )


def _json(body: Mapping[str, Any]) -> str:
    return escape(json.dumps(body, indent=2, ensure_ascii=False, default=str))


# ── login and errors ──────────────────────────────────────────────────────────
def login_page(*, error: str | None = None, expired: bool = False) -> str:
    """The login form; `error` (never containing the key) says why the last try failed."""
    notice = ""
    if error:
        notice = f'<p class="fail" id="login-error" role="alert">{escape(error)}</p>'
    elif expired:
        notice = (
            '<p class="skip" id="login-expired">The key this browser had stopped working '
            "(revoked or deleted): log in with a current key.</p>"
        )
    return document(
        f"Log in - {TITLE}",
        f"<h1>{TITLE}</h1>{notice}"
        "<p>Log in with an API key of your workspace, the one your agents sync calls with.</p>"
        '<form method="post" action="/login"><label for="key">API key</label> '
        '<input id="key" name="key" type="password" autocomplete="current-password" '
        'required size="48"> <button type="submit" id="login">Log in</button></form>'
        "<p class=muted>This browser keeps the key in an HttpOnly cookie until you log out; "
        "it is checked again on every page, so revoking the key ends access at once. Create "
        "a key with <code>ringback-sim keys create --workspace N</code>.</p>",
    )


def error_page(viewer: Viewer | None, title: str, message: str) -> str:
    """A short error page (404, 403...)."""
    body = f"<h1>{escape(title)}</h1><p>{escape(message)}</p>"
    if viewer is None:
        return document(f"{title} - {TITLE}", body + f"<p>{_link('/', 'Back to the list')}</p>")
    return _page(viewer, f"{title} - {TITLE}", body)
