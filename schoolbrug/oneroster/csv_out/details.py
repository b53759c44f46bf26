"""What a OneRoster set said that the registry keeps as given (registry SourceDetails,
sync/source_details.py), read once per export: a user's username and userIds, a pupil's
enrollment dates. A record without any is written as we always do."""

from __future__ import annotations

import datetime

from django.db.models import Q

from schoolbrug.registry.models import Assignment, SourceDetails


def joined_user_ids(kept: str, national_number: str | None) -> str:
    """The userIds cell: the set's ids as kept, then the national number where exported."""
    national = f"{{RRN:{national_number}}}" if national_number else ""
    return ",".join(cell for cell in (kept, national) if cell)


class Details:
    def __init__(self, rows, since: datetime.datetime | None) -> None:
        self.by_id = {row[0]: row[1:] for row in rows}
        # Records whose kept details changed after a delta's moment (their rows are in it).
        self.changed = [
            sourced_id
            for sourced_id, (*_, updated) in self.by_id.items()
            if since is not None and updated > since
        ]

    def user(self, sourced_id) -> tuple[str, str]:
        username, user_ids, *_ = self.by_id.get(sourced_id) or ("", "")
        return username, user_ids

    def dates(self, sourced_id) -> tuple[datetime.date | None, datetime.date | None]:
        kept = self.by_id.get(sourced_id)
        return (kept[2], kept[3]) if kept else (None, None)

    def moment(self, sourced_id) -> datetime.datetime | None:
        kept = self.by_id.get(sourced_id)
        return kept[4] if kept else None

    def __bool__(self) -> bool:
        return bool(self.by_id)


def source_details(enrolments, institutions, since) -> Details:
    """The kept details of the enrolments' pupils and enrolments, and of the institutions'
    teachers: one query."""
    teachers = Assignment.objects.filter(
        institution_id__in=institutions, role=Assignment.Role.TEACHER
    ).values("staff__sourced_id")
    rows = SourceDetails.objects.filter(
        Q(sourced_id__in=enrolments.values("sourced_id"))
        | Q(sourced_id__in=enrolments.values("pupil__sourced_id"))
        | Q(sourced_id__in=teachers)
    ).values_list("sourced_id", "username", "user_ids", "begin_date", "end_date", "updated_at")
    return Details(rows, since)
