"""Routes for monitoring tests: the real monitoring URLs plus stand-in DRF views at the other
areas' paths, so limits and keys are tested through HTTP whatever those areas have landed."""

from __future__ import annotations

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.envelope import success
from monitoring.urls import urlpatterns as monitoring_urls


class Echo(APIView):
    """Answers with the key DRF saw as request.auth; ?fail=1 answers 500."""

    def _answer(self, request: Request) -> Response:
        if request.query_params.get("fail"):
            return Response(success({"failed": True}), status=500)
        key = request.auth
        return Response(success({"key": key.name if key is not None else None}))

    get = post = put = delete = _answer


urlpatterns = [
    *monitoring_urls,
    path("api/v1/market_data/latest", Echo.as_view()),
    path("api/v1/market_data/history", Echo.as_view()),
    path("api/v1/cache/clear", Echo.as_view()),
    path("api/v1/cache/stats", Echo.as_view()),
    path("api/v1/connection_pool/pools", Echo.as_view()),
]
