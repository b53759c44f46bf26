from django.db import models

from .organisation import INSTITUTION_IDENTIFIER_LENGTH


class SourceAlias(models.Model):
    """An id a source gives one of our entities (WISA id, Informat personId, OneRoster
    sourcedId). Ours (`sourced_id`) never changes; theirs is kept here, one per source."""

    class Kind(models.TextChoices):
        PUPIL = "pupil"
        CLASS = "class"
        STAFF = "staff"
        INSTITUTION = "institution"
        # A OneRoster set's ids of what we derive (a course per curriculum, an enrollment per
        # pupil and class) or keep apart (its terms): registry/outward.py exports them.
        COURSE = "course"
        ENROLLMENT = "enrollment"
        SESSION = "session"

    source = models.CharField(max_length=20)  # "wisa", "informat", "oneroster"
    # Where the id is unique: a WISA id only within one school's database, so a pupil
    # alias is scoped by institution number; staff aliases are not scoped ("").
    scope = models.CharField(max_length=INSTITUTION_IDENTIFIER_LENGTH, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    external_id = models.CharField(max_length=100)
    sourced_id = models.UUIDField(db_index=True)
    # This alias is the id the record is exported and served under (registry/outward.py
    # decides and keeps it: `refresh_outward` after every sync that writes aliases).
    outward = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "scope", "kind", "external_id"],
                name="alias_unique_per_source_scope",
            )
        ]
        # registry/outward.py: which record a source's id names, whatever its scope.
        indexes = [
            models.Index(fields=["source", "external_id"], name="alias_by_external_id"),
            models.Index(
                fields=["sourced_id"], condition=models.Q(outward=True), name="alias_outward"
            ),
        ]
        verbose_name_plural = "source aliases"

    def __str__(self) -> str:
        return f"{self.source}:{self.kind}:{self.external_id}"
