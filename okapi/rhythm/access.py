"""The only way views and the API reach the rhythm's settings rows: isolation and roles here.

Outgoing webhooks and their delivery log are for owners and admins (docs/permissions.md);
another workspace's endpoint or delivery is not found.
"""

from __future__ import annotations

from okapi.errors import NotFound
from okapi.rhythm.models import WebhookDelivery, WebhookEndpoint
from okapi.workspaces.access import Actor, require_admin

MAX_ID = 2_147_483_647  # a larger number in a URL is no row (and would overflow the query)


def get_webhook_for_user(actor: Actor, pk: int) -> WebhookEndpoint:
    """An endpoint of the actor's workspace (admins only: its URL may hold a credential)."""
    if not 1 <= pk <= MAX_ID:
        raise NotFound(f"no webhook {pk}")
    endpoint = WebhookEndpoint.objects.filter(workspace=actor.workspace, pk=pk).first()
    if endpoint is None:
        raise NotFound(f"no webhook {pk}")
    require_admin(actor)
    return endpoint


def get_delivery_for_user(actor: Actor, endpoint: WebhookEndpoint, pk: int) -> WebhookDelivery:
    """A delivery of an endpoint the actor reached through `get_webhook_for_user`."""
    found = (
        WebhookDelivery.objects.filter(endpoint=endpoint, pk=pk).first() if pk <= MAX_ID else None
    )
    if found is None:
        raise NotFound(f"no delivery {pk} of webhook {endpoint.pk}")
    found.endpoint = endpoint
    return found
