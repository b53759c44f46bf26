"""What a school admin may change (seed 002, "Meer gedetailleerde rechten voor
schoolbeheerders"): per LOP, school type and period, as the LOP expert sets it.

The period follows from the year of the offer, today's date and the date free enrolment starts
for the school's type: the current year is one period; the next year is "before free
enrolment" until its start date and "after" from that day on (no start date set: before).
The LOP expert and a site admin are bound by none of this (`roles.permissions`).
"""

from __future__ import annotations

import datetime

from .models import FreeEnrolmentStart, LopSchool, Period, SchoolAdminRights, Year

# The rights a LOP sets, and the offer fields each one opens. "programmes" opens adding and
# removing an offer row, not a field.
RIGHT_FIELDS: dict[str, tuple[str, ...]] = {
    "capacity": ("capacity",),
    "free_places": ("free_places", "free_places_indicator"),
    "seated_pupils": ("seated_pupils",),
    "extra_info": ("extra_info",),
    "dates": ("starts_on", "ends_on"),
    "programmes": (),
}
RIGHTS = tuple(RIGHT_FIELDS)
# The offer fields a page may send; indicator percentage and suffix are the LOP's own settings.
OFFER_FIELDS = (
    "capacity",
    "free_places",
    "free_places_indicator",
    "seated_pupils",
    "extra_info",
    "starts_on",
    "ends_on",
    "indicator_percentage",
    "suffix",
)
EXPERT_ONLY_FIELDS = ("indicator_percentage", "suffix")
PROGRAMMES = "programmes"


def right_of_field(field: str) -> str | None:
    """The right that opens an offer field (None: the LOP expert's alone)."""
    for right, fields in RIGHT_FIELDS.items():
        if field in fields:
            return right
    return None


def free_enrolment_start(school: LopSchool) -> datetime.date | None:
    return (
        FreeEnrolmentStart.objects.filter(lop_id=school.lop_id, school_type=school.school_type)
        .values_list("starts_on", flat=True)
        .first()
    )


def period_of(school: LopSchool, year: str, today: datetime.date) -> str:
    if year == Year.CURRENT:
        return Period.CURRENT
    start = free_enrolment_start(school)
    if start is not None and today >= start:
        return Period.NEXT_AFTER
    return Period.NEXT_BEFORE


def school_admin_rights(school: LopSchool, year: str, today: datetime.date) -> frozenset[str]:
    """The rights (keys of RIGHT_FIELDS) a school admin of `school` has for `year` today."""
    row = SchoolAdminRights.objects.filter(
        lop_id=school.lop_id,
        school_type=school.school_type,
        period=period_of(school, year, today),
    ).first()
    if row is None:
        return frozenset()
    return frozenset(right for right in RIGHTS if getattr(row, right))
