"""`schoolbrug export oneroster OUTDIR` / `export edexml OUT.xml`: write the registry in a format
others read."""

from __future__ import annotations

import zipfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from schoolbrug.oneroster.csv_out.export import NotInRegistry, export_oneroster, parse_moment
from schoolbrug.oneroster.csv_out.files import is_zip_target
from schoolbrug.sync.management.school_year import start_year_argument

EXIT_USAGE = 2


class Command(BaseCommand):
    help = "Exporteer het register als OneRoster 1.2 CSV (bulk of delta, map of zip)."

    def add_arguments(self, parser):
        formats = parser.add_subparsers(dest="format", required=True)
        oneroster = formats.add_parser(
            "oneroster",
            help="OneRoster 1.2 CSV: een map, of één zip-bestand als OUTDIR op .zip eindigt",
        )
        oneroster.add_argument(
            "out_dir", type=Path, metavar="OUTDIR", help="doelmap, of bv. export.zip"
        )
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
        oneroster.add_argument(
            "--delta-since",
            metavar="DATUM",
            help="delta: enkel wat sindsdien wijzigde, bv. 2026-09-01 of 2026-09-01T08:00 "
            "(zonder tijdzone: Belgische tijd)",
        )

        oneroster.add_argument(
            "--with-references",
            action="store_true",
            help="bij --delta-since: ook de ongewijzigde scholen, klassen, cursussen en "
            "schooljaren/periodes waarnaar de delta verwijst, zodat ze op zichzelf leesbaar is",
        )

        edexml = formats.add_parser(
            "edexml",
            help="EDEXML 2.1 van één instelling (Nederlands met BRIN, anders Vlaams)",
        )
        edexml.add_argument("out_file", type=Path, metavar="OUT.xml", help="doelbestand")
        edexml.add_argument(
            "--institution", required=True, metavar="N", help="BRIN of instellingsnummer"
        )
        edexml.add_argument(
            "--school-year", help="schooljaar, bv. 2026-2027 (standaard: het lopende)"
        )
        edexml.add_argument(
            "--with-national-number",
            action="store_true",
            help="Vlaamse instelling: zet het rijksregisternummer in het bestand (gevoelig)",
        )

    def handle(self, *args, **opts):
        if opts["format"] == "edexml":
            return self._edexml(opts)
        since = None
        if opts["with_references"] and opts["delta_since"] is None:
            raise CommandError(
                "Niets geëxporteerd: --with-references hoort bij --delta-since (een volledige "
                "export bevat alle verwijzingen al).",
                returncode=EXIT_USAGE,
            )
        if opts["delta_since"] is not None:
            try:
                since = parse_moment(opts["delta_since"])
            except ValueError:
                raise CommandError(
                    f"Niets geëxporteerd: --delta-since '{opts['delta_since']}' is geen datum of "
                    "tijdstip; schrijf het als 2026-09-01 of 2026-09-01T08:00.",
                    returncode=EXIT_USAGE,
                ) from None
        target = opts["out_dir"]
        if is_zip_target(target) and target.is_dir():
            raise CommandError(
                f"Niets geëxporteerd: {target} is een map; een doel op .zip wordt als één "
                "zip-bestand geschreven. Kies een andere naam.",
                returncode=EXIT_USAGE,
            )
        try:
            paths = export_oneroster(
                target,
                institution_numbers=opts["institutions"],
                with_national_number=opts["with_national_number"],
                school_year=start_year_argument(opts["school_year"], returncode=EXIT_USAGE),
                delta_since=since,
                with_references=opts["with_references"],
            )
        except NotInRegistry as error:
            raise CommandError(
                f"Niets geëxporteerd: {error.message_nl}.", returncode=EXIT_USAGE
            ) from None
        except OSError as error:
            raise CommandError(
                f"Niets geëxporteerd: {target} kan niet geschreven worden "
                f"({error.strerror or error}).",
                returncode=EXIT_USAGE,
            ) from None
        for name, rows in _row_counts(paths):
            self.stdout.write(f"{name}  ({rows} {'regel' if rows == 1 else 'regels'})")
        if opts["with_national_number"]:
            self.stderr.write(
                "Let op: users.csv bevat rijksregisternummers. Bewaar en verstuur de export "
                "beveiligd."
            )

    def _edexml(self, opts) -> None:
        from schoolbrug.edexml.writer import NothingToExport, export_edexml
        from schoolbrug.oneroster.csv_out.export import _school_year
        from schoolbrug.registry.models import Institution

        number = opts["institution"]
        try:
            institution = Institution.objects.get(number=number)
            school_year = _school_year(
                start_year_argument(opts["school_year"], returncode=EXIT_USAGE)
            )
            path = export_edexml(
                opts["out_file"],
                institution,
                school_year,
                with_national_number=opts["with_national_number"],
            )
        except Institution.DoesNotExist:
            raise CommandError(
                f"Niets geëxporteerd: instelling {number} staat niet in het register.",
                returncode=EXIT_USAGE,
            ) from None
        except NotInRegistry as error:
            raise CommandError(
                f"Niets geëxporteerd: {error.message_nl}.", returncode=EXIT_USAGE
            ) from None
        except NothingToExport:
            raise CommandError(
                f"Niets geëxporteerd: instelling {number} heeft in dat schooljaar geen "
                "leerlingen, en een EDEXML-bestand heeft er minstens één.",
                returncode=EXIT_USAGE,
            ) from None
        except OSError as error:
            raise CommandError(
                f"Niets geëxporteerd: {opts['out_file']} kan niet geschreven worden "
                f"({error.strerror or error}).",
                returncode=EXIT_USAGE,
            ) from None
        self.stdout.write(str(path))
        if opts["with_national_number"] and institution.country != Institution.Country.NETHERLANDS:
            self.stderr.write(
                "Let op: het bestand bevat rijksregisternummers. Bewaar en verstuur het beveiligd."
            )


def _row_counts(paths: list[Path]):
    """(what to show, data rows) per file written: a zip's members under the zip's name."""
    for path in paths:
        if is_zip_target(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    yield f"{path}:{member}", archive.read(member).count(b"\n") - 1
        else:
            with path.open("rb") as handle:
                yield str(path), sum(1 for _ in handle) - 1
