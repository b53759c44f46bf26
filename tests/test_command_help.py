"""Every `schoolbrug` command of the project prints its help, subcommands included.

A newcomer's first step is `schoolbrug <command> --help`; a help text argparse cannot format
(e.g. a lazy translation) broke it for `schoolbrug demo` without any other test noticing.
"""

import argparse

import pytest
from django.core.management import get_commands, load_command_class

PROJECT_COMMANDS = sorted(
    (name, app) for name, app in get_commands().items() if app.startswith("schoolbrug.")
)


def _parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                yield from _parsers(subparser)


def test_the_project_has_its_commands():
    names = {name for name, _app in PROJECT_COMMANDS}
    assert {"demo", "generate", "sync", "staff", "scheduler", "export"} <= names


@pytest.mark.parametrize(("name", "app"), PROJECT_COMMANDS)
def test_help_of_every_command_and_subcommand_formats(name, app):
    command = load_command_class(app, name)
    for parser in _parsers(command.create_parser("schoolbrug", name)):
        assert parser.format_help().startswith("usage: schoolbrug")
