"""The sync keeps licences right (seed 004 §3.4–3.5), in the sync's own transaction.

* A pupil who leaves (to "Schoolverlaters") frees the seat of every child licence they held:
  the seat goes back to the school the same night, logged on the pupil with the sync run as
  its reason.
* A pupil moved to another class has that class's group licences at once: a group licence
  covers whoever is enrolled in its classes (`licences.group_pupils`), so the move itself is
  the change; nothing is copied that could go stale.
* A new pupil in a class that logs in on the platform gets a PIN and a picture the same
  night, so they can log in the next morning (`pupil_login.logins_for_newcomers`).

The sync does not know this module: it sends `sync.signals.plans_applied`, this listens.
"""

from __future__ import annotations

from schoolbrug.audit.context import acting
from schoolbrug.sync.signals import plans_applied

from .licences import free_seats
from .models import LicenceSeat
from .pupil_login import logins_for_newcomers


def connect() -> None:
    plans_applied.connect(free_leavers_seats, dispatch_uid="platform-free-leavers-seats")


def free_leavers_seats(sender, applied, **_) -> None:
    """Free the seats held by pupils who are leavers now, in the institutions just written."""
    runs = {pk: run for pk, run in applied if pk is not None}
    if not runs:
        return
    logins_for_newcomers(runs, named=lambda pk: (runs[pk].started_by, _reason(runs[pk])))
    held = LicenceSeat.objects.filter(
        pupil__institution_id__in=runs, pupil__is_leaver=True
    ).values_list("pupil__institution_id", flat=True)
    for institution_pk in set(held):
        run = runs[institution_pk]
        with acting(run.started_by, _reason(run)):
            free_seats(
                LicenceSeat.objects.filter(
                    pupil__institution_id=institution_pk, pupil__is_leaver=True
                )
            )


def _reason(run) -> str:
    return f"synchronisatie {run.pk} ({run.source})"  # as the sync's own entries say it
