"""`schoolbrug apps create|list|scopes|grant|revoke`: apps that read class information."""

from __future__ import annotations

import json
import sys

from schoolbrug.audit.commands import AuditedCommand
from schoolbrug.sharing import access
from schoolbrug.sharing.consent import RefusedError
from schoolbrug.sharing.models import ROSTER_SCOPES, App

EXIT_REFUSED = 2


class Command(AuditedCommand):
    help = "Registreer applicaties en geef of ontneem hun toegang tot klasinformatie."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="registreer een applicatie (OAuth2-client)")
        create.add_argument("name")
        create.add_argument("--json", action="store_true", help="toon id en geheim als JSON")
        create.add_argument(
            "--scope",
            action="append",
            choices=ROSTER_SCOPES,
            help="toegelaten scope (herhaalbaar; standaard roster-core en roster)",
        )
        actions.add_parser("list", help="toon de applicaties en hun toegang")
        scopes = actions.add_parser("scopes", help="stel de toegelaten scopes in")
        scopes.add_argument("app", help="naam of client id")
        scopes.add_argument(
            "--scope", action="append", required=True, choices=ROSTER_SCOPES, help="herhaalbaar"
        )
        changing = [create, scopes]
        for name, text in (("grant", "geef toegang"), ("revoke", "ontneem toegang")):
            sub = actions.add_parser(name, help=text)
            sub.add_argument("app", help="naam of client id")
            sub.add_argument("--institution", required=True, help="instellingsnummer")
            if name == "grant":
                sub.add_argument(
                    "--class",
                    dest="classes",
                    action="append",
                    default=[],
                    help="klascode (herhaalbaar); zonder: alle klassen",
                )
            changing.append(sub)
        for sub in changing:  # the audit log's actor (audit.commands.AuditedCommand)
            sub.add_argument("--as", dest="actor", default="cli", help="wie dit beslist")

    def handle(self, *args, **opts):
        try:
            getattr(self, f"_{opts['action']}")(opts)
        except RefusedError as refused:
            self.stderr.write(refused.reason_nl)
            sys.exit(EXIT_REFUSED)

    def _create(self, opts) -> None:
        app, secret = access.create_app(opts["name"], opts["scope"])
        if opts["json"]:
            payload = {
                "name": app.name,
                "client_id": app.client_id,
                "client_secret": secret,
                "scopes": app.scopes,
            }
            self.stdout.write(json.dumps(payload))
            return
        self.stdout.write(f"Applicatie: {app.name}")
        self.stdout.write(f"client id: {app.client_id}")
        self.stdout.write(f"client secret: {secret}")
        self.stdout.write("Bewaar het geheim nu: het wordt niet opnieuw getoond.")

    def _list(self, opts) -> None:
        for app in App.objects.prefetch_related("grants__institution", "grants__classes"):
            self.stdout.write(f"{app.name}\t{app.client_id}")
            for grant in app.grants.all():
                what = (
                    "alle klassen"
                    if grant.all_classes
                    else ", ".join(sorted(c.code for c in grant.classes.all()))
                )
                self.stdout.write(f"\t{grant.institution.number}\t{what}")

    def _scopes(self, opts) -> None:
        app = access.set_scopes(access.find_app(opts["app"]), opts["scope"])
        self.stdout.write(f"{app.name} mag nu: {' '.join(app.scopes)}.")

    def _grant(self, opts) -> None:
        app, institution = (
            access.find_app(opts["app"]),
            access.institution_by_number(opts["institution"]),
        )
        grant = access.grant(app, institution, opts["classes"], opts["actor"])
        what = "alle klassen" if grant.all_classes else ", ".join(opts["classes"])
        self.stdout.write(f"{app.name} heeft toegang tot {institution.number}: {what}.")

    def _revoke(self, opts) -> None:
        app, institution = (
            access.find_app(opts["app"]),
            access.institution_by_number(opts["institution"]),
        )
        access.revoke(app, institution, opts["actor"])
        self.stdout.write(f"{app.name} heeft geen toegang meer tot {institution.number}.")
