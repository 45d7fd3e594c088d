"""Routes under /api/v1/connection_pool/."""

from django.urls import path

from pools import views

urlpatterns = [
    path("pools", views.PoolListView.as_view(), name="pool-list"),
    path("pools/<str:pool_name>", views.PoolDetailView.as_view(), name="pool-detail"),
    path("pools/<str:pool_name>/scale", views.PoolScaleView.as_view(), name="pool-scale"),
    path("pools/<str:pool_name>/health_check", views.PoolHealthCheckView.as_view(), name="pool-health-check"),
    path("pools/<str:pool_name>/nodes", views.PoolNodesView.as_view(), name="pool-nodes"),
    path("pools/<str:pool_name>/nodes/<str:address>", views.PoolNodeDetailView.as_view(), name="pool-node"),
]
