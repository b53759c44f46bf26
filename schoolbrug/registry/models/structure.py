import datetime

from django.db import models
from django.db.models import Q

from .base import SourcedModel
from .organisation import Institution

LEAVERS_CLASS_CODE = "Schoolverlaters"


class SchoolYear(SourcedModel):
    """Runs from 1 September to 31 August; named after both calendar years."""

    start_year = models.PositiveSmallIntegerField(unique=True)

    class Meta:
        ordering = ["start_year"]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return f"{self.start_year}-{self.start_year + 1}"

    @property
    def start_date(self) -> datetime.date:
        return datetime.date(self.start_year, 9, 1)

    @property
    def end_date(self) -> datetime.date:
        return datetime.date(self.start_year + 1, 8, 31)

    def day_within(self, day: datetime.date) -> datetime.date:
        """`day` if it lies in this school year, else the year's first or last day: the day
        whose teaching links count for this year (today, in the current one)."""
        return min(max(day, self.start_date), self.end_date)

    @staticmethod
    def start_year_for(day: datetime.date) -> int:
        return day.year if day.month >= 9 else day.year - 1


class SchoolClass(SourcedModel):
    """Klas. Matched by its exact code: every letter and space counts.

    A subclass (`parent` set) is Schoolbrug's own group inside one class of the same
    institution and school year, made by the school (sharing/subclasses.py), never by a sync:
    its pupils are SubclassMemberships, apart from their one class enrolment. A removed
    subclass is kept inactive (its history stays) and gives its code free again."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="classes")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="classes")
    code = models.CharField(max_length=50)
    # Graad: "1".."3" in secondary, "NVT" for kindergarten, blank in primary.
    stage = models.CharField(max_length=10, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    # A multi-grade class holds several years; `year` is then the lowest.
    years = models.JSONField(default=list, blank=True)
    curriculum = models.CharField(max_length=100, blank=True)
    kindergarten_level = models.CharField(max_length=2, blank=True)  # K0..K3
    site = models.ForeignKey("registry.Site", null=True, blank=True, on_delete=models.SET_NULL)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="subclasses"
    )
    is_leavers = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "classes"
        constraints = [
            # Every class of the SIS (active or not) and every live subclass: a removed
            # subclass does not keep its code from a new one or from the SIS.
            models.UniqueConstraint(
                fields=["institution", "school_year", "code"],
                condition=Q(parent__isnull=True) | Q(is_active=True),
                name="class_code_unique",
            )
        ]
        ordering = ["institution", "code"]

    def __str__(self) -> str:
        return self.code

    @property
    def is_subclass(self) -> bool:
        return self.parent_id is not None

    @property
    def is_kindergarten(self) -> bool:
        return bool(self.kindergarten_level)

    @property
    def platform_code(self) -> str:
        """The code a learning platform shows: kindergarten classes carry #K0..#K3."""
        return f"{self.code}#{self.kindergarten_level}" if self.kindergarten_level else self.code
