"""Read-only, not down: during a merge every page still answers and shows the banner, every
write answers 503 with a Dutch message (JSON for the API and the upload endpoint), and the
flag is read once per second per process, not once per request."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import lxml.html
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from schoolbrug.merge import execute, readonly
from schoolbrug.merge.errors import MergeRefused
from schoolbrug.merge.models import MergeApproval, MergeRun, ReadOnlyFlag
from schoolbrug.registry.models import Institution
from schoolbrug.sync.locking import InstitutionBusy, institutions_locked, wait_for_syncs
from tests.wsgi_call import call

from .conftest import PASSWORD, approve_all

BANNER = "Schoolbrug is even alleen-lezen"


def flag_up() -> None:
    ReadOnlyFlag.objects.create(action="execute", host="elders", pid=1)
    readonly.forget()


def banner_shown(response) -> bool:
    tree = lxml.html.fromstring(response.content.decode())
    return any(BANNER in node.text_content() for node in tree.xpath("//div[@role='status']"))


def call_api(path: str, method: str) -> tuple[str, dict, bytes]:
    return call(path, method)


def test_pages_answer_with_the_banner_and_writes_answer_503(world, client):
    record_url = reverse("merge:plans")
    client.force_login(world.receiving_director)
    assert not banner_shown(client.get(reverse("web:home")))
    flag_up()
    page = client.get(reverse("web:home"))
    assert page.status_code == 200 and banner_shown(page)
    refused = client.post(record_url, {"plan": ""})
    assert refused.status_code == 503 and refused["Retry-After"] == "120"
    text = refused.content.decode()
    assert "Je kunt alles bekijken, maar niets wijzigen" in text and banner_shown(refused)
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)(record_url).status_code == 503, method


def test_the_upload_endpoint_and_the_api_answer_json(world, client, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    flag_up()
    upload = client.post(reverse("web:link_upload"), {}, HTTP_AUTHORIZATION="Bearer x")
    assert upload.status_code == 503
    assert upload.json() == {
        "error": "read_only",
        "message": readonly.MESSAGE,
        "message_en": readonly.MESSAGE_EN,
    }
    status, headers, body = call_api("/ims/oneroster/gradebook/v1p2/results/abc", "PUT")
    assert status.startswith("503") and headers["Content-Type"] == "application/json"
    assert b'"error": "read_only"' in body
    # A read of the API is no write: it gets its usual answer (here: a token is missing).
    status, _, _ = call_api("/ims/oneroster/rostering/v1p2/orgs", "GET")
    assert status.startswith("401")


def test_logging_in_and_out_stays_possible(world, client):
    flag_up()
    answer = client.post(reverse("login"), {"username": "regenboog", "password": PASSWORD})
    assert answer.status_code == 302
    assert client.post(reverse("logout")).status_code == 302


def test_the_flag_is_read_once_per_interval(world, settings, django_assert_num_queries):
    settings.SCHOOLBRUG_MERGE_FLAG_SECONDS = 3600
    readonly.forget()
    with django_assert_num_queries(1):
        assert not readonly.is_read_only()
        assert not readonly.is_read_only()
    ReadOnlyFlag.objects.create(action="execute", host="elders", pid=1)
    with django_assert_num_queries(0):
        assert not readonly.is_read_only()  # this process asks again after the interval
    readonly.forget()
    assert readonly.is_read_only()


@pytest.mark.django_db(transaction=True)
def test_another_threads_write_during_execute_gets_503(world, same_database, fold):
    approve_all(world.plan)
    browser = Client()
    browser.force_login(world.moving_director)
    approve_url = reverse("merge:approve", args=[world.plan["digest"]])
    seen = {}

    def someone_else() -> None:
        try:
            seen["post"] = browser.post(approve_url).status_code
            seen["banner"] = banner_shown(browser.get(reverse("web:home")))
            seen["page"] = browser.get(reverse("merge:plan", args=[world.plan["digest"]]))
        finally:
            connection.close()

    def while_folding() -> None:
        other = threading.Thread(target=someone_else)
        other.start()
        other.join(30)
        seen["flag_during"] = ReadOnlyFlag.objects.exists()

    fold.during.append(while_folding)
    run = execute.execute(world.plan, starter="beheer@ontvanger.be")
    assert seen["flag_during"] and seen["post"] == 503 and seen["banner"]
    assert seen["page"].status_code == 200 and banner_shown(seen["page"])
    assert run.state == MergeRun.State.DONE
    # Afterwards the site is open again.
    readonly.forget()
    assert not ReadOnlyFlag.objects.exists() and not readonly.is_read_only()
    assert not banner_shown(browser.get(reverse("web:home")))


@pytest.mark.django_db(transaction=True)
def test_a_failed_fold_leaves_the_site_open_and_the_run_failed(world, same_database, fold):
    approve_all(world.plan)

    def broken() -> None:
        raise RuntimeError("fold broke")

    fold.during.append(broken)
    with pytest.raises(RuntimeError):
        execute.execute(world.plan, starter="beheer@ontvanger.be")
    run = MergeRun.objects.get()
    assert run.state == MergeRun.State.FAILED and run.backup_path
    assert not ReadOnlyFlag.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_second_merge_waits_and_a_killed_ones_flag_is_taken_over(world, same_database, fold):
    approve_all(world.plan)
    # A merge that runs (its process lives, on this machine): refused.
    ReadOnlyFlag.objects.create(action="execute", host=socket.gethostname(), pid=os.getpid())
    with pytest.raises(MergeRefused, match="Er loopt al een samenvoeging"):
        execute.execute(world.plan, starter="beheer@ontvanger.be")
    assert fold.calls == [] and not MergeRun.objects.exists()
    # Its process was killed: the next execute takes the flag over and marks that run failed.
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    killed = MergeRun.objects.create(digest=world.plan["digest"], started_by="x", state="running")
    ReadOnlyFlag.objects.filter(pk=1).update(pid=int(gone.stdout), run=killed)
    run = execute.execute(world.plan, starter="beheer@ontvanger.be")
    assert run.state == MergeRun.State.DONE
    killed.refresh_from_db()
    assert killed.state == MergeRun.State.FAILED and killed.error == "interrupted"
    assert MergeApproval.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_sync_that_starts_during_a_merge_writes_nothing(world):
    with (
        readonly.merging("execute"),
        pytest.raises(InstitutionBusy),
        institutions_locked([world.receiving.number], wait=False),
    ):
        Institution.objects.filter(pk=world.receiving.pk).update(name="Tijdens")
    world.receiving.refresh_from_db()
    assert world.receiving.name == "Basisschool De Regenboog"


@pytest.mark.django_db(transaction=True)
def test_execute_waits_for_a_running_sync_and_refuses_if_it_goes_on(
    world, same_database, fold, settings
):
    approve_all(world.plan)
    if connection.vendor != "postgresql":
        # SQLite: the flag's own write waits for a sync's write lock (BEGIN IMMEDIATE).
        assert wait_for_syncs(0)
        return
    settings.SCHOOLBRUG_SYNC_LOCK_WAIT = 0.5
    holding, release = threading.Event(), threading.Event()

    def sync_in_progress() -> None:
        try:
            with institutions_locked([world.receiving.number], wait=False):
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    other = threading.Thread(target=sync_in_progress)
    other.start()
    try:
        assert holding.wait(30)
        with pytest.raises(MergeRefused, match="synchronisatie"):
            execute.execute(world.plan, starter="beheer@ontvanger.be")
    finally:
        release.set()
        other.join(30)
    assert fold.calls == [] and not ReadOnlyFlag.objects.exists()
    assert not MergeRun.objects.filter(state=MergeRun.State.DONE).exists()
