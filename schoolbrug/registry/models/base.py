import uuid

from django.db import models


class SourcedModel(models.Model):
    """An entity with a public id that never changes, not even in a merge."""

    sourced_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True
