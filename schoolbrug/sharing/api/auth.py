"""Bearer tokens issued by the token endpoint (django-oauth-toolkit), checked in one query,
and the OneRoster 1.2 scope each endpoint needs."""

from __future__ import annotations

import hashlib

from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from schoolbrug.sharing.models import SCOPE_ROSTER, SCOPE_ROSTER_CORE


class TokenClient:
    """The app behind a valid token: DRF's request.user for the rostering API."""

    is_authenticated = True

    def __init__(self, app_id: int, scopes: frozenset[str]) -> None:
        self.app_id = app_id
        self.scopes = scopes


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            return None
        checksum = hashlib.sha256(token.strip().encode()).hexdigest()
        row = (
            AccessToken.objects.filter(token_checksum=checksum, expires__gt=timezone.now())
            .values_list("application__schoolbrug_app__pk", "scope")
            .first()
        )
        if row is None or row[0] is None:
            return None
        return TokenClient(row[0], frozenset(row[1].split())), token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="oneroster"'


class RosterScope(BasePermission):
    """Core endpoints: roster-core.readonly or roster.readonly. Demographics endpoints:
    roster-demographics.readonly or roster.readonly."""

    message = "the token lacks the OneRoster scope this endpoint needs"

    def has_permission(self, request, view) -> bool:
        client = request.user
        if not isinstance(client, TokenClient):
            return False
        needed = getattr(view, "scopes", (SCOPE_ROSTER_CORE, SCOPE_ROSTER))
        return not client.scopes.isdisjoint(needed)
