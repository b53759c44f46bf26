from django.db import models


class AuditEntry(models.Model):
    """One change to registry data: who, when, what and why. History users can read."""

    class Action(models.TextChoices):
        CREATE = "create", "aangemaakt"
        UPDATE = "update", "gewijzigd"
        MOVE = "move", "van klas veranderd"
        LEAVE = "leave", "naar Schoolverlaters"
        RETURN = "return", "teruggekeerd"
        ADOPT = "adopt", "overgenomen"
        END = "end", "beëindigd"
        ACTIVATE = "activate", "delen geactiveerd"
        DEACTIVATE = "deactivate", "delen gestopt"
        GRANT = "grant", "toegang gegeven"
        REVOKE = "revoke", "toegang ingetrokken"
        DELETE = "delete", "verwijderd"
        # A site or board admin sees the portal as another person, and stops (roles/view_as.py).
        VIEW_AS = "view_as", "meekijken gestart"
        VIEW_END = "view_end", "meekijken gestopt"

    at = models.DateTimeField(db_index=True)
    # A person's e-mail/username, "cli", "scheduler", "celery", or "onbekend" for a change
    # made outside any audit context (audit.context).
    actor = models.CharField(max_length=200)
    # Why: "sync run 42", "import staff.csv", "manual".
    reason = models.CharField(max_length=200)
    sync_run = models.ForeignKey(
        "sync.SyncRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit"
    )
    # As long as registry.Institution.number (INSTITUTION_IDENTIFIER_LENGTH): audit imports
    # nothing from the registry.
    institution_number = models.CharField(max_length=100, blank=True, db_index=True)
    entity = models.CharField(max_length=20)  # "pupil", "class", ... (audit.audited)
    # The entity's sourced_id; for models without one an id derived from table and key.
    entity_sourced_id = models.UUIDField(db_index=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    # {"field": [old, new]}; national numbers appear only masked.
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.entity}"
