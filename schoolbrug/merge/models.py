"""What a merge keeps in the database it runs in: the plans registered here, the directors'
approvals of them, each run of `schoolbrug merge execute`, and the read-only flag.

A plan is known by its digest (m1core's plan.py: sha256 over the plan without the digest), so
a plan edited after an approval is another plan and the approval does not count for it. The
moving side's directors approve in their own Schoolbrug: their approvals are rows of this
table in the source database, read from there at execute.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

DIGEST_LENGTH = 64  # sha256, hex


class MergePlanRecord(models.Model):
    """A plan file as it was registered in this database (uploaded, approved or executed)."""

    digest = models.CharField(max_length=DIGEST_LENGTH, unique=True)
    plan = models.JSONField()
    registered_by = models.CharField(max_length=200)
    registered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-registered_at", "-id"]

    def __str__(self) -> str:
        return f"plan {self.digest[:12]}"


class MergeApproval(models.Model):
    """One director's (or board admin's) yes to one plan, for one institution."""

    class Side(models.TextChoices):
        RECEIVING = "receiving", "ontvangende databank"
        MOVING = "moving", "verhuizende databank"

    class Via(models.TextChoices):
        WEB = "web", "webpagina"
        CLI = "cli", "opdrachtregel"

    digest = models.CharField(max_length=DIGEST_LENGTH, db_index=True)
    email = models.CharField(max_length=254)  # lower case
    institution_number = models.CharField(max_length=100)
    side = models.CharField(max_length=10, choices=Side.choices)
    via = models.CharField(max_length=3, choices=Via.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["digest", "email", "institution_number"], name="merge_one_approval_each"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} {self.institution_number} {self.digest[:12]}"


class MergeRun(models.Model):
    """One `schoolbrug merge execute` of a plan, and its rollback."""

    class State(models.TextChoices):
        PLANNED = "planned", "gepland"
        RUNNING = "running", "bezig"
        DONE = "done", "uitgevoerd"
        FAILED = "failed", "mislukt"
        ROLLED_BACK = "rolled_back", "teruggezet"

    digest = models.CharField(max_length=DIGEST_LENGTH, db_index=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PLANNED)
    started_by = models.CharField(max_length=200)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    backup_path = models.CharField(max_length=1000, blank=True)
    report_path = models.CharField(max_length=1000, blank=True)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)  # English, for the operator's log

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"merge run {self.pk} {self.state}"


class ReadOnlyFlag(models.Model):
    """Present (one row, id 1) while a merge or its rollback runs: the site and the API are
    read-only (merge/readonly.py). Committed before the backup and the fold start, so every
    process sees it; the primary key also keeps a second merge from starting meanwhile. The
    process that holds it is named, so a flag left by a killed process can be taken over."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    run = models.ForeignKey(MergeRun, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=10)  # "execute" | "rollback"
    since = models.DateTimeField(default=timezone.now)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(name="merge_one_flag", condition=Q(id=1))]

    def __str__(self) -> str:
        return f"read-only since {self.since:%Y-%m-%d %H:%M} ({self.action})"
