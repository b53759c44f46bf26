"""`schoolbrug institutions load FILE`: institutions (number, name, level) from a list file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from schoolbrug.audit.commands import AuditedCommand
from schoolbrug.registry.institutions_file import load_institutions_file
from schoolbrug.sources.errors import BadInput


class Command(AuditedCommand):
    help = "Instellingen beheren in het register."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        load = actions.add_parser(
            "load",
            help="lees instellingen (nummer, naam, niveau) uit instellingen.csv of de "
            "vestigingenlijst van de overheid; nieuwe worden aangemaakt, bestaande bijgewerkt",
        )
        load.add_argument("file", type=Path, metavar="FILE", help="CSV-bestand")
        load.add_argument(
            "--as", dest="actor", default="cli", metavar="WIE", help="wie dit doet (logboek)"
        )

    def handle(self, *args, **opts):
        path: Path = opts["file"]
        if not path.is_file():
            raise CommandError(f"Bestand niet gevonden: {path}")
        try:
            result = load_institutions_file(path)
        except BadInput as error:
            raise CommandError(error.user_text()) from None
        summary = (
            f"{result.total} instellingen in {path.name}: {result.created} nieuw, "
            f"{result.updated} bijgewerkt, {result.unchanged} ongewijzigd"
        )
        if result.skipped:
            summary += f"; {result.skipped} regels van een ander niveau overgeslagen"
        self.stdout.write(summary)
