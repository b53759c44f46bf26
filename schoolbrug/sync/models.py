from django.db import models

from schoolbrug.registry.models import INSTITUTION_IDENTIFIER_LENGTH


class SyncRun(models.Model):
    """One sync of one institution: what was read, what was planned, what was applied."""

    class Status(models.TextChoices):
        APPLIED = "applied", "toegepast"
        DRY_RUN = "dry_run", "proefdraai"
        STOPPED = "stopped", "gestopt door veiligheidscontrole"
        BAD_INPUT = "bad_input", "onleesbare export"
        FAILED = "failed", "mislukt: fout in Schoolbrug, niets gewijzigd"
        BUSY = "busy", "geweigerd: er liep al een synchronisatie"

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.CharField(max_length=200)  # person, "cli", "scheduler", ...
    source = models.CharField(max_length=20)
    institution_number = models.CharField(max_length=INSTITUTION_IDENTIFIER_LENGTH, db_index=True)
    source_hash = models.CharField(max_length=64, blank=True)
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    counts = models.JSONField(default=dict, blank=True)
    findings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"run {self.pk} {self.institution_number} {self.status}"


class HeldLeaver(models.Model):
    """A pupil a sync would have moved to the leavers in the institution's blackout period
    (sync/blackout.py). Kept until a sync after the period moves them (a delta names a leaver
    once), finds them in the export again, or moves them with --force."""

    pupil = models.OneToOneField(
        "registry.Pupil", on_delete=models.CASCADE, related_name="held_leave"
    )
    held_since = models.DateTimeField()
    sync_run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"held leaver {self.pupil_id}"
