"""The HTTP API (FORMATS §2): JSON under /api/, OpenAPI at /api/openapi.json, docs at /api/docs.

Errors: 401 without a valid token, 404 for anything outside the token's workspace, 403 for an
action the role does not allow, 422 naming each bad field. Nothing a client sends yields a 5xx.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DataError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from okapi.errors import Forbidden, Invalid, NotFound
from okapi.workspaces.access import Actor
from okapi.workspaces.services import token_authenticate

log = logging.getLogger(__name__)


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        if len(token) > 200 or "\x00" in token:
            return None
        return token_authenticate(token)


ERROR_RESPONSES = {
    "400": "the body is not valid JSON",
    "401": "missing, unknown or revoked API token",
    "403": "the token's role does not allow this action",
    "404": "no such resource in the token's workspace",
    "422": "invalid input; `detail` names each bad field",
}


class OkapiAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Declare the error answers every operation can give, with their body."""
        schema = super().get_openapi_schema(*args, **kwargs)
        schema["components"].setdefault("schemas", {})["Error"] = {
            "type": "object",
            "properties": {
                "detail": {
                    "anyOf": [
                        {"type": "string"},
                        {"type": "array", "items": {"type": "object"}},
                    ]
                }
            },
            "required": ["detail"],
        }
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_RESPONSES.items():
                    responses.setdefault(
                        status,
                        {
                            "description": description,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"}
                                }
                            },
                        },
                    )
        return schema


api = OkapiAPI(
    title="Okapi API",
    version="1",
    description=(
        "OKRs and KPIs side by side. Authenticate with `Authorization: Bearer <token>` "
        "(`okapi token add EMAIL --workspace KEY`). A token acts for one user in one workspace."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
)


def _invalid(request: HttpRequest, exc: Invalid) -> HttpResponse:
    detail = [
        {"loc": ["body", *field.split(".")], "msg": message, "type": "value_error"}
        for field, message in exc.errors.items()
    ]
    return api.create_response(request, {"detail": detail}, status=422)


def _not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "not found"}, status=404)


def _forbidden(request: HttpRequest, exc: Forbidden) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "forbidden"}, status=403)


def _unauthorized(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(
        request, {"detail": "missing, unknown or revoked API token"}, status=401
    )


def _data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    # The database refused a value that slipped past validation; the client still sent it.
    log.warning("database refused a value: %s", exc)
    return api.create_response(
        request, {"detail": [{"loc": ["body"], "msg": "a value is out of range"}]}, status=422
    )


api.add_exception_handler(Invalid, _invalid)
api.add_exception_handler(NotFound, _not_found)
api.add_exception_handler(Forbidden, _forbidden)
api.add_exception_handler(AuthenticationError, _unauthorized)
api.add_exception_handler(DataError, _data_error)


def actor(request: HttpRequest) -> Actor:
    auth: Any = request.auth  # type: ignore[attr-defined]
    assert isinstance(auth, Actor)
    return auth


from okapi.goals.api import router as goals_router  # noqa: E402
from okapi.goals.coach_api import router as coach_router  # noqa: E402
from okapi.kpis.api import router as kpis_router  # noqa: E402
from okapi.workspaces.api import router as workspaces_router  # noqa: E402

api.add_router("/", workspaces_router)
api.add_router("/", goals_router)
api.add_router("/", kpis_router)
api.add_router("/", "okapi.kpis.sources_api.router")
api.add_router("/", coach_router)
api.add_router("/", "okapi.rhythm.digest_api.router")
api.add_router("/", "okapi.rhythm.review_api.router")
api.add_router("/", "okapi.rhythm.webhooks_api.router")
