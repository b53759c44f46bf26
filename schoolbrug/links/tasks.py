"""Background work of the SIS link: the sync of one export that came in over a link.

One task, `run_upload(upload_id)`: reads the upload record (made before, so the uploader has
its id), pulls from Informat first when it is a pull, reads the files, syncs, and stores the
SyncRun on the record. Arguments are ids, never personal data.

`enqueue(task, *args)` sends a task to the Celery workers when `settings.CELERY_BROKER_URL` is
set, and otherwise runs it here and now: the demo and the tests need no broker.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from schoolbrug.audit import context as audit_context
from schoolbrug.celery import app
from schoolbrug.logs import traceback_lines
from schoolbrug.sources.errors import BadInput
from schoolbrug.sync.service import SyncOptions, record_bad_input, sync_snapshots

from . import exports, storage
from .models import LinkUpload

# The logger keeps its name from before the move into links/: operators filter logs by it.
log = logging.getLogger("schoolbrug.sync.tasks")

TASK_ACTOR = "celery"
# An upload is taken for its sync once: a task delivered twice (Celery's acks_late, two
# schedulers) finds it running and leaves it. A claim older than CLAIM_EXPIRES is a worker
# that died mid-sync (its transaction rolled back, nothing written): the task the broker
# delivers again then takes the upload over. One school's sync takes seconds.
CLAIMABLE = (LinkUpload.Status.RECEIVED, LinkUpload.Status.QUEUED)
CLAIM_EXPIRES = datetime.timedelta(minutes=30)
INTERNAL_ERROR = (
    "Er liep iets mis in Schoolbrug zelf bij het synchroniseren van deze export; er is niets "
    "gewijzigd. De beheerder kan het logboek van de server nakijken."
)


def enqueue(task, *args) -> str | None:
    """Run `task(*args)` in the background (Celery) when a broker is configured, else here.

    Returns the Celery task id, or None when the task ran in this process.
    """
    url = settings.CELERY_BROKER_URL
    if url:
        # The broker named by the settings now (not the one the app read at start).
        with task.app.connection_for_write(url) as connection:
            return task.apply_async(args=args, connection=connection).id
    task(*args)
    return None


# The name it had when it lived in sync/: a task a broker still holds under it runs.
@app.task(name="schoolbrug.sync.run_upload")
def run_upload(upload_id: str) -> None:
    # In a worker Celery's Django fix-up closes stale database connections around each task.
    # The audit actor: the worker, or whoever runs it here (no broker: the page, the planner).
    actor = None if audit_context.current().known else TASK_ACTOR
    with audit_context.acting(actor, f"upload {upload_id}"):
        process_upload(upload_id)


def start_upload(upload: LinkUpload) -> LinkUpload:
    """Queue the sync of an upload (or run it here without a broker); returns it refreshed.

    When the broker cannot be reached the upload stays `received`: the scheduler takes it at
    the link's next daily time.
    """
    LinkUpload.objects.filter(pk=upload.pk, status=LinkUpload.Status.RECEIVED).update(
        status=LinkUpload.Status.QUEUED
    )
    try:
        enqueue(run_upload, str(upload.pk))
    except Exception as error:  # a broker that is down, or a failed run here (logged below)
        LinkUpload.objects.filter(pk=upload.pk, status=LinkUpload.Status.QUEUED).update(
            status=LinkUpload.Status.RECEIVED
        )
        log.error("upload %s: could not start its sync: %s", upload.pk, type(error).__name__)
    upload.refresh_from_db()
    return upload


def process_upload(upload_id: str) -> LinkUpload | None:
    """Sync one upload. Safe to run twice, also at once: only one run claims it; a running or
    finished upload is left as it is."""
    claimed = claim_upload(upload_id)
    upload = LinkUpload.objects.select_related("link__institution").filter(pk=upload_id).first()
    if upload is None:  # its link was removed meanwhile
        log.warning("upload %s: no longer exists", upload_id)
        return None
    if not claimed:
        return upload
    link = upload.link
    number = link.institution.number
    options = SyncOptions(started_by=upload.started_by)
    try:
        try:
            if upload.origin == LinkUpload.Origin.PULL:
                _pull(upload)
            upload.format, snapshots = exports.read_export(
                storage.upload_dir(upload.pk), upload.format, number
            )
            report = sync_snapshots(snapshots, options=options)[0]
        except BadInput as error:
            report = record_bad_input(
                error, source=upload.format, institution_number=number, options=options
            )
    except Exception as error:
        upload.status = LinkUpload.Status.FAILED
        upload.error = INTERNAL_ERROR
        upload.finished_at = timezone.now()
        upload.save(update_fields=["status", "error", "finished_at", "format"])
        # Where it went wrong, without what the exceptions say (a database error's text may
        # quote the row it refused, a parser's the cell). Not raised again: Celery would log
        # the task's failure with the message, and the upload already says it failed.
        log.error(
            "upload %s (%s): sync failed: %s\n%s",
            upload.pk,
            number,
            type(error).__name__,
            "".join(traceback_lines(error)),
        )
        return upload
    upload.sync_run_id = report.run_id
    upload.status = LinkUpload.Status.DONE
    upload.error = ""
    if report.failed:
        upload.status, upload.error = LinkUpload.Status.FAILED, report.message
    elif report.busy:  # kept for the scheduler, like an upload the broker could not take
        upload.status, upload.error = LinkUpload.Status.RECEIVED, report.message
    upload.finished_at = timezone.now()
    upload.save(update_fields=["sync_run", "status", "error", "finished_at", "format"])
    log.info("upload %s (%s): run %s", upload.pk, number, report.run_id)
    storage.prune_upload_files(link)
    return upload


def claim_upload(upload_id: str) -> bool:
    """Take the upload for its sync, in one conditional UPDATE: of two at once, one wins."""
    now = timezone.now()
    abandoned = Q(status=LinkUpload.Status.RUNNING) & (
        Q(claimed_at__lt=now - CLAIM_EXPIRES) | Q(claimed_at__isnull=True)
    )
    return bool(
        LinkUpload.objects.filter(Q(status__in=CLAIMABLE) | abandoned, pk=upload_id).update(
            status=LinkUpload.Status.RUNNING, claimed_at=now
        )
    )


def _pull(upload: LinkUpload) -> None:
    """Fetch the pupils from Informat into the upload's folder."""
    from .informat_pull import InformatCredentials, pull_pupils

    link = upload.link
    credentials = InformatCredentials(
        pupils_url=link.informat_base_url,
        token_url=link.informat_token_url,
        client_id=link.informat_client_id,
        client_secret=link.informat_client_secret,
        scope=link.informat_scope,
    )
    data = pull_pupils(credentials, link.institution.number)
    folder = storage.private_dir(storage.upload_dir(upload.pk))
    with storage.private_file(folder / storage.INFORMAT_FILE) as out:
        out.write(data)
