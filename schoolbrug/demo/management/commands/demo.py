"""`schoolbrug demo`: a synthetic region, synced, with a login, served on this computer.

One command to see Schoolbrug working, with no set-up (Kolibri's "one command to start"):

1. migrate the database (SQLite under var/ unless DATABASE_URL says otherwise);
2. if it already holds demo data, reuse it; else generate a region of synthetic schools,
   write two nights of WISA exports under var/demo/ and sync each school each night;
3. create the login `demo` / `demo` (for this demo only): a site admin and the director of
   the first school, which shares class information with two apps (`demo/logins.py`), and
   the logins `bestuur` (board admin) and `leerkracht` (teacher) with the same password;
4. start the demo's pupil-monitoring system on 127.0.0.1 (a thread) and deliver the learning
   platform's exercise results to it through the real delivery task (`platform_demo.py`);
5. serve http://127.0.0.1:<port>/ until Ctrl+C (unless --no-serve), delivering new results
   every minute.

It refuses a database that holds real data: a demo login does not belong there.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from schoolbrug.audit.commands import AuditedCommand
from schoolbrug.demo import enrolment as demo_enrolment
from schoolbrug.demo import logins as demo_logins
from schoolbrug.demo import platform_demo as demo_platform
from schoolbrug.registry.models import Assignment, Institution, Pupil, Staff
from schoolbrug.sync.models import SyncRun
from schoolbrug.sync.run_report import ordered_counts

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"
DEMO_EMAIL = "demo@schoolbrug.invalid"
STARTED_BY = "demo"


class Command(AuditedCommand):
    # A plain string like the other commands: argparse cannot wrap a lazy translation, so a
    # gettext_lazy help made `schoolbrug demo --help` fail with a TypeError.
    help = (
        "Start een demo: maakt een fictieve regio met scholen, synchroniseert ze, maakt de "
        "login demo/demo en start de webpagina's op http://127.0.0.1:8000/."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--pupils",
            type=int,
            default=3000,
            help=gettext_lazy("aantal leerlingen in de regio (3000)"),
        )
        parser.add_argument(
            "--port", type=int, default=8000, help=gettext_lazy("poort van de webserver")
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help=gettext_lazy("startwaarde van de generator")
        )
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help=gettext_lazy("alleen de gegevens en de login klaarzetten, geen webserver starten"),
        )

    def handle(self, *args, pupils: int, port: int, seed: int, no_serve: bool, **options) -> None:
        if pupils < 1:
            raise CommandError(_("--pupils moet minstens 1 zijn."))
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        self.stdout.write(_("Database bijwerken…"))
        call_command("migrate", interactive=False, verbosity=0)

        if SyncRun.objects.filter(started_by=STARTED_BY).exists():
            self.stdout.write(
                _(
                    "De database bevat al demogegevens: die worden hergebruikt (niets opnieuw "
                    "gemaakt). Verwijder %(path)s om opnieuw te beginnen."
                )
                % {"path": _database_label()}
            )
        else:
            self._refuse_real_data()
            self._build_region(pupils, seed, settings.VAR_DIR / "demo")

        # The demo's pupil-monitoring system runs as long as the demo does (a thread).
        with demo_platform.monitoring_system() as receiver:
            self._prepare_and_serve(port, seed, no_serve, receiver)

    def _prepare_and_serve(self, port: int, seed: int, no_serve: bool, receiver) -> None:
        demo_user = self._ensure_demo_user()
        others = demo_logins.prepare(demo_user, DEMO_PASSWORD)
        others += demo_enrolment.prepare(demo_user, DEMO_PASSWORD, seed)
        self._deliver_results(receiver)
        url = f"http://127.0.0.1:{port}/"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(_("Schoolbrug-demo klaar.")))
        self.stdout.write(_("  Adres:          %(url)s") % {"url": url})
        self.stdout.write(_("  Gebruikersnaam: %(user)s") % {"user": DEMO_USERNAME})
        self.stdout.write(_("  Wachtwoord:     %(password)s") % {"password": DEMO_PASSWORD})
        for login in others:
            self.stdout.write(
                _("  Ook: %(user)s / %(password)s (%(what)s)")
                % {"user": login.username, "password": DEMO_PASSWORD, "what": login.what}
            )
        self.stdout.write(
            self.style.WARNING(
                _("  Deze login is alleen voor de demo: gebruik hem nooit met echte gegevens.")
            )
        )
        if no_serve:
            return
        self.stdout.write(_("Webserver gestart; stoppen met Ctrl+C."))
        stop_delivering = demo_platform.deliver_every()
        try:
            call_command(
                "runserver",
                f"127.0.0.1:{port}",
                use_reloader=False,
                insecure_serving=True,  # serve the CSS with DEBUG off
            )
        finally:
            stop_delivering.set()

    def _deliver_results(self, receiver) -> None:
        """The exercise results to the demo's monitoring system, through the real delivery."""
        if receiver.schemas is None:
            self.stdout.write(
                _(
                    "De UWLR-schema's staan niet op deze machine (SCHOOLBRUG_UWLR_SCHEMAS): "
                    "het leerlingvolgsysteem van de demo controleert alleen de opbouw van elk "
                    "bericht, niet het schema."
                )
            )
        delivered = demo_platform.deliver()
        self.stdout.write(
            ngettext(
                "Leerlingvolgsysteem van de demo op %(url)s: %(n)d oefenresultaat geleverd.",
                "Leerlingvolgsysteem van de demo op %(url)s: %(n)d oefenresultaten geleverd.",
                delivered,
            )
            % {"url": receiver.url, "n": delivered}
        )

    def _refuse_real_data(self) -> None:
        """A database with registry data that the demo did not make is not the demo's."""
        User = get_user_model()
        has_data = Institution.objects.exists() or Pupil.objects.exists()
        if has_data and not User.objects.filter(username=DEMO_USERNAME).exists():
            raise CommandError(
                _(
                    "Deze database (%(path)s) bevat al gegevens die niet van de demo komen. "
                    "De demo maakt een login demo/demo en hoort daar niet. Start de demo met "
                    "een lege database, bijvoorbeeld: "
                    "SCHOOLBRUG_VAR_DIR=/tmp/schoolbrug-demo schoolbrug demo"
                )
                % {"path": _database_label()}
            )

    def _build_region(self, pupils: int, seed: int, out_dir: Path) -> None:
        """Night 1 (every pupil new), then the next night (moves, leavers, new pupils), so
        that runs, findings and pupils' history all have something to show."""
        # Imported here: the generator and the sync are only needed on a first start.
        from schoolbrug.demo.generate import generate_region, next_night, write_region
        from schoolbrug.registry.institutions_file import load_institutions

        self.stdout.write(
            _("Fictieve regio met %(pupils)d leerlingen maken in %(dir)s…")
            % {"pupils": pupils, "dir": out_dir}
        )
        night_1 = generate_region(pupils, seed=seed)
        nights = [(out_dir / "nacht-1", night_1), (out_dir / "nacht-2", next_night(night_1))]
        for folder, region in nights:
            write_region(region, folder)
        loaded = load_institutions(nights[0][0] / "instellingen.csv")
        self.stdout.write(_("%(n)d instellingen ingelezen.") % {"n": loaded})
        for number, (folder, _region) in enumerate(nights, start=1):
            self.stdout.write(_("Synchronisatie, nacht %(n)d:") % {"n": number})
            self._sync_folder(folder)
        self._sync_dutch_school(out_dir / "edexml", seed)

    def _sync_dutch_school(self, folder: Path, seed: int) -> None:
        """One Dutch school too, from an EDEXML file as Basispoort gets it: groep 1-8,
        combined groups, teachers; its pages say "groep" and "BRIN"."""
        import random

        from schoolbrug.demo.edexml import PUPILS_PER_SCHOOL, brin, write_dutch_school
        from schoolbrug.edexml.reader import parse_edexml
        from schoolbrug.sync.service import sync_snapshot

        folder.mkdir(parents=True, exist_ok=True)
        rng = random.Random(seed)
        number = brin(rng)
        path = write_dutch_school(folder / f"{number}.xml", number, PUPILS_PER_SCHOOL, rng)
        report = sync_snapshot(parse_edexml(path), started_by=STARTED_BY)
        self.stdout.write(
            _("Nederlandse school %(number)s (EDEXML): %(n)d leerlingen.")
            % {"number": number, "n": report.counts.get("created", 0)}
        )

    def _sync_folder(self, folder: Path) -> None:
        """Sync each institution's WISA export in `folder` as the scheduler would."""
        from schoolbrug.sources.errors import BadInput
        from schoolbrug.sources.wisa import parse_wisa
        from schoolbrug.sync.service import sync_snapshot

        for school_dir in sorted(p for p in folder.iterdir() if (p / "leerlingen.csv").exists()):
            number = school_dir.name
            try:
                snapshot = parse_wisa(
                    school_dir / "leerlingen.csv", school_dir / "klassen.csv", number
                )
            except BadInput as error:
                self.stdout.write(self.style.ERROR(f"  {number}: {error.user_text()}"))
                continue
            report = sync_snapshot(snapshot, started_by=STARTED_BY).as_dict()
            counts = ", ".join(
                f"{count} {label}"
                for key, label, count in ordered_counts(report["counts"])
                if count and key != "unchanged"
            )
            findings = len(report["findings"])
            self.stdout.write(
                ngettext(
                    "  %(number)s: %(counts)s; %(findings)d melding",
                    "  %(number)s: %(counts)s; %(findings)d meldingen",
                    findings,
                )
                % {
                    "number": number,
                    "counts": counts or _("geen wijzigingen"),
                    "findings": findings,
                }
            )

    def _ensure_demo_user(self):
        User = get_user_model()
        user, _created = User.objects.get_or_create(username=DEMO_USERNAME)
        user.first_name, user.last_name = "Demo", "Secretariaat"
        user.is_staff = user.is_superuser = user.is_active = True
        user.email = DEMO_EMAIL
        user.set_password(DEMO_PASSWORD)
        user.save()
        self._make_demo_user_director()
        return user

    def _make_demo_user_director(self) -> None:
        """Director of the first school, so the demo can switch class-information sharing on
        there: the data manager right comes from a director assignment, never by hand."""
        first = Institution.objects.order_by("number").first()
        if first is None:
            return
        staff, _created = Staff.objects.get_or_create(
            email=DEMO_EMAIL, defaults={"given_name": "Demo", "family_name": "Directeur"}
        )
        Assignment.objects.get_or_create(
            staff=staff,
            institution=first,
            role=Assignment.Role.DIRECTOR,
            defaults={"start_date": timezone.localdate(), "origin": "demo"},
        )


def _database_label() -> str:
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        return str(database["NAME"])
    return f"{database['ENGINE'].rsplit('.', 1)[-1]}:{database.get('NAME', '')}"
