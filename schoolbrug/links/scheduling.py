"""The daily sync of each link (seed 001: "Dagelijks om 00:00u of later, liefst tussen 0u en 9u").

A link is due when its sync is active, its daily time has passed today (local time) and it has
not run since that time today. A due link then runs:

* Informat: a pull (token request with client credentials, then the pupils), then the sync;
* WISA, OneRoster, drop folder: the newest export that has not been synced, if there is one:
  an upload whose sync could not be queued (the broker was down) or was taken by a process
  that died (`tasks.CLAIM_EXPIRES` ago), or the files in the drop
  folder `VAR_DIR/drop/<institution number>/` when one is newer than the last run. Without
  anything new the link waits (it is checked again the next minute, until it runs).

Starting a run sets the link's `last_run_at` with a compare-and-set, so two schedulers never
start the same link twice.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from . import storage
from .models import LinkUpload, SourceLink
from .tasks import CLAIM_EXPIRES, start_upload

log = logging.getLogger("schoolbrug.sync.scheduler")

STARTED_BY = "scheduler"


@dataclass(slots=True)
class Outcome:
    link: SourceLink
    upload: LinkUpload | None = None
    note: str = ""  # Dutch, for the command's output: why nothing ran


def due_since(link: SourceLink, now: datetime.datetime) -> datetime.datetime:
    """The moment today (local time) the link's daily time came."""
    local = timezone.localtime(now)
    return timezone.make_aware(datetime.datetime.combine(local.date(), link.daily_time))


def due_links(now: datetime.datetime) -> list[SourceLink]:
    """The active links whose daily time has passed today and that have not run since."""
    local = timezone.localtime(now)
    candidates = (
        SourceLink.objects.filter(sync_active=True, daily_time__lte=local.time())
        .select_related("institution")
        .order_by("daily_time", "institution__number")
    )
    return [
        link
        for link in candidates
        if link.last_run_at is None or link.last_run_at < due_since(link, now)
    ]


def run_due(now: datetime.datetime | None = None) -> list[Outcome]:
    """Start the run of every due link; one outcome per due link."""
    now = now or timezone.now()
    return [_run(link, now) for link in due_links(now)]


def _claim(link: SourceLink, now: datetime.datetime) -> bool:
    """Mark the link as run now, unless someone else did since we read it."""
    claimed = SourceLink.objects.filter(pk=link.pk, last_run_at=link.last_run_at).update(
        last_run_at=now
    )
    if claimed:
        link.last_run_at = now
    return bool(claimed)


def _waiting() -> Q:
    """Uploads still to be synced: received (the broker could not take them, or another sync
    of the school held it too long), or taken by a process that died long ago. Without a
    broker nothing delivers those again (gunicorn stops a request after 30 s)."""
    abandoned = Q(status=LinkUpload.Status.RUNNING, claimed_at__lt=timezone.now() - CLAIM_EXPIRES)
    return Q(status=LinkUpload.Status.RECEIVED) | abandoned


def _run(link: SourceLink, now: datetime.datetime) -> Outcome:
    if link.source == SourceLink.Source.INFORMAT:
        if not _claim(link, now):
            return Outcome(link, note="al gestart door een andere planner")
        upload = LinkUpload.objects.create(
            link=link,
            origin=LinkUpload.Origin.PULL,
            format="informat",
            received_at=timezone.now(),
            started_by=STARTED_BY,
        )
        return Outcome(link, start_upload(upload))

    waiting = list(
        link.uploads.filter(_waiting(), origin=LinkUpload.Origin.UPLOAD).order_by("-received_at")
    )
    dropped = storage.new_drop_files(link)
    newest_upload = waiting[0] if waiting else None
    use_drop = bool(dropped) and (
        newest_upload is None or storage.newest_drop_time(dropped) > newest_upload.received_at
    )
    if newest_upload is None and not use_drop:
        return Outcome(link, note="geen nieuwe export")
    if not _claim(link, now):
        return Outcome(link, note="al gestart door een andere planner")
    # Only the newest export counts: older ones that were never synced are replaced by it.
    older = [u.pk for u in waiting if use_drop or u.pk != newest_upload.pk]
    LinkUpload.objects.filter(_waiting(), pk__in=older).update(
        status=LinkUpload.Status.SUPERSEDED, finished_at=timezone.now()
    )
    upload = storage.store_drop(link, dropped, started_by=STARTED_BY) if use_drop else newest_upload
    log.info("scheduler: link %s (%s): upload %s", link.pk, link.source, upload.pk)
    return Outcome(link, start_upload(upload))
