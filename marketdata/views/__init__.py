"""Market-data REST views: parse with a serializer, call one selector, render the envelope."""

from marketdata.views.history import HistoryView
from marketdata.views.quotes import FullView, LatestView
from marketdata.views.reference import InstrumentDetailView, TradingDatesView

__all__ = ["FullView", "HistoryView", "InstrumentDetailView", "LatestView", "TradingDatesView"]
