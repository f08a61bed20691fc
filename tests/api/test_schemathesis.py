"""Property-based API testing: schemathesis generates requests from the OpenAPI document and
fails on any 5xx or any response that breaks the schema. The number of examples is bounded
(OKAPI_SCHEMATHESIS_EXAMPLES, default 25 per operation) so the suite stays fast."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from okapi.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
# No 5xx, every answer in the documented status codes, content types and body schemas. (Not
# "positive data acceptance": a request can be well-formed yet name an unknown team.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.ignored_auth,
]
EXAMPLES = int(os.environ.get("OKAPI_SCHEMATHESIS_EXAMPLES", "25"))


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Schemathesis calls the raw WSGI app, whose request signals close a database connection
    that is not in autocommit mode: the test's own transaction, on PostgreSQL. Django's test
    client disconnects the same handler for the same reason."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(okrs):
    """Alice (owner) in a workspace with a cycle, objectives, KRs, a KPI and an initiative."""
    from okapi.workspaces.services import token_create

    return token_create(workspace=okrs.workspace, user=okrs.alice)[1]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],  # fmt: skip
)
def test_it_never_answers_5xx_and_keeps_to_its_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
