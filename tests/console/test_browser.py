"""The pages in a real browser: Chromium (Playwright) against a real `manage.py serve` with its feed running.

One server and one browser for the module. The server replays the latest closed session
(ARGUS_SIM_CLOCK=replay), so quotes move every few seconds at any hour of any day; in the
PostgreSQL + Redis pass it uses that Redis too (pub/sub fan-out, shared counters).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from marketdata.calendar import db_calendar
from marketdata.models import TradingDay
from marketdata.sources.base import Phase
from tests.support.browser import CHARTS_JS, PageErrors, chromium, screenshot
from tests.support.servers import argus_server

pytestmark = pytest.mark.timeout(300)

PASSWORD = "browser-test-password-1"
WATCHLIST = "000001.SZ,600000.SH,600519.SH,000858.SZ"
FIGURES = (
    "market-phase",
    "trading-day",
    "market-source",
    "feed-state",
    "feed-age",
    "feed-mode",
    "stale-count",
    "ws-connections",
    "ws-subscriptions",
    "request-rate",
    "error-rate",
    "cache-hit-rate",
    "calendar-covered-until",
    "pools",
    "alerts-firing",
    "jobs",
)
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def staff(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """A staff user and the reference data, committed so the server process sees them; removed afterwards."""
    from marketdata.services.calendar import calendar_sync
    from marketdata.services.instruments import instruments_sync

    name = f"operator-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        if not TradingDay.objects.exists():
            calendar_sync()
            instruments_sync()
        db_calendar.invalidate()
        user = get_user_model().objects.create_superuser(name, f"{name}@example.com", PASSWORD)
    yield name
    with django_db_blocker.unblock():
        user.delete()


@pytest.fixture(scope="module")
def server(staff: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHARTS_JS.exists():
        pytest.fail(f"{CHARTS_JS} is missing: run `make install` (scripts/static-vendor copies it from npm)")
    env = {"ARGUS_SIM_CLOCK": "replay", "ARGUS_EMBEDDED_JOBS": "true", "ARGUS_FEED_INTERVAL": "3"}
    if settings.ARGUS_TEST_SERVICES:
        env.update({"ARGUS_TEST_SERVICES": "1", "REDIS_URL": settings.REDIS_URL})
    with argus_server(tmp_path_factory.mktemp("browser"), env) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def session(server: str, staff: str, browser: Any) -> Iterator[Any]:
    """A logged-in browser context: /console/ sends a visitor to the admin's login, which comes back."""
    context = browser.new_context(base_url=server, viewport={"width": 1400, "height": 1000})
    # Offline: any request that leaves the server (a CDN, a web font) is refused, and the page's
    # error watch reports it.
    context.route(re.compile(f"^(?!{re.escape(server)}/)"), lambda route: route.abort())
    page = context.new_page()
    errors = PageErrors()
    errors.watch(page)
    page.goto("/console/")
    assert "/admin/login/" in page.url and "next=/console/" in page.url
    page.fill("#id_username", staff)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/console/$"), timeout=TIMEOUT_MS)
    assert errors.messages == []
    page.close()
    yield context
    context.close()


@pytest.mark.django_db
def test_the_pages_are_served_without_a_browser(client: Any) -> None:
    """Also makes pytest-django set up the test database, which the module's server process uses.

    (The browser tests themselves touch no database: Playwright's sync API runs an event loop in
    this thread, where Django refuses database calls.)
    """
    assert client.get("/").status_code == 200
    assert client.get("/console/").status_code == 302


def _page(session: Any) -> tuple[Any, PageErrors]:
    page = session.new_page()
    errors = PageErrors()
    errors.watch(page)
    return page, errors


def test_landing_page_links_everything(session: Any) -> None:
    page, errors = _page(session)
    page.goto("/")
    for href in ("/console/", "/admin/", "/api/docs/", "/api/asyncapi/", "/health", "/metrics"):
        assert page.locator(f"a[href='{href}']").count() >= 1, href
    assert page.locator("ol.calls li").count() == 5
    assert screenshot(page, "landing").stat().st_size > 10_000
    page.click("a.card[href='/api/asyncapi/']")
    page.wait_for_url(re.compile(r"/api/asyncapi/$"), timeout=TIMEOUT_MS)
    assert "market_data" in page.content()
    assert errors.messages == []
    page.close()


def test_console_shows_every_figure_and_refreshes(session: Any) -> None:
    page, errors = _page(session)
    page.goto("/console/")
    page.get_by_test_id("console-status").wait_for(timeout=TIMEOUT_MS)
    failed = page.locator(".panel .error").all_inner_texts()
    assert failed == [], failed
    for testid in FIGURES:
        element = page.get_by_test_id(testid).first
        assert element.count() and element.inner_text().strip(), testid
    assert page.get_by_test_id("market-phase").inner_text() in {phase.value for phase in Phase}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \(Asia/Shanghai\)", page.get_by_test_id("trading-day").inner_text())
    assert page.get_by_test_id("stale-count").inner_text().isdigit()
    assert page.get_by_test_id("ws-connections").inner_text().isdigit()
    covered = page.get_by_test_id("calendar-covered-until")
    assert covered.count() == 3
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", covered.nth(i).inner_text()) for i in range(3))
    assert page.locator("[data-testid=job]").count() == len(settings.ARGUS_PERIODIC_JOBS)
    # The feed polls every 3 s: its age is a number of seconds once it has polled.
    page.wait_for_function(
        "() => /^[0-9.]+ s ago$/.test(document.querySelector('[data-testid=feed-age]').textContent)",
        timeout=TIMEOUT_MS,
    )
    # The live refresh swaps the figures in (the fragment carries the time it was rendered).
    first = page.get_by_test_id("console-status").get_attribute("data-updated")
    page.wait_for_function(
        f"() => document.querySelector('[data-testid=console-status]').dataset.updated !== '{first}'",
        timeout=TIMEOUT_MS,
    )
    assert "updated" in page.get_by_test_id("refresh-state").inner_text()
    assert screenshot(page, "console").stat().st_size > 10_000
    assert errors.messages == []
    page.close()


def test_watchlist_moves_live_and_the_kline_adjusts(session: Any) -> None:
    page, errors = _page(session)
    page.goto(f"/console/market/?symbols={WATCHLIST}")
    rows = page.locator("tr[data-symbol]")
    assert rows.count() == 4
    row = page.locator("tr[data-symbol='000001.SZ']")
    # The snapshot fills the row, then pushes advance its seq (the feed moves about every 3 s).
    page.wait_for_function(
        "() => Number(document.querySelector(\"tr[data-symbol='000001.SZ']\").dataset.seq) > 0", timeout=TIMEOUT_MS
    )
    seq = int(row.get_attribute("data-seq") or 0)
    price = row.locator("[data-field=price]").inner_text()
    assert re.fullmatch(r"\d+\.\d{2}", price), price
    page.wait_for_function(
        f"() => Number(document.querySelector(\"tr[data-symbol='000001.SZ']\").dataset.seq) > {seq}",
        timeout=TIMEOUT_MS,
    )
    colour = row.locator("[data-field=price]").get_attribute("class") or ""
    change = row.locator("[data-field=change_pct]").inner_text()
    expected = "up" if change.startswith("+") else "flat" if change.startswith("0.00") else "down"
    assert expected in colour.split(), (change, colour)
    assert page.get_by_test_id("provenance-kind").inner_text() == "simulated"
    assert page.get_by_test_id("ws-state").inner_text() == "open"
    # Order book: 10 levels a side by default, 5 after the toggle.
    page.wait_for_function("() => document.querySelectorAll('[data-testid=orderbook] tr[data-side=bid]').length == 10")
    page.click("button[data-depth='5']")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=orderbook] tr[data-side=bid]').length == 5")
    # Intraday: the session's 1-minute bars up to the replayed moment, then the live ticks.
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=intraday-chart]').dataset.points) > 0", timeout=TIMEOUT_MS
    )
    assert "bars of" in page.get_by_test_id("intraday-provenance").inner_text()
    # Daily K-line: none, then pre and post adjustment, each from /history with that adjustment.
    kline = page.get_by_test_id("kline-chart")
    page.wait_for_function("() => document.querySelector('[data-testid=kline-chart]').dataset.adjust === 'none'")
    assert int(kline.get_attribute("data-bars") or 0) > 200
    for adjust in ("pre", "post", "none"):
        page.click(f"button[data-adjust='{adjust}']")
        page.wait_for_function(
            f"() => document.querySelector('[data-testid=kline-chart]').dataset.adjust === '{adjust}'",
            timeout=TIMEOUT_MS,
        )
        assert f"adjustment {adjust}" in page.get_by_test_id("kline-provenance").inner_text()
        assert page.locator(f"button[data-adjust='{adjust}']").get_attribute("aria-pressed") == "true"
    assert "simulated" in page.get_by_test_id("kline-provenance").inner_text()
    assert page.locator("#kline canvas").count() > 0 and page.locator("#intraday canvas").count() > 0
    assert screenshot(page, "market").stat().st_size > 10_000
    # Selecting another row moves the book and charts to it.
    page.click("tr[data-symbol='600519.SH']")
    page.wait_for_function("() => document.querySelector('[data-testid=book-symbol]').textContent === '600519.SH'")
    assert errors.messages == []
    page.close()


def test_console_counts_the_market_pages_connection(session: Any) -> None:
    """The WebSocket figure on /console/ is the hub's own count: an open market page shows in it."""
    market, errors = _page(session)
    market.goto(f"/console/market/?symbols={WATCHLIST}")
    market.wait_for_function("() => document.querySelector('[data-testid=ws-state]').textContent === 'open'")
    console, console_errors = _page(session)
    console.goto("/console/")
    console.wait_for_function(
        "() => Number(document.querySelector('[data-testid=ws-connections]').textContent) >= 1"
        " && Number(document.querySelector('[data-testid=ws-subscriptions]').textContent) >= 4",
        timeout=TIMEOUT_MS,
    )
    assert errors.messages == [] and console_errors.messages == []
    market.close()
    console.close()


def test_an_etf_shows_its_0_001_tick_and_an_index_no_book(session: Any) -> None:
    """510300.SH quotes on 0.001: the watchlist and its order book show three decimals; 000001.SH has no book."""
    page, errors = _page(session)
    page.goto("/console/market/?symbols=510300.SH,000001.SH&symbol=510300.SH")
    page.wait_for_function(
        "() => /^\\d+\\.\\d{3}$/.test(document.querySelector(\"tr[data-symbol='510300.SH'] [data-field=price]\")"
        ".textContent)",
        timeout=TIMEOUT_MS,
    )
    page.wait_for_function("() => document.querySelectorAll('[data-testid=orderbook] tr[data-side=bid]').length > 0")
    prices = page.locator("[data-testid=orderbook] td.num.bid").all_inner_texts()
    assert prices and all(re.fullmatch(r"\d+\.\d{3}", p) for p in prices), prices
    page.click("tr[data-symbol='000001.SH']")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=orderbook]').textContent.includes('no book')", timeout=TIMEOUT_MS
    )
    assert errors.messages == []
    page.close()
