"""The collector's pages and the HTML report file in headless Chromium (Debian `chromium`):
a real text-transport run, evaluated and saved, plus a production call; log in through the
form, browse the list, the run and its calls, log out; no console errors anywhere. Also
under a non-localhost name (no Sec-Fetch-Site, as on a LAN address over plain http), where
another site's forged form posts are refused."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, ConsoleMessage, Error, Page, async_playwright, expect
from support.browser import CHROMIUM_ARGS, chromium_executable, launch_chromium
from support.collector_calls import call_body
from support.collector_server import RunningCollector, running_collector
from support.text_runs import point_ringback_at, text_run

from ringback.simulator.evaluate import RunEvaluation, evaluate_run
from ringback.simulator.evaluate.stored import save_evaluation
from ringback.simulator.reports import ReportFormat, call_bodies, write_reports
from ringback.simulator.reports.format import percent
from ringback.simulator.suite import load_suite

pytestmark = pytest.mark.asyncio(loop_scope="module")

EVAL_SUITE = Path(__file__).parents[1] / "fixtures" / "evaluate" / "support_text_eval.yaml"
PRODUCTION_CALL = "prod-call-1"
LAN_NAME, FORGER = "collector.test", "forger.test"
"""Names Chromium resolves to 127.0.0.1 (not `localhost`: no Sec-Fetch-Site is sent to them)."""
_FRAME = re.compile(r'<nav class="collector".*?</nav>|<section class="collector">.*?</section>')


@dataclass
class Site:
    collector: RunningCollector
    run_id: str
    evaluation: RunEvaluation
    report: Path
    production_id: int


@dataclass
class Watched:
    """A page whose console errors, warnings and uncaught exceptions are collected."""

    page: Page
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._console)
        self.page.on("pageerror", self._error)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _error(self, error: Error) -> None:
        self.problems.append(f"page error: {error}")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    tmp = tmp_path_factory.mktemp("pages-in-chromium")
    suite = load_suite(EVAL_SUITE).suite
    with pytest.MonkeyPatch.context() as mp:
        async with running_collector(tmp) as collector:
            point_ringback_at(mp, collector, tmp)
            result = await text_run(EVAL_SUITE, tmp, "--fail-under", "0")
            assert result.exit_code == 0, result.output
            (run,) = await collector.store.list_runs(1)
            store = collector.store
            evaluation = await evaluate_run(store, 1, run.id, suite)
            await save_evaluation(store, 1, evaluation)
            bodies = await call_bodies(store, 1, run.id)
            written = write_reports(evaluation, bodies, tmp / "report", [ReportFormat.HTML])
            async with httpx.AsyncClient(timeout=10) as http:
                stored = await http.post(
                    collector.call_url(agent="prod-bot"),
                    content=call_body(PRODUCTION_CALL),
                    headers=collector.headers(),
                )
            assert stored.status_code == 201, stored.text
            yield Site(
                collector, run.id, evaluation, written[ReportFormat.HTML], stored.json()["id"]
            )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await launch_chromium(playwright)
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="module")
async def watched(browser: Browser) -> AsyncIterator[Watched]:
    context = await browser.new_context()
    page = Watched(await context.new_page())
    yield page
    await context.close()


async def test_log_in_and_browse_the_run_and_its_calls(site: Site, watched: Watched) -> None:
    page, url, evaluation = watched.page, site.collector.url, site.evaluation
    assert evaluation.total == 4

    await page.goto(url + "/")
    await expect(page).to_have_url(url + "/login")
    await page.fill("#key", site.collector.key)
    await page.click("#login")
    await expect(page).to_have_url(url + "/")
    (cookie,) = await page.context.cookies()
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/")

    runs = page.locator("#runs")
    await expect(runs).to_contain_text(site.run_id)
    await expect(runs).to_contain_text("support-text-eval")
    await expect(runs).to_contain_text(f"{percent(evaluation.pass_rate)} (2/4)")
    await expect(page.locator("#production-calls")).to_contain_text(PRODUCTION_CALL)

    await runs.get_by_role("link", name=site.run_id).click()
    await expect(page).to_have_url(f"{url}/runs/{site.run_id}")
    await expect(page.locator("#run-id")).to_have_text(site.run_id)
    await expect(page.locator("body")).to_contain_text("Suite support-text-eval")
    await expect(page.locator("#pass-rate")).to_have_text(percent(evaluation.pass_rate))
    await expect(page.locator("#evaluated")).to_contain_text(re.compile(r"Evaluated \d{4}-"))
    summaries = page.locator("details.call > summary")
    await expect(summaries).to_have_count(evaluation.total)
    for call in evaluation.calls:
        name = f"{call.scenario_id}[{call.attempt}]"
        await expect(summaries.filter(has_text=name)).to_have_count(1)
        await expect(page.locator("#results")).to_contain_text(call.result_id or "?")
    # both sides of each call: the agent's and the simulated caller's
    await expect(page.locator("svg.lanes")).to_have_count(2 * evaluation.total)

    first = evaluation.calls[0]
    row = page.locator("#results tr").filter(has_text=first.result_id or "?")
    await row.get_by_role("link").first.click()
    await expect(page).to_have_url(re.compile(r"/calls/\d+$"))
    meta = page.locator("#call-meta")
    await expect(meta).to_contain_text(first.result_id or "?")
    await expect(meta).to_contain_text(f"{first.scenario_id}[{first.attempt}]")
    await expect(page.locator("svg.lanes")).to_have_count(1)
    await meta.get_by_role("link", name=site.run_id).click()
    await expect(page.locator("#run-id")).to_have_text(site.run_id)

    await page.get_by_role("link", name="Ringback collector").click()
    await page.locator("#production-calls").get_by_role("link", name=PRODUCTION_CALL).click()
    await expect(page).to_have_url(f"{url}/calls/{site.production_id}")
    await expect(page.locator("#call-id")).to_have_text(PRODUCTION_CALL)
    await expect(meta).to_contain_text("production call")
    await expect(meta).to_contain_text("prod-bot")

    await page.click("#logout")
    await expect(page).to_have_url(url + "/login")
    assert await page.context.cookies() == []
    await page.goto(f"{url}/runs/{site.run_id}")
    await expect(page).to_have_url(url + "/login")
    assert watched.problems == []


async def test_report_file_in_chromium(site: Site, watched: Watched) -> None:
    page, evaluation = watched.page, site.evaluation
    await page.goto(site.report.as_uri())
    await expect(page.locator("#run-id")).to_have_text(site.run_id)
    await expect(page.locator("#pass-rate")).to_have_text(percent(evaluation.pass_rate))
    await expect(page.locator("details.call")).to_have_count(evaluation.total)
    await expect(page.locator("svg.hist")).to_have_count(len(evaluation.latency))
    # the charts are drawn: bars with real sizes, axes and legends in the page's own layout
    first_hist = page.locator("svg.hist").first
    assert (await first_hist.bounding_box() or {}).get("height", 0) > 60
    assert await first_hist.locator("rect").count() >= 12
    await expect(first_hist.locator("text.legend").first).to_have_text("p50")
    await expect(page.locator("svg.turns").first.locator("text.legend")).to_have_count(3)
    assert watched.problems == []


async def test_run_page_is_the_report_file(site: Site) -> None:
    """The page is the report file's HTML plus the navigation bar, when it was evaluated and
    the stored calls."""
    async with httpx.AsyncClient(timeout=10) as http:
        page = await http.get(
            f"{site.collector.url}/runs/{site.run_id}", headers=site.collector.headers()
        )
    assert page.status_code == 200
    assert len(_FRAME.findall(page.text)) == 3  # navigation, when evaluated, stored calls
    assert _FRAME.sub("", page.text) == site.report.read_text(encoding="utf-8")


@pytest_asyncio.fixture(loop_scope="module")
async def lan_browser() -> AsyncIterator[Browser]:
    """Chromium that resolves `LAN_NAME` and `FORGER` to 127.0.0.1."""
    rules = f"--host-resolver-rules=MAP {LAN_NAME} 127.0.0.1,MAP {FORGER} 127.0.0.1"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_executable(), args=[*CHROMIUM_ARGS, rules]
        )
        yield launched
        await launched.close()


async def test_log_in_without_sec_fetch_site_and_refuse_forged_posts(
    site: Site, lan_browser: Browser
) -> None:
    lan = site.collector.url.replace("127.0.0.1", LAN_NAME)
    context = await lan_browser.new_context()
    watched = Watched(await context.new_page())
    page = watched.page
    await page.goto(lan + "/")
    await expect(page).to_have_url(lan + "/login")
    await page.fill("#key", site.collector.key)
    await page.click("#login")  # the form's Origin is the collector's own
    await expect(page).to_have_url(lan + "/")
    await expect(page.locator("#runs")).to_contain_text(site.run_id)

    attacker = await site.collector.store.create_key(2, "attacker")
    forged = (
        f'<form method="post" action="{lan}/login"><input name="key" value="{attacker.key}">'
        f'<button id="login-forged">Win</button></form><form method="post" action="{lan}/logout">'
        '<button id="logout-forged">Win</button></form>'
    )
    await page.route(
        f"http://{FORGER}/", lambda route: route.fulfill(content_type="text/html", body=forged)
    )
    for button in ("#login-forged", "#logout-forged"):
        await page.goto(f"http://{FORGER}/")
        async with page.expect_response(re.compile(r"/log(in|out)$")) as answer:
            await page.click(button)
        assert (await answer.value).status == 403
        await expect(page.locator("body")).to_contain_text("Another site's page posted this form")
        (cookie,) = await context.cookies()
        assert cookie["value"] == site.collector.key  # still the victim's own key

    await page.goto(lan + "/")
    await expect(page.locator("#workspace")).to_have_text("workspace 1")
    await page.click("#logout")
    await expect(page).to_have_url(lan + "/login")
    assert await context.cookies() == []
    await context.close()
    assert [p for p in watched.problems if "403" not in p] == []
