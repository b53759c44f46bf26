"""The SIS link's preview: a dry run of the latest export the school's package sent, so the
school sees what the sync would change before it switches the sync on (issue 19).

The same read and plan as the real sync (`links.exports`, `sync.service` with dry_run): it
writes nothing but its run, which the page links to for the full report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schoolbrug.links import exports, storage
from schoolbrug.links.models import LinkUpload, SourceLink
from schoolbrug.sources.errors import BadInput
from schoolbrug.sync.report import SyncReport
from schoolbrug.sync.run_report import ordered_counts
from schoolbrug.sync.service import SyncOptions, record_bad_input, sync_snapshots

ACTIONS_SHOWN = 50
ACTION_WORDS = {
    "created": "nieuw in",
    "moved": "verhuist naar",
    "updated": "gegevens gewijzigd",
    "left": "naar Schoolverlaters",
    "returned": "keert terug in",
    "deferred": "wacht (zie melding)",
    "rejected": "geweigerd (zie melding)",
}


@dataclass
class Preview:
    upload: LinkUpload | None
    report: SyncReport | None = None
    counts: list[tuple[str, str, int]] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    more_actions: int = 0

    @property
    def error(self) -> str:
        if self.report is None or not self.report.error:
            return ""
        where = [self.report.error.get("file") or ""]
        if self.report.error.get("line"):
            where.append(f"regel {self.report.error['line']}")
        if self.report.error.get("field"):
            where.append(f"kolom {self.report.error['field']}")
        place = ", ".join(part for part in where if part)
        return f"{place}: {self.report.error.get('message', '')}".strip(": ")


def latest_export(link: SourceLink) -> LinkUpload | None:
    """The newest export of the link whose files are still kept."""
    for upload in link.uploads.exclude(origin=LinkUpload.Origin.PULL).order_by("-received_at")[:5]:
        if storage.upload_dir(upload.pk).is_dir():
            return upload
    return None


def preview(link: SourceLink, actor: str) -> Preview:
    upload = latest_export(link)
    if upload is None:
        return Preview(upload=None)
    number = link.institution.number
    options = SyncOptions(dry_run=True, started_by=actor)
    try:
        fmt, snapshots = exports.read_export(storage.upload_dir(upload.pk), upload.format, number)
        report = sync_snapshots(snapshots, options=options)[0]
    except BadInput as error:
        report = record_bad_input(
            error, source=upload.format or link.source, institution_number=number, options=options
        )
    changed = [a for a in report.actions if a.get("action") != "unchanged"]
    return Preview(
        upload=upload,
        report=report,
        counts=[row for row in ordered_counts(report.counts) if row[2]],
        actions=[
            {**a, "words": ACTION_WORDS.get(a.get("action"), a.get("action"))}
            for a in changed[:ACTIONS_SHOWN]
        ],
        more_actions=max(0, len(changed) - ACTIONS_SHOWN),
    )
