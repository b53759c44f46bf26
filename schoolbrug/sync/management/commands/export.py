"""`schoolbrug export oneroster OUTDIR`: write the registry in a format others read."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from schoolbrug.sync.management.school_year import start_year_argument
from schoolbrug.sync.oneroster_export import export_oneroster

EXIT_USAGE = 2


class Command(BaseCommand):
    help = "Exporteer het register als OneRoster 1.2 CSV (bulk)."

    def add_arguments(self, parser):
        formats = parser.add_subparsers(dest="format", required=True)
        oneroster = formats.add_parser("oneroster", help="OneRoster 1.2 CSV bulk set (een map)")
        oneroster.add_argument("out_dir", type=Path, metavar="OUTDIR", help="doelmap")
        oneroster.add_argument(
            "--institution",
            action="append",
            dest="institutions",
            metavar="N",
            help="instellingsnummer (herhaal voor meer; standaard: alle instellingen)",
        )
        oneroster.add_argument(
            "--with-national-number",
            action="store_true",
            help="zet het rijksregisternummer in userIds als {RRN:...} (gevoelige gegevens)",
        )
        oneroster.add_argument(
            "--school-year", help="schooljaar, bv. 2026-2027 (standaard: het lopende)"
        )

    def handle(self, *args, **opts):
        try:
            paths = export_oneroster(
                opts["out_dir"],
                institution_numbers=opts["institutions"],
                with_national_number=opts["with_national_number"],
                school_year=start_year_argument(opts["school_year"], returncode=EXIT_USAGE),
            )
        except LookupError as error:
            raise CommandError(f"Niets geëxporteerd: {error}", returncode=EXIT_USAGE) from None
        for path in paths:
            with path.open("rb") as handle:
                rows = sum(1 for _ in handle) - 1
            self.stdout.write(f"{path}  ({rows} {'regel' if rows == 1 else 'regels'})")
        if opts["with_national_number"]:
            self.stderr.write(
                "Let op: users.csv bevat rijksregisternummers. Bewaar en verstuur de export "
                "beveiligd."
            )
