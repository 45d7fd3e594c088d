from django.urls import path

from cachemgr import views

urlpatterns = [
    path("stats", views.CacheStatsView.as_view(), name="cache-stats"),
    path("clear", views.CacheClearView.as_view(), name="cache-clear"),
    path("cleanup", views.CacheCleanupView.as_view(), name="cache-cleanup"),
    path("optimize", views.CacheOptimizeView.as_view(), name="cache-optimize"),
    path("config", views.CacheConfigView.as_view(), name="cache-config"),
]
