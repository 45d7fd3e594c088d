"""Schemathesis against the generated schema, in process: no 5xx, and every response conforms.

Bounded and deterministic (25 examples per operation, derandomized) so it fits in the normal suite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db


def _schema() -> Any:
    """The schema exactly as /api/schema/ serves it, generated from the code."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(generated)))
    loaded.app = WSGIHandler()
    return loaded.include(path_regex="^/api/v1/market_data/")


schema = _schema()


@pytest.fixture(autouse=True)
def _keep_test_connection() -> Iterator[None]:
    """Like Django's test client: requests must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_market_data_api_conforms(case: Any, reference_data: None) -> None:
    # identity: answers past ARGUS_HTTP_GZIP_MIN_BYTES are gzip-encoded for clients that accept it, and
    # the in-process WSGI transport (unlike an HTTP client) does not decode them; tests/marketdata/
    # test_api_compression.py covers the encoded answers, and tests/test_schemathesis_cli.py runs
    # every check over real HTTP with compression on.
    case.call_and_validate(
        headers={"Accept-Encoding": "identity"},
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
