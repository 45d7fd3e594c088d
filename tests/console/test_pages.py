"""The HTML pages without a browser: who may see them, and that each figure is the services' own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models import Max
from django.test import Client

from core import clock
from marketdata.models import TradingDay
from marketdata.services.calendar import calendar_coverage
from monitoring.models import AlertRule
from monitoring.services.jobs import job_record, job_runs

pytestmark = pytest.mark.django_db

TESTIDS = (
    "market-phase",
    "feed-age",
    "stale-count",
    "ws-connections",
    "cache-hit-rate",
    "calendar-covered-until",
    "pools",
    "alerts-firing",
)


@pytest.fixture
def staff_client(reference_data: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_user("viewer", password="pw", is_staff=True))
    return client


def test_landing_page_is_html_with_the_links() -> None:
    response = Client().get("/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    for href in ("/console/", "/admin/", "/api/docs/", "/api/asyncapi/", "/health", "/metrics"):
        assert f'href="{href}"' in body, href
    assert "The first five calls" in body and "/ws/market_data" in body


def test_console_needs_a_staff_login() -> None:
    response = Client().get("/console/")
    assert response.status_code == 302 and response["Location"] == "/admin/login/?next=/console/"
    client = Client()
    client.force_login(User.objects.create_user("plain", password="pw"))
    assert client.get("/console/").status_code == 302
    assert client.get("/console/market/").status_code == 302


def test_console_has_every_figure(staff_client: Client) -> None:
    body = staff_client.get("/console/").content.decode()
    for testid in TESTIDS:
        assert f'data-testid="{testid}"' in body, testid
    assert 'class="error"' not in body  # no section failed
    fragment = staff_client.get("/console/?fragment=1").content.decode()
    assert "<html" not in fragment and 'data-testid="market-phase"' in fragment


def test_calendar_coverage_is_the_last_trading_day(staff_client: Client) -> None:
    coverage = calendar_coverage()
    for market in ("SH", "SZ", "BJ"):
        last = TradingDay.objects.filter(market=market).aggregate(last=Max("date"))["last"]
        assert coverage[market]["covered_until"] == last and last is not None
        assert coverage[market]["source"].startswith("exchange-calendars")
    body = staff_client.get("/console/").content.decode()
    assert f'data-market="SH">{coverage["SH"]["covered_until"]:%Y-%m-%d}<' in body


def test_calendar_coverage_without_a_calendar() -> None:
    TradingDay.objects.all().delete()
    assert calendar_coverage()["SH"]["covered_until"] is None


def test_firing_alerts_and_job_runs_are_shown(staff_client: Client) -> None:
    AlertRule.objects.filter(name="memory usage high").update(firing=True, last_value=91.0)
    with clock.frozen(datetime(2026, 3, 2, 1, 30, 5, tzinfo=UTC)):
        started = clock.timestamp()
        job_record("feed-poll", started=started, finished=started + 0.2, ok=True)
        job_record("cache-optimize", started=started, finished=started + 1, ok=False, detail="RuntimeError: boom")
    runs = {row["name"]: row for row in job_runs()}
    assert runs["feed-poll"]["ok"] is True and runs["feed-poll"]["next_run"] == started + 3
    assert runs["pools-health-check"]["last_run"] is None
    body = staff_client.get("/console/").content.decode()
    assert 'data-testid="alerts-firing" class="badge firing">1<' in body and "memory usage high" in body
    # 01:30:05 UTC is 09:30:05 in Shanghai; the next poll is 3 s later.
    row = body[body.index('data-job="feed-poll"') :]
    row = row[: row.index("</tr>")]
    assert "09:30:05 CST" in row and "09:30:08 CST" in row and ">ok<" in row
    failed = body[body.index('data-job="cache-optimize"') :]
    assert "RuntimeError: boom" in failed[: failed.index("</tr>")]


def test_market_page_lists_the_watchlist(staff_client: Client) -> None:
    response = staff_client.get("/console/market/?symbols=000001.SZ, 600519.sh,bogus,000001.SZ&symbol=600519.SH")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<tr data-symbol=") == 2
    assert 'data-symbol="000001.SZ" data-seq="0"' in body and 'data-symbol="600519.SH"' in body
    assert 'data-selected="600519.SH"' in body
    assert "not symbols, left out: bogus" in body
    assert 'data-testid="provenance-kind">simulated<' in body
    assert "/static/vendor/lightweight-charts.standalone.production.js" in body


def test_market_page_defaults_to_the_spec_examples(staff_client: Client, settings: Any) -> None:
    body = staff_client.get("/console/market/").content.decode()
    assert 'data-symbol="000001.SZ"' in body and 'data-symbol="600519.SH"' in body


def test_static_files_are_served() -> None:
    client = Client()
    for path in ("/static/console/console.css", "/static/console/market.js", "/favicon.ico"):
        response = client.get(path, follow=True)
        assert response.status_code == 200, path


def test_market_page_starts_rows_in_their_limit_or_suspended_state(staff_client: Client) -> None:
    """A stock at its limit (or suspended) is shown so from the first paint, not only after a change."""
    from marketdata.models import Instrument
    from marketdata.sources import get_source
    from marketdata.sources.base import TickStatus

    symbols = list(Instrument.objects.stocks().values_list("symbol", flat=True))
    ticks = get_source().latest_ticks(symbols)
    special = {tick.status: symbol for symbol, tick in ticks.items() if tick.status != TickStatus.TRADING}
    suspended = [s for s in symbols if s not in ticks]  # a suspended day has no tick at all
    if not special and not suspended:
        pytest.skip("no stock of the simulated market is at a limit or suspended today")
    asked = [*special.values(), *suspended[:1]]
    body = staff_client.get(f"/console/market/?symbols={','.join(asked)}").content.decode()
    for status, symbol in special.items():
        row = body[body.index(f'<tr data-symbol="{symbol}"') :]
        row = row[: row.index(">")]
        assert f'data-state="{status.value}"' in row and f'class="{status.value}' in row
        tick = ticks[symbol]
        if tick.limit_up is not None:
            assert f'data-limit-up="{tick.limit_up}"' in row
    for symbol in suspended[:1]:
        row = body[body.index(f'<tr data-symbol="{symbol}"') :]
        assert 'data-state="pending"' in row[: row.index(">")]


def test_pools_and_nodes_are_shown_with_their_health(staff_client: Client) -> None:
    from pools.models import ServerNode
    from pools.services.config import pool_create

    config = {
        "min_size": 1,
        "max_size": 4,
        "initial_size": 2,
        "timeout": 5.0,
        "max_idle_time": 30.0,
        "health_check_interval": 60.0,
        "auto_scale": False,
        "scale_factor": 1.5,
        "scale_threshold": 0.8,
        "load_balance_strategy": "round_robin",
    }
    nodes = [{"host": "10.0.0.1", "port": 8001}, {"host": "10.0.0.2", "port": 8001}]
    pool_create(name="console-pool", config=config, server_nodes=nodes)
    ServerNode.objects.filter(host="10.0.0.1").update(healthy=True, response_time_ms=12.5)
    ServerNode.objects.filter(host="10.0.0.2").update(healthy=False, last_error="connection refused")
    body = staff_client.get("/console/").content.decode()
    panel = body[body.index('data-testid="pools"') :]
    panel = panel[: panel.index("</section>")]
    assert 'data-pool="console-pool"' in panel and "0 of 2 in use" in panel
    assert "10.0.0.1:8001" in panel and "12.5 ms" in panel and "state-healthy" in panel
    assert "10.0.0.2:8001" in panel and 'title="connection refused">unhealthy' in panel


def test_celery_runs_of_periodic_jobs_are_recorded(settings: Any) -> None:
    """A Celery worker records each run of a periodic job (task_prerun/task_postrun), as the embedded scheduler does."""
    from monitoring.tasks import alerts_evaluate

    settings.ARGUS_ALERT_WEBHOOK_URL = ""
    before = clock.timestamp()
    alerts_evaluate.apply()
    run = {row["name"]: row for row in job_runs()}["alerts-evaluate"]
    assert run["ok"] is True and run["last_run"] is not None and run["last_run"] >= before - 1
    assert run["next_run"] == run["last_run"] + settings.ARGUS_PERIODIC_JOBS["alerts-evaluate"]["interval"]
