"""`schoolbrug scheduler [--once] [--now HH:MM]`: the daily sync of every active link.

Checks every minute which links are due (see `schoolbrug.links.scheduling`) and starts them:
through Celery when CELERY_BROKER_URL is set, otherwise one after the other in this process.
Runs until interrupted (Ctrl+C, SIGTERM); `--once` checks once and stops.

Each pass also does the enrolment site's yearly work when it is due (`enrolment/rollover.py`:
the 1 July copy of the free places, the school-year rollover on 1 August); both are done once.
"""

from __future__ import annotations

import datetime
import logging
import signal
import time

from django.core.management.base import CommandError
from django.db import close_old_connections
from django.utils import timezone

from schoolbrug.audit.commands import AuditedCommand
from schoolbrug.enrolment import rollover
from schoolbrug.links.scheduling import STARTED_BY, Outcome, run_due

log = logging.getLogger("schoolbrug.sync.scheduler")


class Command(AuditedCommand):
    default_actor = STARTED_BY
    help = (
        "Start de dagelijkse synchronisatie van elke actieve koppeling zodra haar tijdstip "
        "voorbij is; controleert elke minuut tot je stopt (Ctrl+C)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="één keer controleren en stoppen")
        parser.add_argument(
            "--now",
            metavar="UU:MM",
            help="doe alsof het vandaag dit uur is (voor een test); controleert één keer",
        )

    def handle(self, *args, once: bool, now: str | None, **options) -> None:
        moment = _today_at(now) if now else None
        if once or moment is not None:
            self._pass(moment)
            return
        self._stop = False
        previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        self.stdout.write("Planner gestart; stoppen met Ctrl+C.")
        try:
            while not self._stop:
                try:
                    self._pass(None)
                except Exception as error:  # a database that is away a moment: try again
                    log.error("scheduler pass failed: %s", type(error).__name__)
                finally:
                    close_old_connections()
                self._sleep_to_next_minute()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write("Planner gestopt.")

    def _on_sigterm(self, signum, frame) -> None:
        self._stop = True

    def _sleep_to_next_minute(self) -> None:
        deadline = time.time() + 60 - time.time() % 60
        while not self._stop and time.time() < deadline:
            time.sleep(min(1.0, max(0.0, deadline - time.time())))

    def _pass(self, now: datetime.datetime | None) -> list[Outcome]:
        outcomes = run_due(now)
        stamp = timezone.localtime(now or timezone.now()).strftime("%H:%M")
        for outcome in outcomes:
            self.stdout.write(f"{stamp} {outcome.link.institution.number}: {_describe(outcome)}")
        today = timezone.localdate(now) if now else None
        for line in rollover.run(today, actor=STARTED_BY):
            self.stdout.write(f"{stamp} {line}")
        return outcomes


def _today_at(value: str) -> datetime.datetime:
    try:
        hour, minute = (int(part) for part in value.split(":"))
        moment = datetime.time(hour, minute)
    except ValueError:
        raise CommandError(f"--now '{value}' is geen tijdstip; schrijf het als 03:30.") from None
    today = timezone.localdate()
    return timezone.make_aware(datetime.datetime.combine(today, moment))


def _describe(outcome: Outcome) -> str:
    upload = outcome.upload
    if upload is None:
        return outcome.note
    text = f"{upload.get_origin_display()} {upload.pk}: {upload.get_status_display()}"
    if upload.sync_run_id:
        text += f", synchronisatie {upload.sync_run_id} ({upload.sync_run.get_status_display()})"
    return text
