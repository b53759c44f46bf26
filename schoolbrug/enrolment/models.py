"""The enrolment-capacity site of a local consultation platform (LOP, seed 002).

A LOP groups schools (an institution, or one site of it) of one region; each school publishes,
per school year (current and next) and per programme (an official administrative group), its
capacity and free places. The LOP sets per school type when free enrolment starts and which
fields a school admin may change in which period (`rights.py`). Who is LOP expert or school
admin is a role grant of the one permission model (`roles.RoleGrant`).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

# Newcomers (anderstalige nieuwkomers, AN) are offered as this programme (basisonderwijs).
NEWCOMERS_CODE = 10000
NEWCOMERS_NAME = "Anderstalige nieuwkomers"


class SchoolType(models.TextChoices):
    BAO = "bao", "BaO"
    BUBAO = "bubao", "BuBaO"
    SO = "so", "SO"
    BUSO = "buso", "BuSO"
    FIRST_GRADE = "1a1b", "1A/1B"


class Year(models.TextChoices):
    CURRENT = "current", "lopend schooljaar"
    NEXT = "next", "volgend schooljaar"


class Period(models.TextChoices):
    CURRENT = "current", "lopend schooljaar"
    NEXT_BEFORE = "next_before", "volgend schooljaar, vóór de vrije inschrijvingen"
    NEXT_AFTER = "next_after", "volgend schooljaar, na de start van de vrije inschrijvingen"


class Lop(models.Model):
    """Lokaal overlegplatform: one region's schools and their enrolment site."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)  # its public page: /aanmelden/<slug>/
    region = models.CharField(max_length=200, blank=True)
    # Free places split into indicator / non-indicator pupils (dubbele contingentering).
    double_quota = models.BooleanField(default=False)
    # The calendar year the current school year starts in (2026 → 2026-2027); the rollover
    # moves it on by one.
    current_year_start = models.PositiveSmallIntegerField()
    # Moves on with every change the public page shows (`public_cache.py`), in the same
    # transaction: a page cached under an older version is never served again.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = "LOP"
        verbose_name_plural = "LOP's"

    def __str__(self) -> str:
        return self.name

    def year_label(self, year: str) -> str:
        start = self.current_year_start + (1 if year == Year.NEXT else 0)
        return f"{start}-{start + 1}"


class LopSchool(models.Model):
    """A school of a LOP: an institution as a whole, or one of its sites, of one type."""

    lop = models.ForeignKey(Lop, on_delete=models.CASCADE, related_name="schools")
    institution = models.ForeignKey(
        "registry.Institution", on_delete=models.PROTECT, related_name="lop_schools"
    )
    site = models.ForeignKey(
        "registry.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    school_type = models.CharField(max_length=5, choices=SchoolType.choices)
    # The name parents know; the institution's (or site's) name when empty.
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["lop", "school_type", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lop", "institution", "site", "school_type"],
                name="enrolment_school_unique",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.site_id and self.site.name:
            return self.site.name
        return self.institution.name


class AdministrativeGroup(models.Model):
    """Administratieve groep: a programme as the government codes it (`sync-admin-groups`)."""

    code = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=300)
    form = models.CharField(max_length=10, blank=True)  # onderwijsvorm: GSO, ASO, ... or ""
    stage = models.CharField(max_length=60, blank=True)  # graad: "Eerste graad", ...
    year = models.CharField(max_length=20, blank=True)  # leerjaar, when the list gives one
    finality = models.CharField(max_length=40, blank=True)
    dual = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @classmethod
    def newcomers(cls) -> AdministrativeGroup:
        """Programme 10000 (AN). Migration 0002 adds it; made again where a database lost it
        (a flushed test database, a hand-made copy) rather than failing the LOP's action."""
        group, _ = cls.objects.get_or_create(code=NEWCOMERS_CODE, defaults={"name": NEWCOMERS_NAME})
        return group


class Offer(models.Model):
    """One programme of one school in one school year, with its places."""

    school = models.ForeignKey(LopSchool, on_delete=models.CASCADE, related_name="offers")
    year = models.CharField(max_length=7, choices=Year.choices)
    group = models.ForeignKey(AdministrativeGroup, on_delete=models.PROTECT, related_name="+")
    capacity = models.PositiveIntegerField(null=True, blank=True)
    free_places = models.PositiveIntegerField(null=True, blank=True)
    # The share of the free places kept for indicator pupils (double quota).
    free_places_indicator = models.PositiveIntegerField(null=True, blank=True)
    seated_pupils = models.PositiveIntegerField(null=True, blank=True)
    indicator_percentage = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )
    suffix = models.CharField(max_length=60, blank=True)
    extra_info = models.TextField(blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["school", "year", "group__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "year", "group"], name="enrolment_offer_unique"
            ),
            models.CheckConstraint(
                name="enrolment_indicator_within_free",
                condition=Q(free_places_indicator__isnull=True)
                | Q(free_places__isnull=True)
                | Q(free_places_indicator__lte=models.F("free_places")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.year} {self.group.code}"

    @property
    def free_places_non_indicator(self) -> int | None:
        if self.free_places is None or self.free_places_indicator is None:
            return None
        return self.free_places - self.free_places_indicator


class FreeEnrolmentStart(models.Model):
    """When free enrolment starts for one school type of a LOP (for the next school year)."""

    lop = models.ForeignKey(Lop, on_delete=models.CASCADE, related_name="free_enrolment_starts")
    school_type = models.CharField(max_length=5, choices=SchoolType.choices)
    starts_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lop", "school_type"], name="enrolment_free_start_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.lop} {self.school_type} {self.starts_on}"


class SchoolAdminRights(models.Model):
    """What a school admin may change, per LOP, school type and period. Without a row:
    nothing (the LOP expert opens what they want)."""

    lop = models.ForeignKey(Lop, on_delete=models.CASCADE, related_name="rights")
    school_type = models.CharField(max_length=5, choices=SchoolType.choices)
    period = models.CharField(max_length=12, choices=Period.choices)
    capacity = models.BooleanField(default=False)
    free_places = models.BooleanField(default=False)
    seated_pupils = models.BooleanField(default=False)
    extra_info = models.BooleanField(default=False)
    dates = models.BooleanField(default=False)
    programmes = models.BooleanField(default=False)  # add and remove programmes

    class Meta:
        verbose_name_plural = "school admin rights"
        constraints = [
            models.UniqueConstraint(
                fields=["lop", "school_type", "period"], name="enrolment_rights_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.lop} {self.school_type} {self.period}"


class FreePlacesSnapshot(models.Model):
    """The free places of a LOP as they stood on 1 July, kept as XLSX (the rollover after it
    throws the old year away; we keep this copy)."""

    lop = models.ForeignKey(Lop, on_delete=models.CASCADE, related_name="snapshots")
    school_year = models.CharField(max_length=9)  # "2026-2027"
    taken_on = models.DateField()
    xlsx = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-taken_on"]
        constraints = [
            models.UniqueConstraint(fields=["lop", "school_year"], name="enrolment_snapshot_unique")
        ]

    def __str__(self) -> str:
        return f"{self.lop} {self.school_year}"
