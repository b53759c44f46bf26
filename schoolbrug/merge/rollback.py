"""`schoolbrug merge rollback`: the receiving database back as it was before the last merge.

The backup (backup.py) replaces the whole database, read-only meanwhile. The merge's own
records (plans, approvals, runs) are kept across it, so the history says that the run happened
and was rolled back, and by whom. Everything else changed since the backup is gone: when the
change log shows changes after the merge finished, rollback asks for --force first.
"""

from __future__ import annotations

import logging

from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry

from . import backup, readonly
from .errors import MergeRefused
from .execute import check_starter
from .models import MergeApproval, MergePlanRecord, MergeRun
from .records import find

log = logging.getLogger("schoolbrug.merge")

KEPT = (MergePlanRecord, MergeApproval, MergeRun)  # in the order they are written back


def last_run() -> MergeRun | None:
    """The last run that has a backup and was not rolled back yet."""
    return (
        MergeRun.objects.exclude(backup_path="")
        .exclude(state=MergeRun.State.ROLLED_BACK)
        .order_by("-pk")
        .first()
    )


def changes_since(run: MergeRun) -> int:
    """Change-log entries written after the merge finished (lost by a rollback)."""
    if run.finished_at is None:
        return 0
    later = AuditEntry.objects.filter(at__gt=run.finished_at)
    return later.exclude(entity__in=("merge_run", "merge_approval")).count()


def _kept_rows() -> dict[type, list[dict]]:
    return {model: list(model.objects.values()) for model in KEPT}


def _write_back(rows: dict[type, list[dict]]) -> None:
    with transaction.atomic():
        for model in reversed(KEPT):
            model.objects.all().delete()
        for model in KEPT:
            model.objects.bulk_create(model(**row) for row in rows[model])
        # The rows keep their ids: PostgreSQL's sequences must not hand them out again.
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), KEPT):
                cursor.execute(statement)


def rollback(*, actor: str, force: bool = False) -> MergeRun:
    run = last_run()
    if run is None:
        raise MergeRefused(
            "Er is geen samenvoeging met een back-up om terug te zetten.", "nothing to roll back"
        )
    record = find(run.digest)
    if record is None:
        raise MergeRefused("Het plan van de laatste samenvoeging is niet bekend.", "plan gone")
    check_starter(record.plan, actor)
    with readonly.merging("rollback", run):
        # Counted under the flag: a change made before it was up is counted, none comes after.
        lost = changes_since(run)
        if lost and not force:
            raise MergeRefused(
                f"Na de samenvoeging werden nog {lost} wijzigingen gelogd (synchronisaties, "
                "aanpassingen in het portaal). Terugzetten maakt die ongedaan. Herhaal met "
                "--force als dat de bedoeling is.",
                f"{lost} changes after the merge; --force needed",
            )
        kept = _kept_rows()
        backup.restore(run.backup_path)
        _write_back(kept)
    run = MergeRun.objects.get(pk=run.pk)
    run.state, run.rolled_back_at = MergeRun.State.ROLLED_BACK, timezone.now()
    run.save()
    log.warning("merge: run %s rolled back", run.pk)
    return run
