"""A teacher's start page: the class-number changes in their classes since their last visit.

Pupils log in to learning platforms with their class number (seed 000: "inform the
teacher"), so a teacher must hear when the SIS gives a pupil of theirs a new one. The changes
come from the change log: the sync's entries on pupils whose `class_number` changed, for the
pupils the teacher sees today (`roles.permissions.taught_pupils`).

"Since the last visit": the first time the start page is shown in a log-in session, the
previous visit's moment is read and the mark moves to now; the session keeps the previous
moment, so reloading the page shows the same list until the next log-in. An admin who sees
the portal as the teacher (`roles/view_as.py`) reads the mark and moves nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Enrolment, Pupil
from schoolbrug.roles.models import StartPageVisit
from schoolbrug.roles.permissions import taught_classes, taught_pupils

SESSION_KEY = "schoolbrug_start_since"
# Without an earlier visit: the changes of the last weeks.
FIRST_VISIT_DAYS = 30
MOST_SHOWN = 200


@dataclass(frozen=True, slots=True)
class ClassNumberChange:
    at: datetime.datetime
    pupil: Pupil
    class_code: str
    old: object
    new: object


def since_last_visit(request: HttpRequest) -> datetime.datetime:
    """The moment of the visit before this session's first look at the start page."""
    viewing_as = getattr(request, "real_user", None) is not None
    if not viewing_as and (kept := parse_datetime(request.session.get(SESSION_KEY) or "")):
        return kept
    now = timezone.now()
    visit = StartPageVisit.objects.filter(user=request.user).first()
    previous = visit.seen_at if visit else now - datetime.timedelta(days=FIRST_VISIT_DAYS)
    if not viewing_as:
        StartPageVisit.objects.update_or_create(user=request.user, defaults={"seen_at": now})
        request.session[SESSION_KEY] = previous.isoformat()
    return previous


def class_number_changes(user, since: datetime.datetime) -> list[ClassNumberChange]:
    """The changes of class number since `since`, newest first, of the pupils `user` teaches."""
    entries = AuditEntry.objects.filter(
        entity="pupil",
        entity_sourced_id__in=Pupil.objects.filter(taught_pupils(user)).values("sourced_id"),
        at__gt=since,
        changes__has_key="class_number",
    ).order_by("-at", "-id")[:MOST_SHOWN]
    entries = list(entries)
    shown = {
        p.sourced_id: p
        for p in Pupil.objects.filter(sourced_id__in={e.entity_sourced_id for e in entries})
    }
    classes = dict(
        Enrolment.objects.filter(pupil__in=shown.values())
        .order_by("school_year__start_year")
        .values_list("pupil__sourced_id", "school_class__code")
    )
    return [
        ClassNumberChange(
            at=entry.at,
            pupil=shown[entry.entity_sourced_id],
            class_code=classes.get(entry.entity_sourced_id, ""),
            old=entry.changes["class_number"][0],
            new=entry.changes["class_number"][1],
        )
        for entry in entries
        if entry.entity_sourced_id in shown
    ]


def teacher_start(request: HttpRequest) -> dict | None:
    """What the start page shows a person who teaches classes today; None for anyone else."""
    if not taught_classes(request.user).exists():
        return None
    since = since_last_visit(request)
    return {"since": since, "changes": class_number_changes(request.user, since)}
