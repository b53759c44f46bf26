"""`schoolbrug platform products load FILE`, `platform licences add ...` and `platform results
deliver` (the exercise results to the pupil-monitoring systems; from cron)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import CommandError

from schoolbrug.audit.commands import AuditedCommand
from schoolbrug.platform import products
from schoolbrug.platform.models import Licence, MonitoringLink, Product
from schoolbrug.registry.models import Institution

EXIT_BAD_INPUT = 2
# A region's pupils many times over; beyond it PostgreSQL's integer column overflows.
MAX_SEATS = 1_000_000
REFERENCE_MAX = Licence._meta.get_field("reference").max_length


class Command(AuditedCommand):
    help = "Beheer het leerplatform: productcatalogus en licenties van scholen."

    def add_arguments(self, parser):
        groups = parser.add_subparsers(dest="group", required=True)
        product_actions = groups.add_parser("products", help="de productcatalogus").add_subparsers(
            dest="action", required=True
        )
        load = product_actions.add_parser("load", help="laad producten uit CSV of XLSX")
        load.add_argument("file", type=Path)
        product_actions.add_parser("list", help="toon de catalogus")
        client = product_actions.add_parser(
            "api-toegang",
            help="geef een product een OAuth2-client voor de gradebook-API (het geheim wordt "
            "één keer getoond), een nieuw geheim, of trek de toegang in",
        )
        client.add_argument("product", help="productcode")
        what = client.add_mutually_exclusive_group()
        what.add_argument("--nieuw-geheim", dest="renew", action="store_true")
        what.add_argument("--intrekken", dest="revoke", action="store_true")
        licence_actions = groups.add_parser("licences", help="licenties van een school")
        licence_actions = licence_actions.add_subparsers(dest="action", required=True)
        add = licence_actions.add_parser("add", help="registreer een gekochte licentie")
        add.add_argument("--institution", required=True, help="instellingsnummer")
        add.add_argument("--product", required=True, help="productcode")
        add.add_argument("--kind", required=True, choices=Licence.Kind.values)
        add.add_argument("--seats", required=True, type=int)
        add.add_argument("--reference", default="")
        result_actions = groups.add_parser(
            "results", help="resultaten naar het leerlingvolgsysteem"
        )
        result_actions = result_actions.add_subparsers(dest="action", required=True)
        result_actions.add_parser(
            "deliver", help="lever de wachtende oefenresultaten van elke actieve koppeling (cron)"
        )
        for sub in (load, add, client):
            sub.add_argument("--as", dest="actor", default="cli", help="wie dit doet")

    def handle(self, *args, **opts):
        getattr(self, f"_{opts['group']}_{opts['action'].replace('-', '_')}")(opts)

    def _products_load(self, opts) -> None:
        try:
            loaded = products.load(opts["file"])
        except products.BadCatalogue as bad:
            for problem in bad.problems:
                self.stderr.write(str(problem))
            self.stderr.write("Er is niets geladen.")
            sys.exit(EXIT_BAD_INPUT)
        self.stdout.write(
            f"Producten: {loaded.created} nieuw, {loaded.updated} gewijzigd, "
            f"{loaded.unchanged} ongewijzigd."
        )

    def _products_list(self, opts) -> None:
        for product in Product.objects.all():
            self.stdout.write(f"{product.code}\t{product.name}\t{product.publisher}")

    def _products_api_toegang(self, opts) -> None:
        from schoolbrug.platform import product_clients

        product = Product.objects.filter(code=opts["product"]).first()
        if product is None:
            raise CommandError(f"Geen product met code {opts['product']}.")
        try:
            if opts["revoke"]:
                product_clients.revoke(product, opts["actor"])
                self.stdout.write(f"De API-toegang van {product.name} is ingetrokken.")
                return
            if opts["renew"]:
                secret = product_clients.new_secret(product, opts["actor"])
            else:
                secret = product_clients.give_access(product, opts["actor"])[1]
        except product_clients.AccessRefused as refused:
            raise CommandError(refused.message) from None
        product.refresh_from_db()
        self.stdout.write(f"client id: {product.app.client_id}")
        self.stdout.write(f"client secret: {secret}")
        self.stdout.write("Het geheim wordt maar één keer getoond (Schoolbrug bewaart een hash).")

    def _results_deliver(self, opts) -> None:
        from django.conf import settings

        from schoolbrug.platform.delivery import deliver_results

        links = MonitoringLink.objects.filter(active=True).values_list("pk", flat=True)
        for link_id in links:
            if settings.CELERY_BROKER_URL:
                deliver_results.delay(link_id)  # retried with back-off by the workers
            else:
                try:
                    deliver_results.apply(args=[link_id]).get()
                except Exception as error:  # one school's receiver must not stop the others
                    self.stderr.write(f"Koppeling {link_id}: levering mislukt ({error}).")
        self.stdout.write(f"{len(links)} koppeling(en) aan de beurt.")

    def _licences_add(self, opts) -> None:
        institution = Institution.objects.filter(number=opts["institution"]).first()
        product = Product.objects.filter(code=opts["product"]).first()
        if institution is None:
            raise CommandError(f"Geen instelling met nummer {opts['institution']}.")
        if product is None:
            raise CommandError(f"Geen product met code {opts['product']}.")
        if not 1 <= opts["seats"] <= MAX_SEATS:
            raise CommandError(f"Het aantal licenties moet tussen 1 en {MAX_SEATS} liggen.")
        if len(opts["reference"]) > REFERENCE_MAX:
            raise CommandError(f"De referentie is langer dan {REFERENCE_MAX} tekens.")
        licence = Licence.objects.create(
            institution=institution,
            product=product,
            kind=opts["kind"],
            seats=opts["seats"],
            reference=opts["reference"],
        )
        self.stdout.write(f"Licentie {licence.pk}: {licence}")
