"""The `schoolbrug` console script: Django's management commands under one name."""

import os
import sys

# Commands that need no tables of their own (or make them): no migration before them.
NO_DATABASE = {
    "",
    "help",
    "version",
    "migrate",
    "makemigrations",
    "showmigrations",
    "sqlmigrate",
    "check",
    "test",
    "compilemessages",
    "makemessages",
    "collectstatic",
    "generate",
    "demo",  # migrates itself, and says so
}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbrug.settings")
    if not _verbose(sys.argv[2:]):
        # English log lines go to VAR_DIR/schoolbrug.log; stderr keeps the Dutch messages.
        os.environ.setdefault("SCHOOLBRUG_LOG_TO", "file")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    except ImproperlyConfigured as refused:  # e.g. a weak secret key: say why, no traceback
        sys.stderr.write(f"schoolbrug: {refused}\n")
        sys.exit(1)
    from django.core.management import execute_from_command_line

    from schoolbrug.audit.commands import CLI_ACTOR, command_reason
    from schoolbrug.audit.context import acting

    # Every command's changes are logged, Django's own (createsuperuser) too; a command of
    # ours refines this with its --as option (audit.commands.AuditedCommand).
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    with acting(CLI_ACTOR, command_reason(command)):
        _migrate_fresh_database(command, sys.argv[2:])
        execute_from_command_line([os.path.basename(sys.argv[0]) or "schoolbrug", *sys.argv[1:]])


def _verbose(args: list[str]) -> bool:
    """-v 2 or 3 (Django's verbosity): the log lines on stderr as well."""
    for position, arg in enumerate(args):
        if arg in ("-v", "--verbosity") and position + 1 < len(args):
            value = args[position + 1]
        elif arg.startswith("--verbosity="):
            value = arg.removeprefix("--verbosity=")
        elif arg.startswith("-v") and not arg.startswith("--"):
            value = arg[2:]  # -v2
        else:
            continue
        if value.isdigit() and int(value) >= 2:
            return True
    return False


def _migrate_fresh_database(command: str, args: list[str]) -> None:
    """A database without any table (a new SCHOOLBRUG_VAR_DIR, an empty PostgreSQL
    database) is migrated by the first command that needs it, instead of "no such table"."""
    if command in NO_DATABASE or command.startswith("-") or {"-h", "--help"} & set(args):
        return
    import django
    from django.core.management import call_command
    from django.db import DatabaseError, connection

    django.setup()
    try:
        tables = connection.introspection.table_names()
    except DatabaseError:
        return  # unreachable: the command itself says so
    if "django_migrations" in tables:
        return
    sys.stderr.write("schoolbrug: nieuwe database, de tabellen worden aangemaakt…\n")
    call_command("migrate", interactive=False, verbosity=0)


if __name__ == "__main__":
    main()
