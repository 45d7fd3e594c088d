"""Alerts: seeded rules, firing and resolved events recorded, logged and POSTed to the webhook."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from monitoring.models import AlertEvent, AlertRule
from monitoring.tasks import alerts_evaluate

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A tiny local HTTP server on a free port that records what it is sent."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def test_user_guide_thresholds_are_seeded() -> None:
    seeded = {(r.metric, r.operator, r.threshold) for r in AlertRule.objects.all()}
    assert seeded == {
        ("cache_hit_rate", "lt", 0.85),
        ("avg_response_time_ms", "gt", 100.0),
        ("error_rate", "gt", 0.01),
        ("memory_percent", "gt", 80.0),
        ("calendar_days_left", "lt", 31.0),  # the calendar's horizon (tests/marketdata/test_calendar_layers.py)
    }


def test_firing_and_resolved_are_recorded_and_sent(
    settings: Any, webhook: tuple[str, list[dict[str, Any]]], caplog: pytest.LogCaptureFixture
) -> None:
    url, received = webhook
    settings.ARGUS_ALERT_WEBHOOK_URL = url
    AlertRule.objects.update(enabled=False)
    rule = AlertRule.objects.create(name="memory in use", metric="memory_percent", operator="gt", threshold=0.0)

    assert alerts_evaluate.apply().get() == 1
    rule.refresh_from_db()
    assert rule.firing and rule.last_value is not None and rule.last_value > 0
    event = AlertEvent.objects.get(rule=rule)
    assert (event.kind, event.threshold, event.webhook_status) == ("firing", 0.0, "HTTP 204")
    assert received[-1]["status"] == "firing" and received[-1]["rule"] == "memory in use"
    assert received[-1]["value"] == event.value
    assert any("alert firing" in r.getMessage() for r in caplog.records)

    assert alerts_evaluate.apply().get() == 0  # still firing: no new event
    rule.threshold = 100.5
    rule.save()
    assert alerts_evaluate.apply().get() == 1
    kinds = list(AlertEvent.objects.filter(rule=rule).order_by("created_at").values_list("kind", flat=True))
    assert kinds == ["firing", "resolved"]
    assert [r["status"] for r in received] == ["firing", "resolved"]


def test_rules_without_a_measured_figure_do_not_fire(settings: Any, clean_metrics: None) -> None:
    settings.ARGUS_ALERT_WEBHOOK_URL = ""
    AlertRule.objects.update(enabled=False)
    # No request in the window: the mean response time is unknown (null), so nothing is compared.
    rule = AlertRule.objects.create(name="slow", metric="avg_response_time_ms", operator="gt", threshold=-1.0)
    alerts_evaluate.apply()
    rule.refresh_from_db()
    assert rule.last_evaluated_at is not None and rule.last_value is None
    assert not rule.firing and not AlertEvent.objects.exists()
