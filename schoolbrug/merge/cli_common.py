"""What the merge steps' command-line modules share: a refusal becomes the Dutch message on
stderr (CommandError) and the English line in the log."""

from __future__ import annotations

import functools
import logging

from django.core.management.base import CommandError

from .errors import MergeRefused

log = logging.getLogger("schoolbrug.merge")


def refusals_as_errors(run):
    @functools.wraps(run)
    def wrapped(command, options):
        try:
            return run(command, options)
        except MergeRefused as refused:
            log.warning("merge: refused: %s", refused.log_message)
            raise CommandError(refused.message) from None

    return wrapped


def add_actor(parser, help_text: str) -> None:
    # dest "actor": AuditedCommand logs the command's changes as this person.
    parser.add_argument(
        "--as",
        dest="actor",
        metavar="EMAIL",
        required=True,
        type=lambda value: value.strip().lower(),  # as the log and the approvals name people
        help=help_text,
    )
