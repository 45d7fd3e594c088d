from django.urls import URLPattern, path

from marketdata import views

urlpatterns: list[URLPattern] = [
    path("latest", views.LatestView.as_view(), name="market-data-latest"),
    path("full", views.FullView.as_view(), name="market-data-full"),
    path("history", views.HistoryView.as_view(), name="market-data-history"),
    path("instrument_detail", views.InstrumentDetailView.as_view(), name="market-data-instrument-detail"),
    path("trading_dates", views.TradingDatesView.as_view(), name="market-data-trading-dates"),
]
