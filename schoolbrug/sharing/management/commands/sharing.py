"""`schoolbrug sharing activate|deactivate|status --institution N [--as EMAIL]`."""

from __future__ import annotations

import sys

from schoolbrug.audit.commands import AuditedCommand
from schoolbrug.registry.models import Institution
from schoolbrug.sharing.access import institution_by_number
from schoolbrug.sharing.consent import RefusedError, activate, active_sharing, deactivate
from schoolbrug.sharing.models import ProtocolVersion

EXIT_REFUSED = 2


class Command(AuditedCommand):
    actor_option = "email"
    help = "Activeer of stop het delen van klasinformatie van een instelling (databeheerder)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        for name, text in (
            ("activate", "deel klasinformatie onder het huidige protocol"),
            ("deactivate", "stop het delen van klasinformatie"),
            ("status", "toon of de instelling klasinformatie deelt"),
        ):
            sub = actions.add_parser(name, help=text)
            sub.add_argument("--institution", required=True, help="instellingsnummer")
            if name != "status":
                sub.add_argument("--as", dest="email", required=True, help="e-mail databeheerder")
            if name == "activate":
                sub.add_argument("--protocol", help="protocolversie (standaard: de nieuwste)")

    def handle(self, *args, **opts):
        try:
            institution = institution_by_number(opts["institution"])
            if opts["action"] == "activate":
                protocol = None
                if opts["protocol"]:
                    protocol = ProtocolVersion.objects.filter(version=opts["protocol"]).first()
                    if protocol is None:
                        raise RefusedError(
                            f"Protocolversie {opts['protocol']} bestaat niet.",
                            f"unknown protocol version {opts['protocol']}",
                        )
                sharing = activate(institution, opts["email"], protocol)
                self.stdout.write(
                    f"{institution.number} deelt klasinformatie onder protocol "
                    f"{sharing.protocol.version} (geactiveerd door {sharing.activated_by})."
                )
            elif opts["action"] == "deactivate":
                deactivate(institution, opts["email"])
                self.stdout.write(f"{institution.number} deelt geen klasinformatie meer.")
            else:
                self._status(institution)
        except RefusedError as refused:
            self.stderr.write(refused.reason_nl)
            sys.exit(EXIT_REFUSED)

    def _status(self, institution: Institution) -> None:
        sharing = active_sharing(institution)
        if sharing is None:
            self.stdout.write(f"{institution.number} deelt geen klasinformatie.")
            return
        self.stdout.write(
            f"{institution.number} deelt klasinformatie sinds {sharing.activated_at:%Y-%m-%d %H:%M}"
            f" onder protocol {sharing.protocol.version} (door {sharing.activated_by})."
        )
