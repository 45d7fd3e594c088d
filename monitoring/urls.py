from django.urls import path

from monitoring import views

urlpatterns = [
    path("health", views.health, name="health"),
    path("metrics", views.prometheus, name="metrics"),
    path("api/v1/metrics/system", views.metrics_system, name="metrics-system"),
    path("api/v1/metrics/service", views.metrics_service, name="metrics-service"),
]
