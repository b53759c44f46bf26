"""`schoolbrug merge plan|approve|execute|rollback|status`: one command, one module per step
(schoolbrug/merge/cli_<step>.py, each with `add_arguments(parser)` and `run(command, options)`)."""

from __future__ import annotations

import importlib

from schoolbrug.audit.commands import AuditedCommand

STEPS = {
    "plan": "maak een samenvoegingsplan (leest de andere databank, schrijft PLAN.json)",
    "approve": "keur een plan goed als directeur of bestuursbeheerder",
    "execute": "voer een goedgekeurd plan uit (eerst een back-up, alleen-lezen tijdens de run)",
    "rollback": "zet de back-up van de laatste samenvoeging terug",
    "status": "toon de plannen, goedkeuringen en runs",
}


def _module(step: str):
    return importlib.import_module(f"schoolbrug.merge.cli_{step}")


class Command(AuditedCommand):
    help = "Voeg de databank van een andere scholengroep samen met deze (zie README)."

    def add_arguments(self, parser):
        steps = parser.add_subparsers(dest="step", required=True)
        for step, description in STEPS.items():
            _module(step).add_arguments(steps.add_parser(step, help=description))

    def handle(self, *args, **options):
        return _module(options["step"]).run(self, options)
