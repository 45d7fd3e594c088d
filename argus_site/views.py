"""Our HTML pages (templates/): the landing page, the operator console and the live market page.

Everything else Argus serves is JSON; these are for people. The console is for staff (the admin's
login); the market page reads the public API and WebSocket as any client does.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from argus_site.console import console_figures, market_status
from marketdata.models import Instrument
from marketdata.sources import get_source
from marketdata.symbols import InvalidSymbol, parse_symbol
from streaming.services.feed import feed_status

logger = logging.getLogger("argus.console")

# The market page's watchlist when none is asked for: the spec's examples.
DEFAULT_WATCHLIST = ("000001.SZ", "600000.SH", "600519.SH", "000858.SZ", "300750.SZ")
MAX_WATCHLIST = 50


def landing(request: HttpRequest) -> HttpResponse:
    """GET /: what this is and where to go."""
    return render(request, "landing.html", {"version": settings.ARGUS_VERSION})


@staff_member_required
def console(request: HttpRequest) -> HttpResponse:
    """GET /console/: the status page; `?fragment=1` answers only the figures (the page's live refresh)."""
    context = {"figures": console_figures(), "refresh_seconds": 5}
    if request.GET.get("fragment"):
        return render(request, "console/_status.html", context)
    return render(request, "console/index.html", context)


@staff_member_required
def market(request: HttpRequest) -> HttpResponse:
    """GET /console/market/?symbols=000001.SZ,600000.SH: the live watchlist, order book and charts."""
    raw = request.GET.get("symbols", "")
    asked = [part.strip() for part in raw.split(",") if part.strip()] or list(DEFAULT_WATCHLIST)
    symbols: list[str] = []
    invalid: list[str] = []
    for text in asked[:MAX_WATCHLIST]:
        try:
            symbol = parse_symbol(text).symbol
        except InvalidSymbol:
            invalid.append(text)
            continue
        if symbol not in symbols:
            symbols.append(symbol)
    selected = request.GET.get("symbol", "").strip().upper()
    context = {
        "rows": _initial_rows(symbols),
        "market": market_status(),
        "symbols": symbols,
        "invalid": invalid,
        "too_many": len(asked) > MAX_WATCHLIST,
        "max_watchlist": MAX_WATCHLIST,
        "selected": selected if selected in symbols else (symbols[0] if symbols else ""),
    }
    return render(request, "console/market.html", context)


def _initial_rows(symbols: list[str]) -> list[dict[str, Any]]:
    """Each row's state before the first push: the source's tick status and limit prices, the feed's stale marks.

    The WebSocket sends a symbol's `status` only when it changes, so a page opened while a stock is
    at its limit or suspended learns it here; later pushes and status frames keep it current.
    """
    names = dict(Instrument.objects.filter(symbol__in=symbols).values_list("symbol", "name"))
    try:
        ticks = get_source().latest_ticks(symbols)
    except Exception:
        logger.warning("market page: the source's ticks are unavailable", exc_info=True)
        ticks = {}
    try:
        stale = set(feed_status()["stale_symbols"])
    except Exception:
        stale = set()
    rows = []
    for symbol in symbols:
        tick = ticks.get(symbol)
        state = "stale" if symbol in stale else (tick.status.value if tick is not None else "pending")
        rows.append(
            {
                "symbol": symbol,
                "name": names.get(symbol, ""),
                "state": state,
                "limit_up": tick.limit_up if tick is not None else None,
                "limit_down": tick.limit_down if tick is not None else None,
            }
        )
    return rows
