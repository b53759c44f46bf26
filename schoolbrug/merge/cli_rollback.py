"""`schoolbrug merge rollback --as EMAIL [--force]`: put back the last merge's backup."""

from __future__ import annotations

from . import rollback
from .cli_common import add_actor, refusals_as_errors


def add_arguments(parser) -> None:
    add_actor(parser, "het e-mailadres van de bestuursbeheerder van het ontvangende bestuur")
    parser.add_argument(
        "--force",
        action="store_true",
        help="ook als er na de samenvoeging nog gewijzigd werd (die wijzigingen gaan verloren)",
    )


@refusals_as_errors
def run(command, options) -> None:
    done = rollback.rollback(actor=options["actor"], force=options["force"])
    command.stdout.write(
        f"Samenvoeging {done.pk} is teruggezet: de databank is weer zoals vóór de samenvoeging."
    )
