"""Alert rules as operators see them: names apart from thresholds, a red "firing" badge, a minimum
sample before a rate is judged, and times in Asia/Shanghai with the zone shown."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from monitoring.models import AlertRule
from monitoring.services.alerts import alerts_evaluate
from monitoring.services.metrics import metrics_flush, request_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "pw"))
    return client


def test_seeded_rule_names_do_not_carry_thresholds() -> None:
    rules = {rule.name: rule for rule in AlertRule.objects.all()}
    assert set(rules) == {
        "cache hit rate low",
        "response time high",
        "error rate high",
        "memory usage high",
        "trading calendar runs out",
    }
    assert not any(char.isdigit() for char in "".join(rules))
    # Rates and means wait for a sample; memory is judged every time.
    assert rules["cache hit rate low"].min_samples == 200
    assert rules["error rate high"].min_samples == 100
    assert rules["response time high"].min_samples == 100
    assert rules["memory usage high"].min_samples == 0
    # An edited threshold reads true: the name does not contradict it.
    rule = rules["memory usage high"]
    rule.threshold = 90
    assert str(rule) == "memory usage high: memory_percent > 90"


def _errors(n: int) -> None:
    for _ in range(n):
        request_record(endpoint="/api/v1/market_data/latest", status=500, duration_ms=5.0)
    metrics_flush()


def test_a_rate_is_not_judged_on_too_few_requests(settings: Any, clean_metrics: None) -> None:
    settings.ARGUS_ALERT_WEBHOOK_URL = ""
    AlertRule.objects.update(enabled=False)
    rule = AlertRule.objects.create(name="errors", metric="error_rate", operator="gt", threshold=0.01, min_samples=10)
    _errors(6)  # six failed requests: an error rate of 1.0, but only six of them
    assert alerts_evaluate() == []
    rule.refresh_from_db()
    assert rule.last_value == 1.0 and not rule.firing
    _errors(4)  # ten: now it is judged
    events = alerts_evaluate()
    rule.refresh_from_db()
    assert rule.firing and [e.kind for e in events] == ["firing"]


def test_min_samples_zero_judges_every_value(settings: Any, clean_metrics: None) -> None:
    settings.ARGUS_ALERT_WEBHOOK_URL = ""
    AlertRule.objects.update(enabled=False)
    rule = AlertRule.objects.create(name="errors", metric="error_rate", operator="gt", threshold=0.01)
    _errors(1)
    alerts_evaluate()
    rule.refresh_from_db()
    assert rule.firing


def test_firing_is_a_red_badge_and_times_show_their_zone(admin_client: Client) -> None:
    AlertRule.objects.filter(name="memory usage high").update(
        firing=True, last_value=93.5, last_evaluated_at=datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    )
    page = admin_client.get("/admin/monitoring/alertrule/").content.decode()
    row = page[page.index("memory usage high") :]
    row = row[: row.index("</tr>")]
    assert 'class="argus-firing"' in row and ">firing</span>" in row and "background:#ba2121" in row
    assert "icon-yes" not in row and "icon-no" not in row  # not Django's green tick / red cross
    # 01:30 UTC is 09:30 in Shanghai, printed with the zone's name and offset.
    assert "2026-03-02 09:30:00 CST (+0800)" in row
    # The threshold is a column of its own (editable), apart from the name.
    assert '-threshold" value="80.0"' in row and '-min_samples" value="0"' in row
    other = page[page.index("error rate high") :]
    assert "argus-firing" not in other[: other.index("</tr>")]
