"""The school-year rollover of every LOP (seed 002, "Overschakeling naar nieuw schooljaar"),
and the 1 July copy of the free places that the seed threw away.

`run(today)` does what is due and nothing else, so it is safe twice and safe every minute
(the scheduler calls it on each pass, `links/management/commands/scheduler.py`):

* from 1 July of the year the current school year ends, once per LOP and school year: an
  XLSX of both years' offer and free places as they stand (`FreePlacesSnapshot`);
* from 1 August of that year, once: next year's offer becomes the current year's, the years
  are renamed (`Lop.current_year_start` moves on), and next year keeps its programmes,
  capacity, indicator percentage and suffix while free places, seated pupils, extra info and
  dates are cleared. A LOP without a 1 July copy gets one first.

Every change is an ORM save or delete, so the audit log records each offer.
"""

from __future__ import annotations

import datetime
import io

from django.db import IntegrityError, transaction
from django.utils import timezone

from schoolbrug.audit.context import acting

from .admin_groups import programme_sort_key
from .models import FreePlacesSnapshot, Lop, Offer, Year

SNAPSHOT_DAY = (7, 1)
ROLLOVER_DAY = (8, 1)
KEPT_FIELDS = ("capacity", "indicator_percentage", "suffix")
COLUMNS = (
    "Schooljaar",
    "Type",
    "Instellingsnummer",
    "Vestigingsplaats",
    "School",
    "Code",
    "Opleiding",
    "Capaciteit",
    "Vrije plaatsen",
    "Vrije plaatsen indicator",
    "Vrije plaatsen niet-indicator",
    "Zittende leerlingen",
    "Percentage indicator",
)


def _day(year: int, month_day: tuple[int, int]) -> datetime.date:
    return datetime.date(year, *month_day)


def free_places_xlsx(lop: Lop) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Vrije plaatsen"
    sheet.append(COLUMNS)
    offers = Offer.objects.filter(school__lop=lop).select_related(
        "group", "school__institution", "school__site"
    )
    ordered = sorted(
        offers,
        key=lambda o: (
            o.year != Year.CURRENT,
            o.school.display_name.casefold(),
            programme_sort_key(o.group),
        ),
    )
    for offer in ordered:
        school = offer.school
        sheet.append(
            (
                lop.year_label(offer.year),
                school.get_school_type_display(),
                school.institution.number,
                school.site.number if school.site_id else "",
                school.display_name,
                offer.group.code,
                offer.group.name,
                offer.capacity,
                offer.free_places,
                offer.free_places_indicator,
                offer.free_places_non_indicator,
                offer.seated_pupils,
                float(offer.indicator_percentage) if offer.indicator_percentage else None,
            )
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def take_snapshot(lop: Lop, today: datetime.date) -> FreePlacesSnapshot | None:
    """The copy of this school year's free places, unless there is one."""
    label = lop.year_label(Year.CURRENT)
    if FreePlacesSnapshot.objects.filter(lop=lop, school_year=label).exists():
        return None
    xlsx = free_places_xlsx(lop)
    try:
        with transaction.atomic():
            return FreePlacesSnapshot.objects.create(
                lop=lop, school_year=label, taken_on=today, xlsx=xlsx
            )
    except IntegrityError:
        # Another process (a second scheduler, a `rollover` by hand) kept it while this one
        # wrote the file: it is there, which is all that counts.
        return None


@transaction.atomic
def roll_over(lop: Lop, new_start: int) -> int:
    """Next year becomes current for `lop`; the number of programmes carried over."""
    lop = Lop.objects.select_for_update().get(pk=lop.pk)
    if lop.current_year_start >= new_start:
        return 0  # done already (another process, or a second run)
    for offer in Offer.objects.filter(school__lop=lop, year=Year.CURRENT):
        offer.delete()
    carried = 0
    for offer in Offer.objects.filter(school__lop=lop, year=Year.NEXT):
        offer.year = Year.CURRENT
        offer.save()
        Offer.objects.create(
            school_id=offer.school_id,
            group_id=offer.group_id,
            year=Year.NEXT,
            **{name: getattr(offer, name) for name in KEPT_FIELDS},
        )
        carried += 1
    lop.current_year_start = new_start
    lop.save(update_fields=["current_year_start"])
    return carried


def run(today: datetime.date | None = None, actor: str | None = None) -> list[str]:
    """Do what is due for every LOP; a Dutch line per thing done."""
    today = today or timezone.localdate()
    done = []
    with acting(actor, "rollover schooljaar"):
        for lop in Lop.objects.order_by("name"):
            ends = lop.current_year_start + 1
            if today >= _day(ends, SNAPSHOT_DAY):
                snapshot = take_snapshot(lop, today)
                if snapshot is not None:
                    done.append(
                        f"{lop.slug}: vrije plaatsen {snapshot.school_year} bewaard "
                        f"({today:%d/%m/%Y})"
                    )
            if today >= _day(ends, ROLLOVER_DAY):
                carried = roll_over(lop, ends)
                lop.refresh_from_db()
                done.append(
                    f"{lop.slug}: lopend schooljaar is nu {lop.year_label(Year.CURRENT)} "
                    f"({carried} opleidingen overgenomen)"
                )
    return done
