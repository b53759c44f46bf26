"""The token endpoint's rules: grant what an app may have of what it asks for.

Real consumers ask for more than they may have (gradebook scopes, the `http://` spelling of
the scope URLs); OneRoster consumers expect the allowed subset, not an `invalid_scope` error.
"""

from __future__ import annotations

from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes

from schoolbrug.sharing.models import ROSTER_SCOPES, SCOPE_ROSTER_CORE, App

SCOPE_DESCRIPTIONS = {scope: scope.rsplit("/", 1)[-1] for scope in ROSTER_SCOPES}


def normalise_scope(scope: str) -> str:
    if scope.startswith("http://purl.imsglobal.org/"):
        return "https://" + scope.removeprefix("http://")
    return scope


def allowed_scopes(application) -> list[str]:
    try:
        return application.schoolbrug_app.scopes
    except App.DoesNotExist:
        return []


class RosterScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return dict(SCOPE_DESCRIPTIONS)

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        return allowed_scopes(application) if application is not None else list(ROSTER_SCOPES)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return allowed_scopes(application) if application is not None else [SCOPE_ROSTER_CORE]


class RosterValidator(OAuth2Validator):
    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs) -> bool:
        allowed = allowed_scopes(client)
        granted = [s for s in dict.fromkeys(map(normalise_scope, scopes)) if s in allowed]
        request.scopes = granted
        return bool(granted)
