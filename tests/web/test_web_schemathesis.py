"""Fuzz the REST API from its own OpenAPI schema, in-process: no input may cause a server error."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error


def test_api_schema_fuzz(web_app, registry, make_user, api_headers):
    make_user("fuzz", roles=["supervisor", "police_liaison"])
    headers = api_headers("fuzz")
    schema = schemathesis.openapi.from_dict(web_app.openapi())
    schema.app = web_app
    operations = [op.ok() for op in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/lines/search", "/api/lines/unmask", "/api/audit/search", "/api/me"}
    calls = 0
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def fuzz(case):
            nonlocal calls
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error])
            calls += 1

        fuzz()
    assert calls >= 4 * 5
