from django.urls import path

from . import accounts, views

app_name = "roles"

urlpatterns = [
    path("personen/", views.people, name="people"),
    path("personen/rollen/", views.grants, name="grants"),
    path("personen/rollen/<int:pk>/beeindigen/", views.grant_end, name="grant_end"),
    path("personen/uitnodigen/", views.invite, name="invite"),
    path("meekijken/<int:pk>/", views.view_as_start, name="view_as_start"),
    path("meekijken/stoppen/", views.view_as_stop, name="view_as_stop"),
    # Log-in help by mail; Django's English default pages stay off (web/urls.py).
    path(
        "accounts/wachtwoord-vergeten/",
        accounts.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/wachtwoord-vergeten/verstuurd/",
        accounts.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/wachtwoord/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/wachtwoord/ingesteld/",
        accounts.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
