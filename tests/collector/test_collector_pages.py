"""The collector's pages over HTTP: the same API keys as the Create Call API (bearer, or the
login form's cookie), workspaces kept apart, security headers, escaping, and `--no-auth`."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.collector_calls import call_body, call_record
from support.collector_server import RunningCollector, running_collector

from ringback.core.protocol import new_result_id
from ringback.simulator.collector.web.responses import PAGE_CSP
from ringback.simulator.collector.web.routes import LIST_LIMIT
from ringback.simulator.collector.web.session import COOKIE_NAME
from ringback.simulator.evaluate import CallEvaluation, RunEvaluation
from ringback.simulator.evaluate.stored import save_evaluation

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
HOSTILE = '<script>alert("x")</script>'
_SERVER = ("ringback", "uvicorn")
VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "col", "wbr", "source"})


class _Page(HTMLParser):
    """Tags in order (balanced), links and form targets, and the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def _attrs(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("href", "action"):
                self.links.append(value or "")
            elif name in ("src", "xlink:href", "srcset") or name.startswith("on"):
                self.problems.append(f"{tag} has {name}={value}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attrs(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attrs(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(response: httpx.Response) -> _Page:
    """The page, checked: balanced, no scripts, links only to the collector's own paths."""
    assert response.headers["content-type"].startswith("text/html")
    page = _Page()
    page.feed(response.text)
    page.close()
    assert page.problems == []
    assert page.stack == []
    assert "script" not in page.tags
    for link in page.links:
        assert link.startswith("/"), link
        assert not link.startswith("//"), link
    return page


def text_of(response: httpx.Response) -> str:
    return " ".join(" ".join(parsed(response).text).split())


def assert_secure_headers(response: httpx.Response) -> None:
    assert response.headers["content-security-policy"] == PAGE_CSP
    assert PAGE_CSP.startswith(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def server_lines(caplog: pytest.LogCaptureFixture) -> str:
    """What the collector (and uvicorn) logged; the test's own HTTP client is left out."""
    return "\n".join(
        record.getMessage() for record in caplog.records if record.name.startswith(_SERVER)
    )


async def store_call(
    collector: RunningCollector,
    http: httpx.AsyncClient,
    call_id: str,
    *,
    workspace: int = 1,
    agent: str = "support-bot",
    key: str | None = None,
    content: bytes | None = None,
    **record: Any,
) -> int:
    """POST a call through the Create Call API; its record id."""
    response = await http.post(
        collector.call_url(workspace, agent),
        content=content if content is not None else call_body(call_id, **record),
        headers=collector.headers(key),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def form_post(collector: RunningCollector, **headers: str) -> dict[str, str]:
    """A browser's headers on a form post from the collector's own page (its `Origin`)."""
    return {**HTML, "Origin": collector.url, **headers}


async def login(
    collector: RunningCollector, http: httpx.AsyncClient, key: str | None = None, **headers: str
) -> httpx.Response:
    return await http.post(
        f"{collector.url}/login",
        content=httpx.QueryParams(key=key if key is not None else collector.key).__str__(),
        headers={  # an empty value leaves the header out
            name: value
            for name, value in (
                {"Content-Type": "application/x-www-form-urlencoded", **form_post(collector)}
                | headers
            ).items()
            if value
        },
    )


async def simulated_run(
    collector: RunningCollector, http: httpx.AsyncClient, name: str = "checkout-suite"
) -> tuple[str, str, str]:
    """A run with two results: one linked on both sides, one never synced; (run, linked,
    unlinked) ids."""
    store = collector.store
    run = await store.create_run(1, name=name)
    linked, unlinked = new_result_id(), new_result_id()
    await store.register_result(1, run.id, linked, scenario_id="greet", attempt=0)
    await store.register_result(1, run.id, unlinked, scenario_id="greet", attempt=1)
    await store_call(collector, http, "sim-agent", sip_headers={"X-Result-Id": linked})
    await store_call(collector, http, "sim-caller", agent="caller", caller_result_id=linked)
    return run.id, linked, unlinked


# ── who may look ──────────────────────────────────────────────────────────────
async def test_bearer_key_reads_the_list(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    run_id, _, _ = await simulated_run(collector, http)
    production = await store_call(collector, http, "prod-1", sip_call_id="abc@pbx")
    response = await http.get(collector.url + "/", headers=collector.headers())
    assert response.status_code == 200
    assert_secure_headers(response)
    text = text_of(response)
    assert run_id in text
    assert "checkout-suite" in text
    assert "not evaluated" in text
    assert "running" in text  # not finished yet
    assert "prod-1" in text
    assert "abc@pbx" in text
    assert "sim-agent" not in text  # linked calls are not production traffic
    assert "sim-caller" not in text
    assert f"/runs/{run_id}" in parsed(response).links
    assert f"/calls/{production}" in parsed(response).links
    assert "Log out" not in text  # nothing to log out of with a bearer header


async def test_login_sets_a_strict_httponly_cookie_and_logout_clears_it(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    form = await http.get(f"{collector.url}/login", headers=HTML)
    assert form.status_code == 200
    assert_secure_headers(form)
    assert '<form method="post" action="/login">' in form.text

    response = await login(collector, http)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert_secure_headers(response)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    assert "secure" not in attributes  # plain http on loopback
    assert collector.key not in response.text

    page = await http.get(collector.url + "/", headers=HTML)  # the client keeps the cookie
    assert page.status_code == 200
    assert "Log out" in text_of(page)
    assert "/logout" in parsed(page).links
    assert collector.key not in page.text

    out = await http.post(f"{collector.url}/logout", headers=form_post(collector))
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert_secure_headers(out)
    assert COOKIE_NAME not in http.cookies
    again = await http.get(collector.url + "/", headers=HTML)
    assert (again.status_code, again.headers["location"]) == (303, "/login")


async def test_a_revoked_key_loses_access_at_once(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    assert (await login(collector, http)).status_code == 303
    assert (await http.get(collector.url + "/", headers=HTML)).status_code == 200
    await collector.store.revoke_key(collector.key_id)

    page = await http.get(collector.url + "/", headers=HTML)
    assert (page.status_code, page.headers["location"]) == (303, "/login?expired=1")
    assert COOKIE_NAME not in http.cookies  # cleared
    notice = await http.get(f"{collector.url}/login?expired=1", headers=HTML)
    assert "stopped working" in text_of(notice)

    cookie_api = await http.get(
        collector.url + "/", headers={"Cookie": f"{COOKIE_NAME}={collector.key}"}
    )
    assert cookie_api.status_code == 401
    assert "revoked" in cookie_api.json()["detail"]
    bearer = await http.get(collector.url + "/", headers=collector.headers())
    assert bearer.status_code == 401
    assert "revoked" in bearer.json()["detail"]
    retry = await login(collector, http)
    assert retry.status_code == 401
    assert "revoked" in text_of(retry)


@pytest.mark.parametrize("path", ["/", "/runs/abc", "/calls/1"])
async def test_unauthenticated_browsers_are_sent_to_login_and_scripts_get_401(
    collector: RunningCollector, http: httpx.AsyncClient, path: str
) -> None:
    browser = await http.get(collector.url + path, headers=HTML)
    assert (browser.status_code, browser.headers["location"]) == (303, "/login")
    assert_secure_headers(browser)

    script = await http.get(collector.url + path)
    assert script.status_code == 401
    assert script.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer <key>" in script.json()["detail"]

    wrong = collector.key[:-4] + "AAAA"
    for headers in (collector.headers(wrong), {**collector.headers(wrong), **HTML}):
        answer = await http.get(collector.url + path, headers=headers)
        assert answer.status_code == 401
        assert "no key matches" in answer.json()["detail"]
        assert wrong not in answer.text


async def test_login_failures_reshow_the_form_without_the_key(
    collector: RunningCollector, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "rbk_" + "Z" * 43
    response = await login(collector, http, wrong)
    assert response.status_code == 401
    assert_secure_headers(response)
    assert "set-cookie" not in response.headers
    text = text_of(response)
    assert "invalid API key: no key matches it" in text
    assert wrong not in response.text
    assert 'name="key"' in response.text
    assert 'value="' not in response.text  # the field is never refilled

    empty = await login(collector, http, "   ")
    assert empty.status_code == 401
    assert "enter an API key" in text_of(empty)

    not_a_form = await http.post(
        f"{collector.url}/login",
        content=json.dumps({"key": collector.key}),
        headers={"Content-Type": "application/json", **form_post(collector)},
    )
    assert not_a_form.status_code == 401
    assert "send the login form" in text_of(not_a_form)
    assert collector.key not in not_a_form.text
    assert "POST /login -> 401" in server_lines(caplog)
    assert wrong not in server_lines(caplog)


async def test_another_site_cannot_post_the_forms(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    response = await login(collector, http, **{"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert "set-cookie" not in response.headers
    assert_secure_headers(response)
    same = await login(collector, http, **{"Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 303
    out = await http.post(
        f"{collector.url}/logout", headers={**HTML, "Sec-Fetch-Site": "cross-site"}
    )
    assert out.status_code == 403
    assert COOKIE_NAME in http.cookies


async def test_without_sec_fetch_site_the_origin_must_be_the_collectors_own(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    """Browsers send no Sec-Fetch-Site to plain http on a LAN address: Origin (else Referer)
    decides, and one that is missing, `null` or another site's is refused."""
    foreign = {"Origin": "http://attacker.example"}
    for refused in (
        foreign,
        {"Origin": "null"},
        {"Origin": collector.url.replace("127.0.0.1", "localhost")},  # another host
        {"Origin": collector.url.rsplit(":", 1)[0] + ":1"},  # another port
        {"Origin": collector.url.replace("http:", "https:")},  # another scheme
        {"Origin": "", "Referer": "http://attacker.example/forged.html"},
        {"Origin": ""},  # neither Origin nor Referer
    ):
        response = await login(collector, http, **refused)
        assert response.status_code == 403, refused
        assert "set-cookie" not in response.headers
        assert "Another site's page posted this form" in text_of(response)
    assert COOKIE_NAME not in http.cookies

    assert (await login(collector, http, Origin="", Referer=collector.url + "/login")).is_redirect
    same = await login(collector, http)  # Origin: the collector's own
    assert (same.status_code, same.headers["location"]) == (303, "/")
    assert COOKIE_NAME in http.cookies
    lan = {"Host": "192.168.1.20:7450", "Origin": "http://192.168.1.20:7450"}
    assert (await login(collector, http, **lan)).status_code == 303  # as its Host names it

    forged_out = await http.post(f"{collector.url}/logout", headers={**HTML, **foreign})
    assert forged_out.status_code == 403
    bare_out = await http.post(f"{collector.url}/logout", headers=HTML)
    assert bare_out.status_code == 403
    assert COOKIE_NAME in http.cookies
    out = await http.post(f"{collector.url}/logout", headers=form_post(collector))
    assert (out.status_code, out.headers["location"]) == (303, "/login")


async def test_a_proxys_basic_auth_leaves_the_login_cookie_in_charge(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}  # what a proxy in front asks browsers for
    bare = await http.get(collector.url + "/", headers={**HTML, **basic})
    assert (bare.status_code, bare.headers["location"]) == (303, "/login")
    script = await http.get(collector.url + "/", headers=basic)
    assert script.status_code == 401
    assert "must be `Bearer <key>`" in script.json()["detail"]

    assert (await login(collector, http, **basic)).status_code == 303
    page = await http.get(collector.url + "/", headers={**HTML, **basic})
    assert page.status_code == 200
    assert "Log out" in text_of(page)
    cookie_script = await http.get(collector.url + "/", headers=basic)  # cookie, not HTML
    assert cookie_script.status_code == 200
    wrong_bearer = await http.get(collector.url + "/", headers=collector.headers("rbk_wrong"))
    assert wrong_bearer.status_code == 401  # a Bearer header still wins over the cookie


async def test_the_key_never_reaches_the_log(
    collector: RunningCollector, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    run_id, _, _ = await simulated_run(collector, http)
    assert (await login(collector, http)).status_code == 303
    for path in ("/", f"/runs/{run_id}", "/calls/1", "/calls/999"):
        assert (await http.get(collector.url + path, headers=HTML)).status_code in (200, 404)
    await http.get(collector.url + "/", headers=collector.headers())
    await http.post(f"{collector.url}/logout", headers=form_post(collector))
    server_log = server_lines(caplog)
    assert "GET / -> 200" in server_log
    assert "POST /login -> 303" in server_log
    assert collector.key not in server_log
    assert COOKIE_NAME not in server_log


# ── workspaces ────────────────────────────────────────────────────────────────
async def test_another_workspaces_runs_and_calls_are_404_like_unknown_ones(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    other = await collector.store.create_key(2, "two")
    theirs = await store_call(
        collector, http, "their-secret-call", workspace=2, agent="their-bot", key=other.key
    )
    run = await collector.store.create_run(2, name="their-secret-suite")
    mine = collector.headers()

    foreign_run = await http.get(f"{collector.url}/runs/{run.id}", headers=mine)
    unknown_run = await http.get(f"{collector.url}/runs/{'f' * 32}", headers=mine)
    assert (foreign_run.status_code, unknown_run.status_code) == (404, 404)
    assert foreign_run.text.replace(run.id, "ID") == unknown_run.text.replace("f" * 32, "ID")
    assert "their-secret-suite" not in foreign_run.text
    assert_secure_headers(foreign_run)

    foreign_call = await http.get(f"{collector.url}/calls/{theirs}", headers=mine)
    unknown_call = await http.get(f"{collector.url}/calls/{theirs + 100}", headers=mine)
    assert (foreign_call.status_code, unknown_call.status_code) == (404, 404)
    assert text_of(foreign_call).replace(f"'{theirs}'", "ID") == text_of(unknown_call).replace(
        f"'{theirs + 100}'", "ID"
    )
    assert "their-secret-call" not in foreign_call.text

    listed = await http.get(collector.url + "/", headers=mine)
    assert "their-secret" not in listed.text
    asked = await http.get(collector.url + "/?workspace_id=2", headers=mine)
    assert asked.status_code == 403
    assert "their-secret" not in asked.text
    assert "belongs to workspace 1, not workspace 2" in text_of(asked)

    own = await http.get(f"{collector.url}/calls/{theirs}", headers=collector.headers(other.key))
    assert own.status_code == 200
    assert "their-secret-call" in text_of(own)
    own_list = await http.get(collector.url + "/", headers=collector.headers(other.key))
    assert "their-secret-suite" in text_of(own_list)


@pytest.mark.parametrize("record", ["abc", "0", "-1", "99999999999999999999999", "1.0", "²"])
async def test_malformed_call_ids_are_404(
    collector: RunningCollector, http: httpx.AsyncClient, record: str
) -> None:
    response = await http.get(f"{collector.url}/calls/{record}", headers=collector.headers())
    assert response.status_code == 404
    assert "Not found" in text_of(response)


# ── what the pages show ───────────────────────────────────────────────────────
async def test_an_unevaluated_run_shows_its_links_and_how_to_evaluate_it(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    run_id, linked, unlinked = await simulated_run(collector, http)
    response = await http.get(f"{collector.url}/runs/{run_id}", headers=collector.headers())
    assert response.status_code == 200
    assert_secure_headers(response)
    text = text_of(response)
    assert f"Ringback run {run_id}" in text
    assert "Suite checkout-suite" in text
    assert "in progress" in text
    assert "Not evaluated yet." in text
    assert f"ringback-sim report {run_id} --suite SUITE.yaml" in text
    assert f"greet[0] {linked}" in text
    assert "linked by x-result-id" in text  # the agent side
    assert "linked by simulation-metadata" in text  # the caller side
    assert f"greet[1] {unlinked} not linked not linked" in text
    assert len([link for link in parsed(response).links if link.startswith("/calls/")]) == 2

    await collector.store.finish_run(1, run_id)
    finished = await http.get(f"{collector.url}/runs/{run_id}", headers=collector.headers())
    assert "in progress" not in text_of(finished)
    assert "finished" in text_of(finished)


async def test_a_linked_calls_page_points_to_its_run_and_other_side(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    run_id, linked, _ = await simulated_run(collector, http)
    calls = {c.call_id: c.id for c in await collector.store.list_calls(1)}
    response = await http.get(
        f"{collector.url}/calls/{calls['sim-agent']}", headers=collector.headers()
    )
    assert response.status_code == 200
    text = text_of(response)
    assert "Call sim-agent" in text
    assert f"result {linked} (greet[0]) of run {run_id}" in text
    assert "linked by x-result-id" in text
    assert f"call #{calls['sim-caller']} (caller side)" in text
    links = parsed(response).links
    assert f"/runs/{run_id}" in links
    assert f"/calls/{calls['sim-caller']}" in links
    assert 'svg class="lanes"' in response.text
    assert "X-Result-Id" in text


async def test_each_sides_page_names_the_speakers_and_who_hung_up_as_who_they_are(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    """The simulated caller's own recording is an agent's: its `agent` lines are the simulated
    caller's and its `user_hangup` is the agent under test hanging up."""
    await simulated_run(collector, http)
    calls = {c.call_id: c.id for c in await collector.store.list_calls(1)}
    pages = {}
    for name in ("sim-agent", "sim-caller"):
        response = await http.get(
            f"{collector.url}/calls/{calls[name]}", headers=collector.headers()
        )
        assert response.status_code == 200
        pages[name] = (text_of(response), response.text.split("<h4>Timeline", 1)[1])

    agent_text, agent_html = pages["sim-agent"]
    assert "Side agent's side" in agent_text
    assert "user_hangup (the caller hung up)" in agent_text
    assert "<td>caller</td>" in agent_html
    assert "<td>agent under test</td>" in agent_html
    assert "<td>simulated caller</td>" not in agent_html
    assert ">caller</text>" in agent_html  # the lanes
    assert ">agent</text>" in agent_html

    caller_text, caller_html = pages["sim-caller"]
    assert "Side simulated caller's side" in caller_text
    assert "user_hangup (the agent under test hung up)" in caller_text
    assert "<td>simulated caller</td>" in caller_html
    assert "<td>agent under test</td>" in caller_html
    assert "<td>caller</td>" not in caller_html
    assert "<td>agent</td>" not in caller_html
    assert ">sim caller</text>" in caller_html


async def test_a_calls_page_masks_secret_looking_header_values(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    headers = {
        "X-Auth-Token": "tok-5e1f",
        "X-Api-Pass": "pw-93a",
        "X-Pin": "9731",
        "X-Tier": "gold",
    }
    call = await store_call(collector, http, "masked-call", sip_headers=headers)
    page = await http.get(f"{collector.url}/calls/{call}", headers=collector.headers())
    text = text_of(page)
    for name in ("X-Auth-Token", "X-Api-Pass", "X-Pin"):
        assert f"{name}: ***" in text
    assert "X-Tier: gold" in text
    for secret in ("tok-5e1f", "pw-93a", "9731"):
        assert secret not in page.text


@pytest.mark.parametrize("start", [1_767_000_000_000, 10**15])
async def test_a_start_time_that_is_not_in_seconds_is_shown_as_stored(
    collector: RunningCollector, http: httpx.AsyncClient, start: int
) -> None:
    body = call_record("ms-start").model_dump(mode="json", exclude_none=True)
    body["start_timestamp"] = start  # milliseconds (or worse): stored as sent
    body["end_timestamp"] = start + 24_000
    call = await store_call(collector, http, "ms-start", content=json.dumps(body).encode())
    response = await http.get(f"{collector.url}/calls/{call}", headers=collector.headers())
    assert response.status_code == 200
    assert f"Started {start} (not a time in seconds)" in text_of(response)


def _evaluation(run_id: str, linked: str, unlinked: str) -> RunEvaluation:
    """What evaluating `simulated_run` gives: the linked call passes, the other does not."""
    return RunEvaluation(
        run_id=run_id,
        suite="checkout-suite",
        calls=[
            CallEvaluation(result_id=linked, scenario_id="greet", attempt=0, linked=True),
            CallEvaluation(result_id=unlinked, scenario_id="greet", attempt=1, linked=False),
        ],
    )


async def test_an_evaluated_run_says_when_and_whether_links_moved_on_since(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    run_id, linked, unlinked = await simulated_run(collector, http)
    await save_evaluation(collector.store, 1, _evaluation(run_id, linked, unlinked))
    run = await collector.store.get_run(1, run_id)
    assert run is not None
    assert run.evaluation is not None
    evaluated = f"Evaluated {run.evaluation.evaluated_at:%Y-%m-%d %H:%M} UTC."

    page = await http.get(f"{collector.url}/runs/{run_id}", headers=collector.headers())
    assert page.status_code == 200
    text = text_of(page)
    assert evaluated in text
    assert "Out of date" not in text
    assert 'id="pass-rate">50.0%' in page.text
    index = text_of(await http.get(collector.url + "/", headers=collector.headers()))
    assert f"{run_id} checkout-suite" in index
    assert "50.0% (1/2)" in index

    await store_call(collector, http, "late-agent", sip_headers={"X-Result-Id": unlinked})
    stale = await http.get(f"{collector.url}/runs/{run_id}", headers=collector.headers())
    text = text_of(stale)
    assert evaluated in text
    assert (
        "Out of date: 1 call is linked differently in the store now than when this report was "
        "made: greet[1] (counted unlinked, its agent side has arrived since)."
    ) in text
    assert f"ringback-sim report {run_id} --suite SUITE.yaml --re-evaluate" in text
    assert 'id="pass-rate">50.0%' in stale.text  # the kept verdict, until re-evaluated

    await save_evaluation(collector.store, 1, _evaluation(run_id, linked, unlinked))
    assert "Out of date" in text_of(
        await http.get(f"{collector.url}/runs/{run_id}", headers=collector.headers())
    )  # the same verdict again is still out of date


async def test_runs_evaluated_before_schema_2_still_show_after_the_upgrade(
    tmp_path: Path, http: httpx.AsyncClient, version_1_database: Callable[..., Awaitable[None]]
) -> None:
    evaluation = RunEvaluation(
        run_id="old-run",
        suite="legacy-suite",
        calls=[
            CallEvaluation(scenario_id="greet", attempt=0, linked=True),
            CallEvaluation(scenario_id="greet", attempt=1, linked=False),
        ],
    )
    kept = {"old-run": evaluation.model_dump(mode="json")}
    await version_1_database(tmp_path / "collector.sqlite3", kept)
    async with running_collector(tmp_path) as collector:  # opens (and upgrades) that file
        run = await collector.store.get_run(1, "old-run")
        assert run is not None
        assert run.finished_at is not None
        index = await http.get(collector.url + "/", headers=collector.headers())
        page = await http.get(f"{collector.url}/runs/old-run", headers=collector.headers())
    assert "old-run legacy-suite" in text_of(index)
    assert "50.0% (1/2)" in text_of(index)
    assert page.status_code == 200
    assert 'id="pass-rate">50.0%' in page.text
    text = text_of(page)
    assert f"Evaluated {run.finished_at:%Y-%m-%d %H:%M} UTC." in text
    assert "greet[1]" in text
    assert "Not evaluated yet" not in text


async def test_hostile_content_is_escaped_everywhere(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    record = call_record("evil-1", sip_headers={"X-Note": HOSTILE})
    body = record.model_dump(mode="json", exclude_none=True)
    body["transcript_with_tool_calls"][1]["text"] = HOSTILE
    body["general_meta_data_raw"]["ai_models"]["llm_model"] = HOSTILE
    call = await store_call(
        collector, http, "evil-1", agent=HOSTILE, content=json.dumps(body).encode()
    )
    run = await collector.store.create_run(1, run_id="evil-run", name=HOSTILE)
    await collector.store.register_result(1, run.id, new_result_id(), scenario_id=HOSTILE)

    for path in ("/", "/runs/evil-run", f"/calls/{call}"):
        response = await http.get(collector.url + path, headers=collector.headers())
        assert response.status_code == 200, path
        assert "<script" not in response.text, path
        assert "&lt;script&gt;" in response.text, path
        assert HOSTILE in "".join(parsed(response).text), path  # shown as text
    unknown = HOSTILE.replace("/", "")  # a path segment
    missing = await http.get(f"{collector.url}/runs/{unknown}", headers=collector.headers())
    assert missing.status_code == 404
    assert "<script" not in missing.text
    assert unknown in text_of(missing)


async def test_the_list_is_capped_and_says_so(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    for n in range(LIST_LIMIT + 1):
        await collector.store.create_run(1, run_id=f"run-{n:03d}")
    response = await http.get(collector.url + "/", headers=collector.headers())
    text = text_of(response)
    assert f"Showing the newest {LIST_LIMIT} runs; older ones are not listed." in text
    assert f"run-{LIST_LIMIT:03d}" in text
    assert "run-000" not in text
    assert "No production calls yet." in text


async def test_healthz_and_the_create_call_api_are_unchanged(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    health = await http.get(collector.url + "/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    created = await http.post(
        collector.call_url(), content=call_body("api-1"), headers=collector.headers()
    )
    assert created.status_code == 201
    assert created.headers["content-type"] == "application/json"
    assert "content-security-policy" not in created.headers


# ── no auth ───────────────────────────────────────────────────────────────────
async def test_no_auth_pages_are_open_on_workspace_1_unless_asked(
    tmp_path: Path, http: httpx.AsyncClient
) -> None:
    async with running_collector(tmp_path, no_auth=True) as collector:
        one = await store_call(collector, http, "ws1-call", key="unused")
        two = await store_call(collector, http, "ws2-call", workspace=2, key="unused")
        plain = await http.get(collector.url + "/", headers=HTML)
        assert plain.status_code == 200
        assert_secure_headers(plain)
        text = text_of(plain)
        assert ("ws1-call" in text, "ws2-call" in text) == (True, False)
        assert "auth is off" in text
        assert f"/calls/{one}" in parsed(plain).links

        asked = await http.get(collector.url + "/?workspace_id=2")
        assert "ws2-call" in text_of(asked)
        assert f"/calls/{two}?workspace_id=2" in parsed(asked).links
        page = await http.get(f"{collector.url}/calls/{two}?workspace_id=2")
        assert page.status_code == 200
        assert (await http.get(f"{collector.url}/calls/{two}")).status_code == 404

        for bad_id in ("abc", "0", "²", "9" * 40):
            bad = await http.get(collector.url + "/", params={"workspace_id": bad_id})
            assert bad.status_code == 422
            assert "positive integer" in text_of(bad)
        form = await http.get(f"{collector.url}/login", headers=HTML)
        assert (form.status_code, form.headers["location"]) == (303, "/")


async def test_no_auth_answers_only_requests_addressed_to_a_loopback_host(
    tmp_path: Path, http: httpx.AsyncClient
) -> None:
    """A DNS-rebinding page reaches the collector under its own name (Host: attacker's)."""
    async with running_collector(tmp_path, no_auth=True) as collector:
        call = await store_call(collector, http, "private-call", key="unused")
        port = collector.url.rsplit(":", 1)[1]
        run_id = (await collector.store.create_run(1, name="private-suite")).id
        reads = ("/", f"/runs/{run_id}", f"/calls/{call}", "/api/v1/calls", f"/api/v1/calls/{call}")
        for host in (f"rebind.attacker.example:{port}", "rebind.attacker.example", "10.0.0.5"):
            for path in reads:
                refused = await http.get(collector.url + path, headers={**HTML, "Host": host})
                assert refused.status_code == 403, (host, path)
                assert "private" not in refused.text
                assert "only requests addressed to a loopback host" in refused.text
            written = await http.post(
                collector.call_url(), content=call_body("rebound"), headers={"Host": host}
            )
            assert written.status_code == 403
        assert [c.call_id for c in await collector.store.list_calls(1)] == ["private-call"]

        for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "localhost"):
            for path in reads:
                allowed = await http.get(collector.url + path, headers={"Host": host})
                assert allowed.status_code == 200, (host, path)
