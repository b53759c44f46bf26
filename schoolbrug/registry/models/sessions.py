from django.db import models

from .base import SourcedModel
from .organisation import Institution
from .structure import SchoolYear


class AcademicSession(SourcedModel):
    """A term of an institution's school year, or a grading period of a term (OneRoster
    academicSession of type `term` / `gradingPeriod`; the school year itself is SchoolYear).

    An institution sets its own; without any, the defaults of its country are made for it
    (registry/sessions.py: three trimesters in Flanders, two semesters in the Netherlands,
    each with its grading periods)."""

    class Kind(models.TextChoices):
        TERM = "term", "periode"
        # A OneRoster set's semester, kept as it gave it: a term to every reader (TERM_KINDS).
        SEMESTER = "semester", "semester"
        GRADING_PERIOD = "gradingPeriod", "rapportperiode"

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="academic_sessions"
    )
    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.PROTECT, related_name="academic_sessions"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=100)
    start_date = models.DateField()
    end_date = models.DateField()
    # A grading period's term; empty for a term (its parent is the school year).
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "school_year", "kind", "title"],
                name="academic_session_title_unique",
            )
        ]
        ordering = ["institution", "start_date", "kind", "title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.school_year})"


# What a class runs in and apps find under /terms: a term or a semester (a set's own kind).
TERM_KINDS = (AcademicSession.Kind.TERM, AcademicSession.Kind.SEMESTER)
