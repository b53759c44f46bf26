"""Schoolbrug's own `check --deploy` warnings: settings that are fine for the demo on one
machine but not for a production service."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def deployment_keys(app_configs, **kwargs) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    if getattr(settings, "SECRET_KEY_FROM_FILE", False):
        messages.append(
            checks.Warning(
                "The secret key is the one Schoolbrug made in SCHOOLBRUG_VAR_DIR/secret_key.",
                hint="Set SCHOOLBRUG_SECRET_KEY (the same on every machine that serves or "
                "syncs), so that it is kept with your other secrets and not with the data.",
                id="schoolbrug.W001",
            )
        )
    if not settings.SCHOOLBRUG_ENCRYPTION_KEYS:
        messages.append(
            checks.Warning(
                "SCHOOLBRUG_ENCRYPTION_KEY is not set: stored secrets are encrypted with a key "
                "derived from the secret key, and a new secret key makes them unreadable.",
                hint="Set SCHOOLBRUG_ENCRYPTION_KEY to a Fernet key (README, Security).",
                id="schoolbrug.W002",
            )
        )
    if settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
        messages.append(
            checks.Warning(
                "SCHOOLBRUG_EMAIL_HOST is not set: password reset and invitation mails, with "
                "their set-password links, are printed to the process's output.",
                hint="Set SCHOOLBRUG_EMAIL_HOST (and _PORT, _USER, _PASSWORD, _FROM) to a mail "
                "server (README, Log-in and roles).",
                id="schoolbrug.W003",
            )
        )
    if getattr(settings, "SCHOOLBRUG_INFORMAT_ALLOW_LOOPBACK", False):
        messages.append(
            checks.Error(
                "SCHOOLBRUG_INFORMAT_ALLOW_LOOPBACK is on: Informat pulls may reach this machine.",
                hint="It is for tests only; remove it.",
                id="schoolbrug.E001",
            )
        )
    return messages
