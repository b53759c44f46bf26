"""Pages of the sharing context, part of the "web" namespace (see urls.py)."""

from django.urls import path

from . import sharing_views

urlpatterns: list = [
    path("instellingen/<str:number>/delen/", sharing_views.sharing_settings, name="sharing"),
    path(
        "instellingen/<str:number>/delen/activeren/",
        sharing_views.sharing_activate,
        name="sharing_activate",
    ),
    path(
        "instellingen/<str:number>/delen/stoppen/",
        sharing_views.sharing_deactivate,
        name="sharing_deactivate",
    ),
    path("protocol/<str:version>/", sharing_views.protocol_text, name="protocol"),
    path("instellingen/<str:number>/applicaties/", sharing_views.apps, name="apps"),
    path(
        "instellingen/<str:number>/applicaties/<int:app_id>/",
        sharing_views.app_access,
        name="app_access",
    ),
    path(
        "instellingen/<str:number>/applicaties/<int:app_id>/intrekken/",
        sharing_views.app_revoke,
        name="app_revoke",
    ),
    path("instellingen/<str:number>/accounts/", sharing_views.accounts, name="accounts"),
    path("instellingen/<str:number>/accounts.csv", sharing_views.accounts_csv, name="accounts_csv"),
]
