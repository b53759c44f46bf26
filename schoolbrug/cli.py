"""The `schoolbrug` console script: Django's management commands under one name."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbrug.settings")
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
        execute_from_command_line([os.path.basename(sys.argv[0]) or "schoolbrug", *sys.argv[1:]])


if __name__ == "__main__":
    main()
