"""The OAuth2 token endpoint (client credentials) apps fetch their bearer token from, with a
limit on failed client authentications (token_limits.py)."""

from django.urls import path

from .token_limits import RevokeTokenView, TokenView

app_name = "oauth2"
urlpatterns = [
    path("token/", TokenView.as_view(), name="token"),
    path("revoke_token/", RevokeTokenView.as_view(), name="revoke-token"),
]
