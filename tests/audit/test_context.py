"""Who acts: a context per entry point, nested for a domain function that names the person,
separate per thread, and a fallback that still writes the entry when no one set one."""

from __future__ import annotations

import io
import logging
import threading
from unittest import mock

import pytest

from schoolbrug.audit.context import UNKNOWN_ACTOR, acting, current
from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Staff


def test_nested_contexts_and_the_decorator():
    assert not current().known and current().actor_name() == UNKNOWN_ACTOR
    with acting("cli", "cli apps grant"):
        with acting("directie@school.test", "toegang applicatie X"):
            assert (current().actor_name(), current().reason_text()) == (
                "directie@school.test",
                "toegang applicatie X",
            )
        with acting(reason="alleen een reden"):  # keeps the outer actor
            assert (current().actor_name(), current().reason_text()) == ("cli", "alleen een reden")
        assert current().actor_name() == "cli"
    assert not current().known

    @acting("scheduler", "planner")
    def job() -> str:
        return current().actor_name()

    assert job() == job() == "scheduler"


def test_the_actor_is_read_only_when_an_entry_needs_it():
    asked = []
    with acting(lambda: asked.append(1) or "later@school.test", "web: x") as context:
        assert asked == []
        assert context.actor_name() == "later@school.test" and asked == [1]


def test_two_threads_each_keep_their_own_actor():
    barrier = threading.Barrier(2)
    seen = {}

    def work(name: str) -> None:
        with acting(name, "thread"):
            barrier.wait(timeout=5)  # both inside their context at once
            seen[name] = current().actor_name()

    threads = [threading.Thread(target=work, args=(n,)) for n in ("een@a.test", "twee@b.test")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"een@a.test": "een@a.test", "twee@b.test": "twee@b.test"}


@pytest.mark.django_db
def test_a_change_outside_any_context_is_logged_with_a_fallback_actor(caplog):
    with caplog.at_level(logging.WARNING, logger="schoolbrug.audit"):
        person = Staff.objects.create(email="x@school.test", given_name="X", family_name="Y")
    entry = AuditEntry.objects.get(entity="staff")
    assert entry.actor == UNKNOWN_ACTOR and entry.reason
    assert entry.entity_sourced_id == person.sourced_id and entry.action == "create"
    assert entry.changes == {
        "email": [None, "x@school.test"],
        "given_name": [None, "X"],
        "family_name": [None, "Y"],
    }
    # The log of the server says which path forgot its context (no personal data).
    assert "registry.Staff outside any audit context" in caplog.text
    assert "x@school.test" not in caplog.text


def test_the_celery_task_and_the_scheduler_act_as_their_job():
    from django.core.management import call_command

    from schoolbrug.links import tasks

    seen = []
    with mock.patch.object(tasks, "process_upload", lambda _: seen.append(current().actor_name())):
        tasks.run_upload("00000000-0000-0000-0000-000000000000")  # a worker: no context
        with acting("ict@school.test", "web: link_upload"):  # no broker: in the request
            tasks.run_upload("00000000-0000-0000-0000-000000000000")
    with (
        mock.patch(
            "schoolbrug.links.management.commands.scheduler.run_due",
            lambda now=None: seen.append(current().actor_name()) or [],
        ),
        # the enrolment rollover the scheduler's pass also runs (it reads the database)
        mock.patch("schoolbrug.enrolment.rollover.run", lambda today=None, actor=None: []),
    ):
        call_command("scheduler", "--once", stdout=io.StringIO())
    assert seen == ["celery", "ict@school.test", "scheduler"]


@pytest.mark.django_db(transaction=True)
def test_two_writers_at_once_each_log_their_own_actor():
    """Two requests at once (threads with their own connection and transaction): each entry
    names its own writer, never the other's."""
    from django.db import connection, transaction

    inside = threading.Barrier(2)
    a_wrote = threading.Event()
    errors = []

    def write(actor: str, email: str, wait_for: threading.Event | None) -> None:
        try:
            with acting(actor, "gelijktijdig"):
                inside.wait(timeout=10)  # both contexts are open now
                if wait_for is not None:
                    assert wait_for.wait(timeout=10)
                with transaction.atomic():
                    Staff.objects.create(email=email, given_name="G", family_name="F")
                if wait_for is None:
                    a_wrote.set()
        except Exception as error:  # reported below, in the test's own thread
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=("a@school.test", "x@school.test", None)),
        threading.Thread(target=write, args=("b@school.test", "y@school.test", a_wrote)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    logged = dict(AuditEntry.objects.values_list("changes__email__1", "actor"))
    assert logged == {"x@school.test": "a@school.test", "y@school.test": "b@school.test"}
