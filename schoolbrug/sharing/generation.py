"""Keeps VisibilityGeneration's token moving with every change to sharing, apps and grants.

Every writer of those tables goes through model saves, deletes and many-to-many changes
(consent.py, access.py, the admin), so signals catch them all; bulk writes (a benchmark's
set-up) call `bump()` themselves.
"""

from __future__ import annotations

import uuid

from django.db import connection
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import App, AppGrant, ProtocolVersion, Sharing, VisibilityGeneration

TABLE = VisibilityGeneration._meta.db_table


def bump(**_signal) -> None:
    token = uuid.uuid4().hex
    if not VisibilityGeneration.objects.filter(pk=1).update(token=token):
        VisibilityGeneration.objects.update_or_create(pk=1, defaults={"token": token})


def connect() -> None:
    for model in (Sharing, App, AppGrant, ProtocolVersion):
        post_save.connect(bump, sender=model, dispatch_uid=f"generation-save-{model.__name__}")
        post_delete.connect(bump, sender=model, dispatch_uid=f"generation-del-{model.__name__}")
    m2m_changed.connect(bump, sender=AppGrant.classes.through, dispatch_uid="generation-m2m")


def current_token() -> str | None:
    """None when the row is missing (a flushed test database): then nothing is kept."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {TABLE} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None
