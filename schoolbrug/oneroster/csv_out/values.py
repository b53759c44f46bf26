"""The cells and ids of the OneRoster sets we write: free text and dates as the binding wants
them, the CEDS grades of a class, and the ids derived from what a row stands for (the same in
every export, and the REST API gives the same ones)."""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from collections.abc import Sequence

SEX = {"M": "male", "F": "female", "X": "other"}
KINDERGARTEN_GRADES = ("IT", "PS", "PK", "KG")  # K0..K3
# The namespace of the ids we derive (uuid5): never change it, or every derived id changes.
NAMESPACE = uuid.UUID("bbdb1210-eaa4-4eb0-b5c5-4898eb2db447")
# A moment written without offset is Belgian time (the schools' and the users' clock).
LOCAL_ZONE = zoneinfo.ZoneInfo("Europe/Brussels")


def cell_text(value: str | None) -> str:
    """A cell of free text: no line break may be inside a cell."""
    if not value:
        return ""
    if "\n" in value or "\r" in value:
        return " ".join(value.split())
    return value


def cell_date(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def latest(*moments: datetime.datetime | None) -> datetime.datetime | None:
    return max((m for m in moments if m is not None), default=None)


def derived_id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def leavers_export_id(institution_id: str, school_year_id: str) -> str:
    return derived_id("leavers", institution_id, school_year_id)


def course_export_id(
    institution_id: str, school_year_id: str, curriculum: str, class_id: str
) -> str:
    """The course of a class: one per curriculum per institution and year; a class without
    curriculum (the leavers class) has a course of its own."""
    if curriculum:
        return derived_id("course", institution_id, school_year_id, curriculum)
    return derived_id("class-course", class_id)


def grades_for(stage: str, year: int | None, years: Sequence[int] = ()) -> str:
    """The CEDS grades of a class: the inverse of csv_in.values.levels_from_grades."""
    stage = (stage or "").strip().upper()
    grades = []
    for level in sorted(set(years) | ({year} if year is not None else set())):
        if stage == "NVT":
            if 0 <= level <= 3:
                grades.append(KINDERGARTEN_GRADES[level])
        elif stage.isdigit():
            grades.append(f"{6 + 2 * (int(stage) - 1) + level:02d}")
        elif level >= 1:
            grades.append(f"{level:02d}")
    return ",".join(grades)
