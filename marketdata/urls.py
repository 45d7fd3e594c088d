from django.urls import URLPattern, path

from marketdata import views
from marketdata.views import nodes, recorded

urlpatterns: list[URLPattern] = [
    path("latest", views.LatestView.as_view(), name="market-data-latest"),
    path("full", views.FullView.as_view(), name="market-data-full"),
    path("history", views.HistoryView.as_view(), name="market-data-history"),
    path("recorded_ticks", recorded.RecordedTicksView.as_view(), name="market-data-recorded-ticks"),
    path("coverage", recorded.CoverageView.as_view(), name="market-data-coverage"),
    path("instrument_detail", views.InstrumentDetailView.as_view(), name="market-data-instrument-detail"),
    path("trading_dates", views.TradingDatesView.as_view(), name="market-data-trading-dates"),
    # Node to node (gateways whose source is `upstream`): marketdata/views/nodes.py.
    path("instruments", nodes.InstrumentsView.as_view(), name="market-data-instruments"),
    path("ticks", nodes.TicksView.as_view(), name="market-data-ticks"),
    path("trades", nodes.TradesView.as_view(), name="market-data-trades"),
    path("corporate_actions", nodes.CorporateActionsView.as_view(), name="market-data-corporate-actions"),
]
