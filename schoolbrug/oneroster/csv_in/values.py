"""Cell values of a OneRoster CSV set: statuses, lists, dates, national numbers in `userIds`,
CEDS grades, and the constants the reader's steps share."""

from __future__ import annotations

import datetime
import re

DELETED = frozenset({"tobedeleted", "inactive", "deleted"})
NATIONAL_NUMBER_TYPES = frozenset({"rrn", "insz", "rijksregisternummer"})
USER_ID = re.compile(r"\{\s*([^:{}]*?)\s*:\s*([^{}]*?)\s*\}")
KINDERGARTEN_GRADES = {"IT": 0, "PS": 1, "PK": 2, "KG": 3}
# The class our exports (and platforms) keep leavers in: registry.models.LEAVERS_CLASS_CODE.
LEAVERS_CLASS_CODE = "Schoolverlaters"
GENDERS = {"male": "M", "m": "M", "female": "F", "f": "F", "other": "X", "x": "X"}


def is_deleted(status: str) -> bool:
    return status.lower() in DELETED


def split_ids(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(",") if item.strip()]


def parse_date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return None


def national_number_from_user_ids(cell: str) -> str:
    """`{Local:015},{RRN:15.03.14-123.45}` → `15031412345` (separators removed), else ""."""
    for kind, value in USER_ID.findall(cell):
        if kind.lower() in NATIONAL_NUMBER_TYPES:
            return re.sub(r"[\s./-]", "", value)
    return ""


def levels_from_grades(grades: str) -> tuple[str, int | None, tuple[int, ...]]:
    """CEDS grades → (stage, year, years): see reader.py's docstring."""
    levels = []
    for grade in split_ids(grades.upper()):
        if grade in KINDERGARTEN_GRADES:
            levels.append((-1, "NVT", KINDERGARTEN_GRADES[grade]))
        elif grade.isdigit() and 1 <= int(grade) <= 6:
            levels.append((int(grade), "", int(grade)))
        elif grade.isdigit() and 7 <= int(grade) <= 12:
            number = int(grade) - 7
            levels.append((int(grade), str(number // 2 + 1), number % 2 + 1))
    if not levels:
        return "", None, ()
    levels.sort()
    _, stage, year = levels[0]
    if any(s != stage for _, s, _ in levels):
        return stage, year, ()  # across stages: the lowest one
    years = tuple(sorted({y for _, _, y in levels}))
    return stage, year, years if len(years) > 1 else ()


def first_missing(**values: str) -> str:
    """The name of the first empty value, or ""."""
    return next((name for name, value in values.items() if not value), "")
