"""Management commands change data as the person their `--as` option names, else as "cli":
`AuditedCommand` opens that audit context around the command, with the reason "cli" plus the
command's name (and sub-command). `schoolbrug.cli` opens one around every command too (a
Django command such as `createsuperuser`), which this one refines."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from .context import acting

CLI_ACTOR = "cli"


class AuditedCommand(BaseCommand):
    # The `dest` of the command's --as option; `default_actor` when it has none or it is empty.
    actor_option = "actor"
    default_actor = CLI_ACTOR

    def execute(self, *args, **options):
        actor = str(options.get(self.actor_option) or "").strip() or self.default_actor
        with acting(actor, command_reason(self.__module__, options.get("action"))):
            return super().execute(*args, **options)


def command_reason(module: str, action: str | None = None) -> str:
    name = module.rsplit(".", 1)[-1]
    return f"cli {name} {action}" if action else f"cli {name}"
