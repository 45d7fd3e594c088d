"""Admin login is rate limited: repeated failures from one address lock it out, and are logged."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from monitoring.services.ratelimit import rate_limits_reset

PASSWORD = "correct horse battery staple"


@pytest.fixture
def operator(db: None, settings: Any) -> User:
    settings.ARGUS_RATE_LIMITS = {**settings.ARGUS_RATE_LIMITS, "admin_login": (5, 900.0)}
    rate_limits_reset()
    yield User.objects.create_superuser("operator", "ops@example.com", PASSWORD)
    rate_limits_reset()


def _login(password: str, ip: str = "203.0.113.7") -> Any:
    client = Client(REMOTE_ADDR=ip)
    return client.post("/admin/login/?next=/admin/", {"username": "operator", "password": password})


def test_five_failures_lock_the_address_out_even_with_the_right_password(operator: User, caplog: Any) -> None:
    caplog.set_level(logging.WARNING, logger="argus.security")
    for _ in range(5):
        assert _login("wrong").status_code == 200  # the form again, with Django's error
    refused = _login(PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 900
    assert "Too many failed logins" in refused.content.decode()
    failures = [r.getMessage() for r in caplog.records if "admin login failed" in r.getMessage()]
    assert len(failures) == 5 and "'operator'" in failures[0] and "203.0.113.7" in failures[0]
    assert any("locked out for" in r.getMessage() for r in caplog.records)


def test_another_address_still_logs_in_and_fewer_failures_do_not_lock(operator: User) -> None:
    for _ in range(5):
        _login("wrong")
    assert _login(PASSWORD, ip="198.51.100.2").status_code == 302  # logged in: redirected to /admin/
    for _ in range(4):
        _login("wrong", ip="192.0.2.9")
    assert _login(PASSWORD, ip="192.0.2.9").status_code == 302
