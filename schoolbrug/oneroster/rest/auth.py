"""Bearer tokens issued by the token endpoint (django-oauth-toolkit), checked in one query
that also reads the request's visibility state, and the OneRoster 1.2 scope each endpoint
needs."""

from __future__ import annotations

import hashlib

from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from schoolbrug.sharing.models import SCOPE_ROSTER, SCOPE_ROSTER_CORE, App
from schoolbrug.sharing.visibility import STATE_COLUMNS, state_params

from . import sql

_TOKEN_SQL = (
    f"SELECT a.id, t.scope, {STATE_COLUMNS}"
    f" FROM {AccessToken._meta.db_table} t"
    f" JOIN {App._meta.db_table} a ON a.application_id = t.application_id"
    " WHERE t.token_checksum = %s AND t.expires > %s"
)


class TokenClient:
    """The app behind a valid token: DRF's request.user for the rostering API."""

    is_authenticated = True

    def __init__(self, app_id: int, scopes: frozenset[str], state: tuple) -> None:
        self.app_id = app_id
        self.scopes = scopes
        self.state = state  # visibility.STATE_COLUMNS, read with the token


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            return None
        checksum = hashlib.sha256(token.strip().encode()).hexdigest()
        now = sql.db_value(timezone.now())
        row = sql.fetch_one(_TOKEN_SQL, [*state_params(), checksum, now])
        if row is None:
            return None
        app_id, scope, *state = row
        return TokenClient(app_id, frozenset(scope.split()), tuple(state)), token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="oneroster"'


class RosterScope(BasePermission):
    """Core endpoints: roster-core.readonly or roster.readonly. Demographics endpoints name
    their own (`scopes`): only roster-demographics.readonly, as the official file says
    (roster.readonly is "excluding demographics")."""

    message = "the token lacks the OneRoster scope this endpoint needs"

    def has_permission(self, request, view) -> bool:
        client = request.user
        if not isinstance(client, TokenClient):
            return False
        needed = getattr(view, "scopes", (SCOPE_ROSTER_CORE, SCOPE_ROSTER))
        return not client.scopes.isdisjoint(needed)
