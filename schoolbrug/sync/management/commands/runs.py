"""`schoolbrug runs`: the latest sync runs, newest first."""

from django.core.management.base import BaseCommand
from django.utils.timezone import localtime

from schoolbrug.sync.models import SyncRun


class Command(BaseCommand):
    help = "Toon de laatste synchronisaties."

    def add_arguments(self, parser):
        parser.add_argument("--institution", help="alleen deze instelling")
        parser.add_argument("--limit", type=int, default=20)

    def handle(self, *args, **opts):
        runs = SyncRun.objects.all()
        if opts["institution"]:
            runs = runs.filter(institution_number=opts["institution"])
        self.stdout.write("run\tbegonnen\tinstelling\tbron\tstatus\tdoor\tgewijzigd\tbevindingen")
        for run in runs[: opts["limit"]]:
            changed = sum(v for k, v in (run.counts or {}).items() if k != "unchanged")
            self.stdout.write(
                f"{run.pk}\t{localtime(run.started_at):%d/%m/%Y %H:%M}\t{run.institution_number}\t"
                f"{run.source}\t{run.get_status_display()}\t{run.started_by}\t{changed}\t{len(run.findings)}"
            )
