"""The OpenAPI schema: generated from the code, and real responses of every market-data endpoint conform to it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.core.cache import cache

from cachemgr.services import state
from marketdata.models import Instrument
from tests.support.paths import ROOT

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def openapi(client: Any) -> dict[str, Any]:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return dict(response.json())


def conforms(
    openapi: dict[str, Any], path: str, status: int, body: Any, media: str = JSON, method: str = "get"
) -> None:
    operation = openapi["paths"][path][method]
    schema = operation["responses"][str(status)]["content"][media]["schema"]
    validator = jsonschema.Draft202012Validator({**schema, "components": openapi["components"]})
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(body)]
    assert not errors, errors


def _requests(symbol: str) -> list[tuple[str, dict[str, str]]]:
    last_month_end = date.today().replace(day=1) - timedelta(days=1)
    month = {"start_date": last_month_end.replace(day=1).isoformat(), "end_date": last_month_end.isoformat()}
    return [
        ("latest", {"symbols": symbol}),
        ("latest", {"symbols": symbol, "fields": "price,volume,change"}),
        ("full", {"symbols": symbol}),
        ("full", {"symbols": symbol, "fields": "orderbook", "depth": "10"}),
        ("history", {"symbols": symbol, **month}),
        ("history", {"symbols": symbol, **month, "period": "30m", "adjust": "pre"}),
        ("instrument_detail", {"symbols": symbol}),
        ("trading_dates", {**month, "market": "SH"}),
    ]


def test_every_endpoint_answers_as_its_schema_says(client: Any, openapi: dict[str, Any], reference_data: None) -> None:
    symbol = Instrument.objects.stocks().order_by("symbol").values_list("symbol", flat=True).first()
    assert symbol is not None
    for use_cache in ("false", "true"):
        cache.clear()
        state.process_reset()
        for name, query in _requests(symbol):
            path = f"/api/v1/market_data/{name}"
            params = {**query, "use_cache": use_cache} if name != "trading_dates" else query
            response = client.get(path, params)
            assert response.status_code == 200, (path, response.content[:500])
            conforms(openapi, path, 200, response.json())


def test_errors_answer_as_the_schema_says(client: Any, openapi: dict[str, Any], reference_data: None) -> None:
    Instrument.objects.filter(symbol="603999.SH").delete()
    cases = [
        ("/api/v1/market_data/latest", {}, 400),
        ("/api/v1/market_data/history", {"symbols": "x", "start_date": "2024-01-01", "end_date": "2024-01-02"}, 400),
        ("/api/v1/market_data/full", {"symbols": "603999.SH"}, 404),
    ]
    for path, query, status in cases:
        response = client.get(path, query)
        assert response.status_code == status
        conforms(openapi, path, status, response.json())


TAGS = {"market data", "market_data (node to node)", "cache", "pools", "monitoring"}
# (path template, method) that take a JSON body: each must say what it takes.
BODIES = {
    ("/api/v1/cache/preload", "post"),
    ("/api/v1/cache/config", "patch"),
    ("/api/v1/cache/config", "put"),
    ("/api/v1/connection_pool/pools", "post"),
    ("/api/v1/connection_pool/pools/{pool_name}/scale", "post"),
    ("/api/v1/connection_pool/pools/{pool_name}/nodes", "post"),
}


def test_the_schema_generates_with_no_warning_or_error(tmp_path: Path) -> None:
    """`manage.py spectacular --fail-on-warn --validate` in a fresh process (warnings are printed once per process)."""
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--fail-on-warn",
            "--validate",
            "--file",
            str(tmp_path / "s.yaml"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "argus_site.settings.test"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Warning" not in result.stderr and "Error" not in result.stderr, result.stderr[-3000:]


API = ("api/", "health", "metrics")  # the pages (landing, console, admin) are not API
DOCS = ("api/schema", "api/docs", "api/asyncapi")


def _routes() -> list[tuple[str, list[str]]]:
    """Every API route the site serves (pages and the docs themselves aside), as an OpenAPI path and its methods."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found: list[tuple[str, list[str]]] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if not route.startswith("admin/"):
                    walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith(API) and not route.startswith(DOCS):
                view = getattr(entry.callback, "view_class", None)
                methods = [m for m in ("get", "post", "put", "patch", "delete") if view and hasattr(view, m)] or ["get"]
                path = "/" + route.replace("<str:", "{").replace(">", "}")
                found.append((path, methods))

    walk(get_resolver().url_patterns, "")
    return found


def test_every_route_is_documented_with_tags_bodies_and_responses(openapi: dict[str, Any]) -> None:
    routes = _routes()
    assert {"/health", "/metrics", "/api/v1/metrics/system", "/api/v1/cache/clear"} <= {p for p, _ in routes}
    for path, methods in routes:
        assert path in openapi["paths"], f"{path} is not in the schema"
        for method in methods:
            operation = openapi["paths"][path].get(method)
            assert operation is not None, f"{method.upper()} {path} is not in the schema"
            assert set(operation["tags"]) <= TAGS and operation["tags"], (path, operation["tags"])
            ok = [code for code in operation["responses"] if code in ("200", "201")]
            assert ok, f"{method.upper()} {path}: no success response"
            assert operation["responses"][ok[0]].get("content"), f"{method.upper()} {path}: success has no schema"
            if (path, method) in BODIES:
                body = operation.get("requestBody", {}).get("content", {}).get(JSON, {}).get("schema")
                assert body, f"{method.upper()} {path}: no request body schema"
    assert {tag["name"] for tag in openapi["tags"]} == TAGS
    assert "/api/asyncapi.yaml" in openapi["info"]["description"]


def test_cache_pool_and_monitoring_answers_are_as_the_schema_says(
    client: Any, openapi: dict[str, Any], reference_data: None
) -> None:
    pool = "/api/v1/connection_pool/pools"
    created = client.post(
        pool,
        {
            "name": "schema_pool",
            "config": {"min_size": 1, "max_size": 4},
            "server_nodes": [{"host": "127.0.0.1", "port": 9}],
        },
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    conforms(openapi, pool, 201, created.json(), method="post")
    client.get("/api/v1/market_data/latest", {"symbols": "000001.SZ"})
    calls = [
        ("get", "/api/v1/cache/stats", "/api/v1/cache/stats", None, 200),
        ("get", "/api/v1/cache/config", "/api/v1/cache/config", None, 200),
        ("patch", "/api/v1/cache/config", "/api/v1/cache/config", {"cache_rules": {"LATEST_DATA": {"ttl": 31}}}, 200),
        ("put", "/api/v1/cache/config", "/api/v1/cache/config", {"cache_rules": {"LATEST_DATA": {"ttl": 30}}}, 400),
        ("post", "/api/v1/cache/optimize", "/api/v1/cache/optimize", None, 200),
        ("post", "/api/v1/cache/preload", "/api/v1/cache/preload", {"symbols": ["000001.SZ"]}, 200),
        ("post", "/api/v1/cache/preload", "/api/v1/cache/preload", {"symbols": []}, 400),
        ("post", "/api/v1/cache/cleanup", "/api/v1/cache/cleanup", None, 200),
        ("delete", "/api/v1/cache/clear?level=L1", "/api/v1/cache/clear", None, 200),
        ("get", pool, pool, None, 200),
        ("get", f"{pool}/schema_pool", f"{pool}/{{pool_name}}", None, 200),
        ("get", f"{pool}/nope", f"{pool}/{{pool_name}}", None, 404),
        ("post", f"{pool}/schema_pool/scale", f"{pool}/{{pool_name}}/scale", {"target_size": 2}, 200),
        ("post", f"{pool}/schema_pool/scale", f"{pool}/{{pool_name}}/scale", {"target_size": 99}, 400),
        ("post", f"{pool}/schema_pool/health_check", f"{pool}/{{pool_name}}/health_check", None, 200),
        ("post", f"{pool}/schema_pool/nodes", f"{pool}/{{pool_name}}/nodes", {"host": "127.0.0.1", "port": 10}, 201),
        ("delete", f"{pool}/schema_pool/nodes/127.0.0.1:10", f"{pool}/{{pool_name}}/nodes/{{address}}", None, 200),
        ("delete", f"{pool}/schema_pool", f"{pool}/{{pool_name}}", None, 200),
        ("get", "/health", "/health", None, 200),
        ("get", "/api/v1/metrics/system", "/api/v1/metrics/system", None, 200),
        ("get", "/api/v1/metrics/service", "/api/v1/metrics/service", None, 200),
    ]
    for method, url, template, body, status in calls:
        response = getattr(client, method)(url, body, content_type=JSON) if body else getattr(client, method)(url)
        assert response.status_code == status, (method, url, response.content[:500])
        conforms(openapi, template, status, response.json(), method=method)
    refused = client.post("/health")
    assert refused.status_code == 405
    conforms(openapi, "/health", 405, refused.json())  # documented on the GET operation: the only one
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert "text/plain" in openapi["paths"]["/metrics"]["get"]["responses"]["200"]["content"]


def test_every_answer_the_edge_may_give_is_documented(openapi: dict[str, Any]) -> None:
    """What the edge decides before a view runs (monitoring.policy): a rate-limited route may answer
    429, one that may need a key 401 (unknown or revoked key) and 403 (a key without the scope)."""
    from monitoring.policy import policy_for

    missing = []
    for path, methods in _routes():
        concrete = path.replace("{pool_name}", "p").replace("{address}", "h:1")
        for method in methods:
            policy = policy_for(concrete, method)
            limited = {"429"} if policy.rate_class else set()
            expected = limited | ({"401", "403"} if policy.access != "open" else set())
            documented = set(openapi["paths"][path][method]["responses"])
            if expected - documented:
                missing.append(f"{method.upper()} {path}: {sorted(expected - documented)}")
    assert not missing, "\n".join(missing)
