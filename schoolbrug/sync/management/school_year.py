"""The `--school-year 2026-2027` argument the sync and export commands share."""

from __future__ import annotations

from django.core.management.base import CommandError


def start_year_argument(value: str | None, *, returncode: int) -> int | None:
    """The start year of a school year written as `2026-2027` (or `2026`); None when absent."""
    if not value:
        return None
    try:
        return int(value.split("-")[0])
    except ValueError:
        raise CommandError(
            f"Schooljaar '{value}' is onleesbaar; schrijf het als 2026-2027.",
            returncode=returncode,
        ) from None
