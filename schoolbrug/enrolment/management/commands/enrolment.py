"""`schoolbrug enrolment sync-admin-groups FILE | rollover [--today DATE]`: the enrolment site's
commands (enrolment/)."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

from django.core.management.base import CommandError

from schoolbrug.audit.commands import AuditedCommand
from schoolbrug.enrolment import admin_groups

EXIT_REFUSED = 2


class Command(AuditedCommand):
    help = (
        "Aanmeldingen (LOP): laad de administratieve groepen, of schakel over naar een nieuw "
        "schooljaar."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        sync = actions.add_parser(
            "sync-admin-groups",
            help="laad de lijst van administratieve groepen (CSV, XLSX of TXT)",
        )
        sync.add_argument("file", help="het bestand met de lijst")
        roll = actions.add_parser(
            "rollover",
            help="schakel elk LOP over naar het nieuwe schooljaar (veilig om twee keer te doen)",
        )
        roll.add_argument("--today", help="doe alsof het vandaag deze datum is (jjjj-mm-dd)")

    def handle(self, *args, **opts):
        if opts["action"] == "sync-admin-groups":
            path = Path(opts["file"])
            if not path.is_file():
                raise CommandError(f"{path.name}: bestand niet gevonden.")
            try:
                counts = admin_groups.sync_admin_groups(path)
            except admin_groups.ListError as error:
                self.stderr.write(str(error))
                self.stderr.write("Er werd niets gewijzigd.")
                sys.exit(EXIT_REFUSED)
            self.stdout.write(str(counts))
        else:
            from schoolbrug.enrolment import rollover

            today = _date(opts["today"]) if opts["today"] else None
            for line in rollover.run(today):
                self.stdout.write(line)


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--today '{text}' is geen datum; schrijf ze als 2027-08-01.") from None
