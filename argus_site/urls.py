"""Routes. Each app owns its `urls.py`; unknown routes answer NOT_FOUND in the spec's envelope."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from argus_site import views
from argus_site.docs import asyncapi_page, asyncapi_yaml
from marketdata.views.preload import CachePreloadView

urlpatterns = [
    path("", views.landing, name="landing"),
    # Browsers ask for /favicon.ico on every page (the admin's too): answer it rather than a 404.
    path("favicon.ico", RedirectView.as_view(url=static("console/favicon.svg"), permanent=True)),
    path("console/", views.console, name="console"),
    path("console/market/", views.market, name="console-market"),
    path("admin/", admin.site.urls),
    path("", include("monitoring.urls")),
    path("api/v1/market_data/", include("marketdata.urls")),
    # Preloading reads market data, which the cache manager below knows nothing of.
    path("api/v1/cache/preload", CachePreloadView.as_view(), name="cache-preload"),
    path("api/v1/cache/", include("cachemgr.urls")),
    path("api/v1/connection_pool/", include("pools.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/asyncapi.yaml", asyncapi_yaml, name="asyncapi"),
    path("api/asyncapi/", asyncapi_page, name="asyncapi-docs"),
]

handler400 = "core.errors.handler400"
handler403 = "core.errors.handler403"
handler404 = "core.errors.handler404"
handler500 = "core.errors.handler500"
