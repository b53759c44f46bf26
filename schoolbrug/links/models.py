"""The link between an institution and its administration package, and the exports that came
in over it. Their tables keep the names the sync app gave them (`sync_sourcelink`,
`sync_linkupload`): the models moved to this app in its state only, no data moved."""

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.db import models

from schoolbrug.encryption import EncryptedTextField


def validate_daily_time(value) -> None:
    """Seed 001: the daily sync runs at night, best between 0u and 9u."""
    if value is not None and not datetime.time(0, 0) <= value <= datetime.time(9, 0):
        raise ValidationError(
            "Kies een tijdstip tussen 00:00 en 09:00: de dagelijkse synchronisatie loopt 's "
            "nachts, voor de lessen beginnen.",
            code="daily_time_out_of_range",
        )


def validate_leaver_blackout(value: str) -> None:
    from schoolbrug.sync.blackout import normalised

    try:
        normalised(value)
    except ValueError as error:
        raise ValidationError(str(error), code="leaver_blackout_invalid") from None


class SourceLink(models.Model):
    """The link between an institution and its administration package (seed 000's "Bingel-
    token"): how its exports come in, when they are synced, and the token the SIS sends.

    The token itself is never stored: only its SHA-256 (to find the link of a request) and a
    short prefix that holds no secret (to recognise it on the page). The Informat client
    secret is a credential: it is stored encrypted to pull with, never shown, logged or audited.
    """

    class Source(models.TextChoices):
        WISA = "wisa", "WISA (leerlingen + klassen)"
        INFORMAT = "informat", "Informat (API, opgehaald door Schoolbrug)"
        ONEROSTER = "oneroster", "OneRoster (zip)"
        FILE_DROP = "file_drop", "bestanden in de dropmap"

    sourced_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    institution = models.OneToOneField(
        "registry.Institution", on_delete=models.CASCADE, related_name="source_link"
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WISA)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(max_length=16, editable=False)
    token_created_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Seed 000: "Synchronisatie actief".
    sync_active = models.BooleanField(default=False)
    # Seed 001: "Dagelijks om 00:00u of een later passend tijdstip (liefst tussen 0u en 9u)".
    daily_time = models.TimeField(default=datetime.time(0, 0), validators=[validate_daily_time])
    informat_base_url = models.URLField(max_length=500, blank=True)
    informat_token_url = models.URLField(max_length=500, blank=True)
    informat_client_id = models.CharField(max_length=200, blank=True)
    informat_client_secret = EncryptedTextField(blank=True)
    informat_scope = models.CharField(max_length=200, blank=True)
    # The days no pupil leaves but with --force (sync/blackout.py): "" for the default
    # (SCHOOLBRUG_LEAVER_BLACKOUT), "geen" for none, or the school's own, as "1/7-31/8".
    leaver_blackout = models.CharField(
        max_length=20, blank=True, validators=[validate_leaver_blackout]
    )
    # When the last run started (an upload, or the scheduler); the scheduler's "done today".
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "sync_sourcelink"  # made by the sync app, before links was one of its own
        ordering = ["institution__number"]

    def __str__(self) -> str:
        return f"link {self.token_prefix} ({self.source})"

    def __repr__(self) -> str:
        return f"<SourceLink {self.pk} {self.token_prefix} {self.source}>"


class LinkUpload(models.Model):
    """One export that came in over a link: posted to the upload endpoint, picked up from the
    drop folder or pulled from Informat. Made before the sync runs, so that the uploader has
    an id (a UUID, no personal data) to ask for the run and its report while it is queued."""

    class Origin(models.TextChoices):
        UPLOAD = "upload", "upload"
        DROP = "drop", "dropmap"
        PULL = "pull", "opgehaald"

    class Status(models.TextChoices):
        RECEIVED = "received", "ontvangen"
        QUEUED = "queued", "in de wachtrij"
        RUNNING = "running", "bezig"
        DONE = "done", "klaar"
        FAILED = "failed", "mislukt"
        SUPERSEDED = "superseded", "vervangen door een nieuwere export"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    link = models.ForeignKey(SourceLink, on_delete=models.CASCADE, related_name="uploads")
    origin = models.CharField(max_length=10, choices=Origin.choices)
    # The format read: wisa, informat or oneroster (a drop folder's is detected).
    format = models.CharField(max_length=10)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField(db_index=True)
    # When a worker took it for its sync (tasks.claim_upload).
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.CharField(max_length=200)
    sync_run = models.ForeignKey(
        "sync.SyncRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="uploads"
    )
    # What went wrong outside the sync's own report (Dutch, no personal data).
    error = models.CharField(max_length=500, blank=True)
    files_removed = models.BooleanField(default=False)

    class Meta:
        db_table = "sync_linkupload"
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"upload {self.pk} {self.format} {self.status}"
