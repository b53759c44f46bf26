"""Which pupils of a class log in differently after the sync gave them a new class number
(issue 21: "a class-number change from the sync shows the teacher"): their card on the class
sheet changed. Read from the change log, where the sync writes each pupil's `class_number`
change; shown on the class's codes page."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Pupil

RECENT_DAYS = 30


@dataclass(frozen=True)
class NewClassNumber:
    pupil: Pupil
    old: object
    new: object
    at: datetime.datetime


def recent_changes(pupils: list[Pupil], days: int = RECENT_DAYS) -> list[NewClassNumber]:
    """The class-number changes of these pupils in the last `days`, newest first (one per
    pupil: their latest)."""
    by_id = {p.sourced_id: p for p in pupils}
    entries = AuditEntry.objects.filter(
        entity="pupil",
        entity_sourced_id__in=list(by_id),
        changes__has_key="class_number",
        at__gte=timezone.now() - datetime.timedelta(days=days),
    ).order_by("-at", "-id")
    seen, changes = set(), []
    for entry in entries:
        old, new = entry.changes["class_number"]
        if entry.entity_sourced_id in seen or old is None:
            continue  # a pupil's first number (new in the class) is no change of login
        seen.add(entry.entity_sourced_id)
        changes.append(NewClassNumber(by_id[entry.entity_sourced_id], old, new, entry.at))
    return changes
