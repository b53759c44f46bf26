from __future__ import annotations

import datetime
import uuid

from django.db import models
from django.db.models import Q

from .base import SourcedModel
from .organisation import Institution
from .structure import SchoolClass, SchoolYear


class Pupil(SourcedModel):
    """Leerling, per institution: a pupil enrolled in two schools has two records."""

    class Gender(models.TextChoices):
        MALE = "M", "jongen"
        FEMALE = "F", "meisje"
        OTHER = "X", "anders"

    # Indexed with the pupil's id (Meta.indexes), not alone: one school's pupils in id order
    # are the pages of /schools/{id}/students.
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="pupils", db_index=False
    )
    # Sensitive personal data: never logged, masked in reports. Null for sources without
    # one (OneRoster); unique per institution where present.
    # NULL, not "", so that the unique constraint ignores pupils without one.
    national_number = models.CharField(max_length=11, null=True, blank=True)  # noqa: DJ001
    family_name = models.CharField(max_length=100)
    given_name = models.CharField(max_length=100)
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    registration_number = models.CharField(max_length=30, blank=True)  # stamboeknummer
    # The pupil's own e-mail as the source gives it (checked by sources/validate.py: a
    # malformed one is left out with a finding), whatever the contact source: apps match
    # pupils by it (Google Classroom). Personal data: never logged. 254: the longest address.
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    # {"father"|"mother"|"guardian": {"street", "number", "box", "postal_code", "city",
    #  "email", "phone"}}
    contacts = models.JSONField(default=dict, blank=True)
    # The pupil's own address from the main record: {"street", "number", "box",
    # "postal_code", "city"}.
    address = models.JSONField(default=dict, blank=True)
    care_record = models.JSONField(default=dict, blank=True)
    # The Dutch chain id (EDEXML `eckid`) a school's package gives the pupil for platforms.
    eckid = models.CharField(max_length=256, blank=True)
    # Who created the record: a source name ("wisa", "oneroster", ...) or "" when it was
    # entered by hand; a sync adopts records it did not create.
    origin = models.CharField(max_length=20, blank=True)
    is_leaver = models.BooleanField(default=False)
    # Gestructureerde mededeling (OGM/VCS) the school's invoices carry: 12 digits, no "+++"
    # or slashes (registry/payment_references.py formats it). Unique per database, so a
    # payment finds one pupil; an old one after a merge is a PaymentReferenceAlias. Every
    # writer issues one (the sync in bulk, a save by hand in `save`); NULL only for a row a
    # bulk path outside them wrote, which `payment_references.issue_missing` fills.
    structured_reference = models.CharField(  # noqa: DJ001
        max_length=12, unique=True, null=True, blank=True, editable=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "national_number"], name="pupil_national_number_unique"
            )
        ]
        indexes = [
            models.Index(fields=["institution", "family_name", "given_name"]),
            models.Index(fields=["institution", "id"], name="pupil_institution_id_order"),
        ]
        ordering = ["family_name", "given_name"]

    def __str__(self) -> str:
        return f"{self.family_name} {self.given_name}"

    def save(self, *args, **kwargs) -> None:
        if self.structured_reference is None and self._state.adding:
            from schoolbrug.registry.payment_references import issue_one

            self.structured_reference = issue_one(using=kwargs.get("using") or self._state.db)
        super().save(*args, **kwargs)


class PaymentReferenceAlias(models.Model):
    """A pupil's former structured payment reference that still matches a payment: a
    merge gave the pupil a new one because theirs was taken in the receiving database, and
    invoices already sent carry the old one. Never reissued while it is here."""

    structured_reference = models.CharField(max_length=12, unique=True)  # as Pupil's
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="payment_aliases")
    # Why it is an alias, in Dutch for the history: "samenvoeging", "administratiepakket".
    reason = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "payment reference aliases"

    def __str__(self) -> str:
        return f"{self.structured_reference} → {self.pupil}"


class Enrolment(SourcedModel):
    """A pupil in a class for a school year, with their class number (login key)."""

    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="enrolments")
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.PROTECT, related_name="enrolments"
    )
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT)
    class_number = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pupil", "school_year"], name="one_enrolment_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.pupil} in {self.school_class} ({self.class_number})"


class SubclassMembership(SourcedModel):
    """A pupil in a subclass, apart from their one class enrolment of the school year (the
    subclass's). Ended, never deleted: the history and a delta export (`tobedeleted`) need
    it; a pupil who comes back gets a new one, only when the school adds them again."""

    subclass = models.ForeignKey(
        SchoolClass, on_delete=models.PROTECT, related_name="memberships", db_index=False
    )
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="subclass_memberships")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # Also the index of a subclass's members (/classes/{id}/students).
            models.UniqueConstraint(
                fields=["subclass", "pupil"],
                condition=Q(ended_at__isnull=True),
                name="one_current_membership",
            )
        ]
        indexes = [models.Index(fields=["subclass", "ended_at"], name="membership_history")]

    def __str__(self) -> str:
        return f"{self.pupil} in {self.subclass}"


class Staff(SourcedModel):
    # None for a teacher a source knows only by its own key (an EDEXML file without
    # e-mail addresses): the source alias finds them again, a later e-mail fills this in.
    email = models.EmailField(unique=True, null=True, blank=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)

    class Meta:
        verbose_name_plural = "staff"
        ordering = ["family_name", "given_name"]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"


class Assignment(SourcedModel):
    """Opdracht: a role in an institution from a start to an (optional) end date."""

    class Role(models.TextChoices):
        DIRECTOR = "director", "directeur"
        TEACHER = "teacher", "leerkracht"
        ICT_COORDINATOR = "ict_coordinator", "ict-coördinator"
        CARE_TEAM = "care_team", "zorgteam"
        SECRETARY = "secretary", "secretariaat"

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="assignments")
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="assignments"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    classes = models.ManyToManyField(
        SchoolClass, through="Teaching", blank=True, related_name="teachers"
    )
    # Who created it: "staff_upload" for the weekly staff upload (which ends the ones it no
    # longer names), "" for a source sync (OneRoster teachers) or by hand: never ended by it.
    origin = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        # Shown in the admin and in the history (a teaching link names its assignment): Dutch.
        return f"{self.staff} ({self.get_role_display()}, {self.institution.number})"


class TeachingQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date) -> TeachingQuerySet:
        """The links that count on `day`: see Teaching.active_sql, the same rule as SQL."""
        return self.filter(
            Q(start_date__isnull=True) | Q(start_date__lte=day),
            Q(end_date__isnull=True) | Q(end_date__gte=day),
            assignment__role=Assignment.Role.TEACHER,
            assignment__start_date__lte=day,
        ).filter(Q(assignment__end_date__isnull=True) | Q(assignment__end_date__gte=day))

    def not_ended_on(self, day: datetime.date) -> TeachingQuerySet:
        """The links a source can still end on `day`: open, or ending on or after it."""
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=day))


class Teaching(models.Model):
    """A teacher assignment's class: the teacher's enrollment in OneRoster, with a public id
    of its own like every entity apps can read.

    A link has a life span and is never deleted (the history and the delta export need it):
    it counts from `start_date` through `end_date` (both included; empty: from its
    assignment's start, no end), and only while its teacher assignment runs. A source that
    stops sending it ends it; sent again later, it is a new link (a new period, a new id).
    Every reader asks `active_on(day)` (ORM) or `active_sql` (the API's SQL): the one rule.
    """

    sourced_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE)
    schoolclass = models.ForeignKey(SchoolClass, on_delete=models.CASCADE)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    # When the link was made or last ended: a delta export's dateLastModified, and part of
    # the API's data version (a link that ends gets no new id).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = TeachingQuerySet.as_manager()

    class Meta:
        db_table = "registry_assignment_classes"
        constraints = [
            # One open link per teacher assignment and class; ended ones are its history.
            models.UniqueConstraint(
                fields=["assignment", "schoolclass"],
                condition=Q(end_date__isnull=True),
                name="teaching_open_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment} teaches {self.schoolclass}"

    @staticmethod
    def active_sql(link: str, assignment: str, day: datetime.date) -> tuple[str, list]:
        """SQL: the link `link` (a registry_assignment_classes alias) of the assignment
        `assignment` (its registry_assignment alias) counts on `day`: the condition and its
        parameters. The same rule as TeachingQuerySet.active_on."""
        condition = (
            f"{assignment}.role = 'teacher'"
            f" AND ({link}.start_date IS NULL OR {link}.start_date <= %s)"
            f" AND ({link}.end_date IS NULL OR {link}.end_date >= %s)"
            f" AND {assignment}.start_date <= %s"
            f" AND ({assignment}.end_date IS NULL OR {assignment}.end_date >= %s)"
        )
        return condition, [day] * 4
