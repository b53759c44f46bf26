"""`schoolbrug encryption rotate`: encrypt every stored secret again with the first key of
SCHOOLBRUG_ENCRYPTION_KEY, after a new key was put in front (see schoolbrug/encryption.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from schoolbrug import encryption


class Command(BaseCommand):
    help = (
        "Versleutel alle bewaarde geheimen opnieuw met de eerste sleutel van "
        "SCHOOLBRUG_ENCRYPTION_KEY (na het toevoegen van een nieuwe sleutel vooraan)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("rotate", help="versleutel alles opnieuw met de eerste sleutel")

    def handle(self, *args, **opts):
        count = encryption.rotate()
        self.stdout.write(
            f"{count} geheim(en) opnieuw versleuteld met de eerste sleutel. De oude sleutels "
            "mogen nu uit SCHOOLBRUG_ENCRYPTION_KEY."
        )
