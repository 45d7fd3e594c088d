"""Settings, symbols, calendar and health: the foundation every other part stands on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from argus_site.settings.config import Config
from marketdata.calendar import db_calendar
from marketdata.models import CalendarOverride, Instrument, TradingDay
from marketdata.services.calendar import calendar_changed
from marketdata.symbols import Board, InvalidSymbol, Kind, parse_symbol, parse_symbols


def test_environment_wins_over_yaml(tmp_path: Path) -> None:
    yaml_file = tmp_path / "settings.yaml"
    yaml_file.write_text("server:\n  port: 9001\n  debug: true\ncache:\n  redis:\n    host: redis.example\n")
    cfg = Config({"ARGUS_PORT": "9100"}, yaml_file)
    assert cfg.integer("ARGUS_PORT", 8001) == 9100
    assert cfg.flag("ARGUS_DEBUG", False) is True
    assert cfg.text("REDIS_HOST") == "redis.example"


def test_unknown_yaml_key_is_named(tmp_path: Path) -> None:
    yaml_file = tmp_path / "settings.yaml"
    yaml_file.write_text("server:\n  prot: 9001\n")
    with pytest.raises(ImproperlyConfigured, match=r"unknown key server\.prot"):
        Config({}, yaml_file)


def test_bad_values_say_what_is_wrong(tmp_path: Path) -> None:
    cfg = Config({"ARGUS_PORT": "eighty", "ARGUS_DEBUG": "maybe"}, tmp_path / "none.yaml")
    with pytest.raises(ImproperlyConfigured, match="ARGUS_PORT='eighty': expected an integer"):
        cfg.integer("ARGUS_PORT", 8001)
    with pytest.raises(ImproperlyConfigured, match="expected true or false"):
        cfg.flag("ARGUS_DEBUG", False)


@pytest.mark.parametrize(
    ("symbol", "board", "kind", "limit"),
    [
        ("000001.SZ", Board.SZ_MAIN, Kind.STOCK, Decimal("0.10")),
        ("600519.SH", Board.SH_MAIN, Kind.STOCK, Decimal("0.10")),
        ("300750.SZ", Board.CHINEXT, Kind.STOCK, Decimal("0.20")),
        ("688981.SH", Board.STAR, Kind.STOCK, Decimal("0.20")),
        ("430047.BJ", Board.BJ, Kind.STOCK, Decimal("0.30")),
        ("399001.SZ", Board.SZ_MAIN, Kind.INDEX, None),
        ("510300.SH", Board.SH_MAIN, Kind.ETF, Decimal("0.10")),
    ],
)
def test_symbol_board_and_limit(symbol: str, board: Board, kind: Kind, limit: Decimal | None) -> None:
    info = parse_symbol(symbol)
    assert (info.board, info.kind, info.limit_ratio()) == (board, kind, limit)


def test_st_limit_is_five_percent_on_main_boards_only() -> None:
    assert parse_symbol("000001.SZ").limit_ratio(is_st=True) == Decimal("0.05")
    assert parse_symbol("300001.SZ").limit_ratio(is_st=True) == Decimal("0.20")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("000001", "six digits, a dot and SH, SZ or BJ"),
        ("00001.SZ", "six digits"),
        ("600000.SZ", "code 600000 does not belong to market SZ"),
        ("000001.HK", "six digits, a dot and SH, SZ or BJ"),
    ],
)
def test_bad_symbols_say_what_to_fix(text: str, message: str) -> None:
    with pytest.raises(InvalidSymbol, match=message):
        parse_symbol(text)


def test_symbol_lists_fold_duplicates_and_cap() -> None:
    assert parse_symbols("000001.sz, 000001.SZ,600000.SH", maximum=5) == ["000001.SZ", "600000.SH"]
    with pytest.raises(InvalidSymbol, match="at most 1 per request"):
        parse_symbols("000001.SZ,600000.SH", maximum=1)


@pytest.mark.django_db
def test_calendar_sync_gives_242_days_in_2024(reference_data: None) -> None:
    for market in ("SH", "SZ", "BJ"):
        days = db_calendar.trading_days(market, date(2024, 1, 1), date(2024, 12, 31))
        assert len(days) == 242
    assert not db_calendar.is_trading_day("SH", date(2024, 2, 9))
    assert not db_calendar.is_trading_day("SZ", date(2024, 10, 7))
    assert db_calendar.is_trading_day("SH", date(2024, 10, 8))
    assert TradingDay.objects.filter(market="BJ", date__lt=date(2021, 11, 15)).count() == 0


@pytest.mark.django_db
def test_calendar_override_reaches_readers(reference_data: None) -> None:
    assert db_calendar.is_trading_day("SH", date(2024, 1, 2))
    CalendarOverride.objects.create(market="SH", date=date(2024, 1, 2), is_trading=False, reason="test closure")
    calendar_changed()
    assert not db_calendar.is_trading_day("SH", date(2024, 1, 2))
    assert db_calendar.is_trading_day("SZ", date(2024, 1, 2))


@pytest.mark.django_db
def test_ensure_admin_creates_once_with_given_password(settings, capsys) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth import authenticate, get_user_model

    settings.ARGUS_ADMIN_PASSWORD = ""
    call_command("ensure_admin")
    printed = capsys.readouterr().out
    password = printed.split("password ", 1)[1].split()[0]
    assert authenticate(username="admin", password=password) is not None
    # The banner: where everything is, the password once, how to reset it.
    assert "/admin/" in printed and "/api/docs/" in printed and "changepassword admin" in printed
    assert printed.count(password) == 1
    call_command("ensure_admin")
    again = capsys.readouterr().out
    assert "exists" in again and password not in again and "changepassword admin" in again
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_health_reports_real_probes(client, reference_data: None) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/health")
    body = response.json()
    assert set(body) >= {"status", "timestamp", "version", "uptime_seconds", "services"}
    assert body["services"]["database"] == "healthy"
    assert body["services"]["cache"] == "healthy"
    assert body["details"]["database"]["latency_ms"] > 0
    assert response.status_code == 200


@pytest.mark.django_db
def test_unknown_route_is_json_not_found(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "NOT_FOUND"
    assert "/api/v1/nowhere" in body["error"]["details"]


@pytest.mark.django_db
def test_instruments_table_exists() -> None:
    assert Instrument.objects.count() == 0


def test_a_bad_yaml_value_is_reported_by_its_yaml_key(tmp_path: Path) -> None:
    yaml_file = tmp_path / "settings.yaml"
    yaml_file.write_text("server:\n  port: eighty\n  debug: maybe\n")
    cfg = Config({}, yaml_file)
    with pytest.raises(
        ImproperlyConfigured, match=r"server\.port in .*settings\.yaml: 'eighty' is wrong, expected an integer"
    ):
        cfg.integer("ARGUS_PORT", 8001)
    with pytest.raises(ImproperlyConfigured, match=r"server\.debug in .*: 'maybe' is wrong, expected true or false"):
        cfg.flag("ARGUS_DEBUG", False)
    # The environment wins, and is then what is reported.
    with pytest.raises(ImproperlyConfigured, match="ARGUS_PORT='x': expected an integer"):
        Config({"ARGUS_PORT": "x"}, yaml_file).integer("ARGUS_PORT", 8001)
