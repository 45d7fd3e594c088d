"""/health, /metrics and /api/v1/metrics/*: plain Django views, described in OpenAPI by monitoring.schemas."""

from django.urls import path

from monitoring import views
from monitoring.schemas import HealthDoc, PrometheusDoc, ServiceMetricsDoc, SystemMetricsDoc, documented

urlpatterns = [
    path("health", documented(views.health, HealthDoc), name="health"),
    path("metrics", documented(views.prometheus, PrometheusDoc), name="metrics"),
    path("api/v1/metrics/system", documented(views.metrics_system, SystemMetricsDoc), name="metrics-system"),
    path("api/v1/metrics/service", documented(views.metrics_service, ServiceMetricsDoc), name="metrics-service"),
]
