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


def _available() -> dict[str, object]:
    """The steps whose module is there (while issue 23 is built in parallel branches;
    tests/merge/test_cli.py asserts that every step of STEPS is)."""
    found = {}
    for step in STEPS:
        try:
            found[step] = _module(step)
        except ModuleNotFoundError as missing:
            if missing.name != f"schoolbrug.merge.cli_{step}":
                raise
    return found


class Command(AuditedCommand):
    help = "Voeg de databank van een andere scholengroep samen met deze (zie README)."

    def add_arguments(self, parser):
        steps = parser.add_subparsers(dest="step", required=True)
        for step, module in _available().items():
            module.add_arguments(steps.add_parser(step, help=STEPS[step]))

    def handle(self, *args, **options):
        return _module(options["step"]).run(self, options)
