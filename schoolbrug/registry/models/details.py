from django.db import models


class SourceDetails(models.Model):
    """What a OneRoster set says of one of our records that the registry does not model
    itself, kept to be given back as the set gave it (sync/source_details.py keeps it, the
    export and the API show it): a user's `username` and `userIds` (a pupil or a staff
    member), a pupil's enrollment `beginDate` and `endDate` (their enrolment), the terms a
    class runs in (`termSourcedIds`, when not all of them).

    Only what differs from what we would write ourselves is kept, so our own export read
    back keeps nothing. A national number is never kept here (`userIds` without it): it
    stays on the pupil, shown only where the school's protocol allows."""

    class Kind(models.TextChoices):
        USER = "user"
        ENROLLMENT = "enrollment"
        CLASS = "class"

    # Our record's id (a pupil's, a staff member's or an enrolment's): never changes.
    sourced_id = models.UUIDField(unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    username = models.CharField(max_length=255, blank=True)
    # The set's `userIds` cell without national numbers, e.g. `{Local:863}`.
    user_ids = models.CharField(max_length=1000, blank=True)
    begin_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    # A class's terms, when the set says it runs in only some of its institution's (our ids of
    # AcademicSession, in the set's order); empty: in every term of its school year.
    terms = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name_plural = "source details"

    def __str__(self) -> str:
        return f"{self.kind}:{self.sourced_id}"
