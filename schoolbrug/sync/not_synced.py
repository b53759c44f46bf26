"""Runs that changed nothing through no fault of the export: a sync that failed in Schoolbrug
or the database, and one refused because another sync of the institution held it too long.

Each is stored as a run (status `failed` or `busy`) so the school sees it on its pages, and
reported with a Dutch message; the log gets the English side, the traceback included, but
never what an exception says: a database's refusal quotes the row it refused.
"""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING

from django.db import DatabaseError
from django.utils import timezone

from schoolbrug.sources.records import Snapshot

from .models import SyncRun
from .report import SyncReport

if TYPE_CHECKING:
    from .service import SyncOptions

log = logging.getLogger("schoolbrug.sync")


NOT_SYNCED = {
    SyncRun.Status.FAILED: (
        "Er liep iets mis in Schoolbrug zelf bij het synchroniseren van deze instelling; er is "
        "niets gewijzigd voor deze instelling (de andere instellingen zijn wel gesynchroniseerd). "
        "De beheerder van Schoolbrug vindt de oorzaak in het logboek van de server."
    ),
    SyncRun.Status.BUSY: (
        "Er liep al een synchronisatie van deze instelling en die was niet op tijd klaar; deze "
        "synchronisatie is daarom niet uitgevoerd en heeft niets gewijzigd. Start ze opnieuw "
        "wanneer de andere klaar is."
    ),
}


def not_synced(snapshot: Snapshot, options: SyncOptions, status: str) -> SyncReport:
    """A run that changed nothing (failed, or refused as busy), stored so the school sees it."""
    now = timezone.now()
    run_id = None
    try:
        run_id = SyncRun.objects.create(
            started_at=now,
            finished_at=now,
            started_by=options.started_by,
            source=snapshot.source,
            institution_number=snapshot.institution_number,
            source_hash=snapshot.source_hash,
            options={"dry_run": options.dry_run, "force": options.force},
            status=status,
        ).pk
    except DatabaseError as error:  # the database is away: the report still says it
        log.error(
            "sync %s %s: the %s run could not be stored either (%s)",
            snapshot.source,
            snapshot.institution_number,
            status,
            type(error).__name__,
        )
    return SyncReport(
        institution=snapshot.institution_number,
        source=snapshot.source,
        dry_run=options.dry_run,
        applied=False,
        counts={},
        findings=[],
        run_id=run_id,
        failed=status == SyncRun.Status.FAILED,
        busy=status == SyncRun.Status.BUSY,
        message=NOT_SYNCED[status],
    )


def traceback_without_values(error: BaseException) -> str:
    """Where it went wrong (frames and exception types) without what the exceptions say: a
    database error's text may quote the row it refused, national number included."""
    lines = []
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        lines.append(f"{type(error).__module__}.{type(error).__qualname__}")
        lines += [line.rstrip() for line in traceback.format_tb(error.__traceback__)]
        error = error.__cause__ or error.__context__
        if error is not None:
            lines.append("which came from:")
    return "\n".join(lines)
