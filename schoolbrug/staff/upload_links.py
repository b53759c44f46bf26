"""The teaching links that follow an assignment the staff upload ends or corrects.

A teacher whose assignment ends teaches none of its classes after that day: its links end on
the same day as the assignment (the API and the export stop serving them the next day). An
end date the upload moves later, or takes away, takes the links that ended with the old one
along: a wrong end date corrected by the next upload gives the classes back. Links that ended
on another day (a source stopped sending them) stay as they are. Planned as `Change`s of the
upload, so the report, the counts and the audit log name each of them.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from schoolbrug.registry.models import Teaching


@dataclass(frozen=True, slots=True)
class LinkState:
    pk: int
    sourced_id: uuid.UUID
    assignment_pk: int
    class_code: str
    end_date: datetime.date | None


def load_links(changes: list) -> list[LinkState]:
    """The links of the assignments whose end date the plan changes."""
    pks = [c.pk for c in changes if c.entity == "assignment" and c.pk is not None]
    links = []
    for start in range(0, len(pks), 500):  # within any database's parameter limit
        links += [
            LinkState(*row)
            for row in Teaching.objects.filter(assignment_id__in=pks[start : start + 500])
            .order_by("pk")
            .values_list("pk", "sourced_id", "assignment_id", "schoolclass__code", "end_date")
        ]
    return links


def plan_links(changes: list, links: list[LinkState]) -> list:
    """The link changes that follow the plan's assignment changes (pure)."""
    from .upload import Change  # the upload's own change type

    by_assignment: dict[int, list[LinkState]] = {}
    for link in links:
        by_assignment.setdefault(link.assignment_pk, []).append(link)
    planned = []
    for change in changes:
        if change.entity != "assignment" or change.action not in ("update", "end"):
            continue
        old, new = (_day(d) for d in change.changes["end_date"])
        for link in by_assignment.get(change.pk, ()):
            if new is not None and (link.end_date is None or link.end_date > new):
                action = "end"  # past the assignment's end: it ends with it
            elif old is not None and link.end_date == old and (new is None or new > old):
                action = "update"  # ended with the assignment, which now runs longer
            else:
                continue
            planned.append(
                Change(
                    "teaching",
                    action,
                    change.email,
                    {
                        "class": [link.class_code, link.class_code],
                        "end_date": [_iso(link.end_date), _iso(new)],
                    },
                    key=change.key,
                    pk=link.pk,
                    sourced_id=link.sourced_id,
                )
            )
    return planned


def _day(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


def _iso(day: datetime.date | None) -> str | None:
    return day.isoformat() if day else None
