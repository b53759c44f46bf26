"""Background work of the SIS link: the scheduler picks exactly the due links, takes the drop
folder and waiting uploads, pulls from Informat with client credentials (against a small
HTTP server started here), and an upload's sync goes through a real Celery broker."""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import socket
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from schoolbrug.links import exports, storage
from schoolbrug.links.informat_pull import InformatCredentials, pull_pupils, safe_url
from schoolbrug.links.models import LinkUpload, SourceLink
from schoolbrug.links.scheduling import due_links
from schoolbrug.links.tasks import enqueue, run_upload
from schoolbrug.registry.models import Pupil
from schoolbrug.sources.errors import BadInput
from schoolbrug.sync.models import SyncRun

from .link_data import PUPILS, informat_json, make_link, wisa_pair

pytestmark = pytest.mark.django_db

CLIENT_ID = "schoolbrug-012345"
CLIENT_SECRET = "s3cr3t-van-de-school"
ACCESS_TOKEN = "toegang-abc-123"


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.CELERY_BROKER_URL = ""
    # The fake Informat below listens on 127.0.0.1, which pulls may reach in tests only.
    settings.SCHOOLBRUG_INFORMAT_ALLOW_LOOPBACK = True
    return settings.VAR_DIR


def today_at(hour: int, minute: int = 0, days: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def scheduler(*args: str) -> str:
    out = io.StringIO()
    call_command("scheduler", *args, stdout=out)
    return out.getvalue()


def drop(number: str, tmp_path, minutes_ago: int = 10):
    """Leave a WISA export in the institution's drop folder, written `minutes_ago`."""
    folder = storage.drop_dir(number)
    pupils_path, classes_path = wisa_pair(tmp_path / f"drop-{number}")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.time() - minutes_ago * 60
    for path in (pupils_path, classes_path):
        target = folder / path.name
        target.write_bytes(path.read_bytes())
        os.utime(target, (stamp, stamp))
    return folder


# --- which links are due --------------------------------------------------------------------


def test_the_scheduler_picks_exactly_the_due_links(tmp_path):
    due_never_run, _ = make_link("100001", daily_time=datetime.time(2, 0))
    due_ran_yesterday, _ = make_link("100002", daily_time=datetime.time(2, 0))
    SourceLink.objects.filter(pk=due_ran_yesterday.pk).update(last_run_at=today_at(2, 5, -1))
    due_on_the_minute, _ = make_link("100003", daily_time=datetime.time(3, 0))
    make_link("100004", daily_time=datetime.time(4, 0))  # later today
    ran_today, _ = make_link("100005", daily_time=datetime.time(1, 0))
    SourceLink.objects.filter(pk=ran_today.pk).update(last_run_at=today_at(1, 30))
    make_link("100006", daily_time=datetime.time(1, 0), active=False)
    for link in (due_never_run, due_ran_yesterday):
        drop(link.institution.number, tmp_path)

    assert {link.institution.number for link in due_links(today_at(3, 0))} == {
        "100001",
        "100002",
        "100003",
    }
    output = scheduler("--now", "03:00")

    lines = sorted(output.splitlines())
    assert [line.split()[1].rstrip(":") for line in lines] == ["100001", "100002", "100003"]
    assert "geen nieuwe export" in lines[2]  # due, but nothing in its drop folder
    runs = SyncRun.objects.order_by("institution_number")
    assert [(r.institution_number, r.status, r.started_by) for r in runs] == [
        ("100001", "applied", "scheduler"),
        ("100002", "applied", "scheduler"),
    ]
    assert Pupil.objects.filter(institution__number="100001").count() == len(PUPILS)
    for link in (due_never_run, due_ran_yesterday):
        link.refresh_from_db()
        assert link.last_run_at == today_at(3, 0)
        upload = link.uploads.get()
        assert (upload.origin, upload.status, upload.format) == ("drop", "done", "wisa")

    # A minute later the links that ran are done for today; the one without export waits.
    assert [link.institution.number for link in due_links(today_at(3, 1))] == ["100003"]
    assert scheduler("--now", "03:01").split()[1:] == ["100003:", "geen", "nieuwe", "export"]
    assert SyncRun.objects.count() == 2


def test_a_drop_folder_is_taken_only_when_it_holds_something_newer(tmp_path):
    link, _ = make_link(daily_time=datetime.time(2, 0))
    drop(link.institution.number, tmp_path, minutes_ago=3 * 24 * 60)
    SourceLink.objects.filter(pk=link.pk).update(last_run_at=today_at(2, 0, -1))

    assert "geen nieuwe export" in scheduler("--now", "02:30")
    assert not SyncRun.objects.exists()

    drop(link.institution.number, tmp_path, minutes_ago=0)  # still being written
    assert "geen nieuwe export" in scheduler("--now", "02:30")

    drop(link.institution.number, tmp_path, minutes_ago=5)
    assert "synchronisatie" in scheduler("--now", "02:30")
    assert SyncRun.objects.get().status == "applied"


def test_an_upload_the_broker_could_not_take_waits_for_the_scheduler(client, settings, tmp_path):
    link, token = make_link(daily_time=datetime.time(2, 0))
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    pupils_path, classes_path = wisa_pair(tmp_path / "export")

    def post():
        return client.post(
            "/koppeling/upload/",
            {
                "leerlingen": SimpleUploadedFile("l.csv", pupils_path.read_bytes()),
                "klassen": SimpleUploadedFile("k.csv", classes_path.read_bytes()),
            },
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    first, second = post(), post()

    assert first.status_code == second.status_code == 202
    assert second.json()["status"] == "received" and "dagelijkse" in second.json()["message"]
    assert not SyncRun.objects.exists()
    settings.CELERY_BROKER_URL = ""
    SourceLink.objects.filter(pk=link.pk).update(last_run_at=today_at(2, 0, -1))

    scheduler("--now", "02:15")

    older, newer = LinkUpload.objects.order_by("received_at")
    assert (older.status, newer.status) == ("superseded", "done")
    assert newer.sync_run.status == "applied"
    assert Pupil.objects.count() == len(PUPILS)


def test_now_must_be_a_time():
    with pytest.raises(CommandError, match="03:30"):
        scheduler("--now", "drie uur")


def test_enqueue_without_a_broker_runs_the_task_here():
    calls = []
    assert enqueue(calls.append, 7) is None
    assert calls == [7]


# --- Informat over HTTP ---------------------------------------------------------------------


class FakeInformat(BaseHTTPRequestHandler):
    """Token endpoint (client credentials) and pupils endpoint, checking what they get."""

    pupils = informat_json(3)
    fail_pupils_with = 0
    requests: list[dict] = []

    def log_message(self, *args) -> None:  # quiet
        pass

    def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        self.requests.append({"method": "POST", "path": self.path, "form": form})
        good = (
            self.path == "/connect/token"
            and self.headers.get("Content-Type") == "application/x-www-form-urlencoded"
            and form.get("grant_type") == ["client_credentials"]
            and form.get("client_id") == [CLIENT_ID]
            and form.get("client_secret") == [CLIENT_SECRET]
        )
        if not good:
            self._answer(401, b'{"error": "invalid_client"}')
            return
        token = {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600}
        self._answer(200, json.dumps(token).encode())

    def do_GET(self) -> None:
        self.requests.append(
            {
                "method": "GET",
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "institute": self.headers.get("InstituteNo"),
            }
        )
        if self.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
            self._answer(401, b"{}")
        elif self.fail_pupils_with:
            self._answer(self.fail_pupils_with, b"kapot", "text/plain")
        else:
            self._answer(200, self.pupils)


@pytest.fixture
def informat_server():
    handler = type("Handler", (FakeInformat,), {"requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        server.base = f"http://127.0.0.1:{server.server_port}"
        server.handler = handler
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert not thread.is_alive()


def informat_link(server, number="012345", secret=CLIENT_SECRET, **fields):
    link, _ = make_link(
        number,
        "informat",
        daily_time=datetime.time(1, 0),
        informat_base_url=f"{server.base}/api/pupils?schoolYear=2025-26",
        informat_token_url=f"{server.base}/connect/token",
        informat_client_id=CLIENT_ID,
        informat_client_secret=secret,
        **fields,
    )
    return link


def test_the_scheduler_pulls_informat_with_client_credentials(informat_server):
    link = informat_link(informat_server)

    output = scheduler("--now", "01:30")

    token_request, pupils_request = informat_server.handler.requests
    assert token_request["path"] == "/connect/token"
    assert token_request["form"]["grant_type"] == ["client_credentials"]
    assert pupils_request["path"] == "/api/pupils?schoolYear=2025-26"
    assert pupils_request["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert pupils_request["institute"] == "012345"
    upload = link.uploads.get()
    assert (upload.origin, upload.format, upload.status) == ("pull", "informat", "done")
    run = upload.sync_run
    assert (run.source, run.status, run.started_by) == ("informat", "applied", "scheduler")
    assert Pupil.objects.count() == 3
    assert "opgehaald" in output and CLIENT_SECRET not in output
    assert (storage.upload_dir(upload.pk) / "leerlingen.json").read_bytes() == FakeInformat.pupils


def test_a_refused_pull_is_a_bad_input_run_naming_the_url_without_secrets(informat_server, caplog):
    link = informat_link(informat_server, secret="fout-geheim")
    link.informat_token_url = f"{informat_server.base}/connect/token?key=ook-geheim"
    link.save()

    with caplog.at_level("INFO"):
        scheduler("--now", "01:30")

    run = SyncRun.objects.get()
    assert (run.status, run.source, run.institution_number) == ("bad_input", "informat", "012345")
    message = run.findings[0]["message"]
    assert "HTTP 401" in message and "client-secret" in message
    assert f"{informat_server.base}/connect/token" in message
    everything = json.dumps(run.findings) + caplog.text
    for secret in ("fout-geheim", "ook-geheim", CLIENT_SECRET, ACCESS_TOKEN):
        assert secret not in everything
    assert not Pupil.objects.exists()
    link.refresh_from_db()
    assert link.last_run_at == today_at(1, 30)  # tried today: not again every minute


def test_pull_errors_are_bad_input_in_dutch(informat_server):
    credentials = InformatCredentials(
        pupils_url=f"{informat_server.base}/api/pupils",
        token_url=f"{informat_server.base}/connect/token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    informat_server.handler.fail_pupils_with = 500
    with pytest.raises(BadInput, match="HTTP 500"):
        pull_pupils(credentials, "012345")

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    unreachable = InformatCredentials(
        pupils_url="https://x.example/p",
        token_url=f"http://127.0.0.1:{port}/token?client_secret=geheim",
        client_id="a",
        client_secret="geheim",
    )
    with pytest.raises(BadInput) as caught:
        pull_pupils(unreachable, "012345")
    assert "niet bereikbaar" in caught.value.reason_nl
    assert "geweigerd" in caught.value.reason_nl
    assert f"http://127.0.0.1:{port}/token " in caught.value.reason_nl
    assert "geheim" not in caught.value.user_text() + caught.value.log_text()
    assert "geheim" not in repr(unreachable)

    incomplete = InformatCredentials(pupils_url="", token_url="", client_id="a", client_secret="")
    with pytest.raises(BadInput) as caught:
        pull_pupils(incomplete, "012345")
    assert "basis-URL, token-URL, client-secret ontbreekt" in caught.value.reason_nl


def test_safe_url_drops_user_info_query_and_fragment():
    assert (
        safe_url("https://u:p@host.example:8443/a/b?token=x#y") == "https://host.example:8443/a/b"
    )


# --- Celery ---------------------------------------------------------------------------------

REDIS = "redis://127.0.0.1:6379/15"


def redis_is_up() -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 6379), timeout=1):
        return True
    return False


@contextlib.contextmanager
def celery_on(app, url: str, queue: str):
    """Point the Celery app (and settings) at `url` with a queue of its own; restore after."""
    keys = ("broker_url", "task_default_queue", "worker_enable_remote_control")
    saved = {key: app.conf[key] for key in keys}
    # No remote control: the worker then declares nothing but its own queue on the broker.
    app.conf.update(broker_url=url, task_default_queue=queue, worker_enable_remote_control=False)
    try:
        yield
    finally:
        with app.connection_for_write(url) as connection:
            connection.default_channel.queue_delete(queue)
        # kombu keeps the queue's bindings under keys of their own: leave nothing behind.
        client = redis.Redis.from_url(url)
        try:
            keys = list(client.scan_iter(match=f"*{queue}*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()
        app.conf.update(saved)
        # The worker selected its queue in the app's queue table: forget that table.
        app.amqp.__dict__.pop("queues", None)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_upload_is_synced_by_a_celery_worker_through_redis(client, settings, tmp_path):
    if not redis_is_up():
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    from celery.contrib.testing.worker import start_worker

    from schoolbrug.celery import app

    _, token = make_link()
    pupils_path, classes_path = wisa_pair(tmp_path / "export")
    settings.CELERY_BROKER_URL = REDIS
    queue = f"schoolbrug-test-{uuid.uuid4().hex}"
    with (
        celery_on(app, REDIS, queue),
        start_worker(
            app,
            pool="solo",
            perform_ping_check=False,
            shutdown_timeout=30,
            queues=[queue],
            without_heartbeat=True,
        ),
    ):
        response = client.post(
            "/koppeling/upload/",
            {
                "leerlingen": SimpleUploadedFile("l.csv", pupils_path.read_bytes()),
                "klassen": SimpleUploadedFile("k.csv", classes_path.read_bytes()),
            },
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert response.status_code == 202
        body = response.json()
        # Answered before the work: the id to ask with, the run still to come.
        assert body["status"] in ("queued", "running", "done")
        deadline = time.monotonic() + 60
        upload = LinkUpload.objects.get(pk=body["run"])
        while upload.status not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.1)
            upload.refresh_from_db()

    assert upload.status == "done", upload.error
    assert upload.sync_run.status == "applied" and upload.sync_run.started_by == "upload"
    assert Pupil.objects.count() == len(PUPILS)
    status = client.get(body["status_url"], HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert status["sync_run"] == upload.sync_run_id and status["report"]["applied"]


def test_a_failed_sync_is_logged_without_what_the_exception_says(tmp_path, monkeypatch, capfd):
    """A fault of ours while reading an export may quote a cell (a national number): the
    upload says it failed, and the log has where it happened, never what the exception says.
    Re-raised from the task, the failure was also logged by Celery, with its message."""
    from schoolbrug.celery import app

    cell = "850730" + "03328"  # not on one line of code, which a traceback shows

    def faulty(*_args):
        raise ValueError(f"invalid literal for int() with base 10: {cell!r}")

    monkeypatch.setattr(exports, "read_export", faulty)
    link, _ = make_link()
    pupils_path, classes_path = wisa_pair(tmp_path / "export")
    files = {
        "leerlingen.csv": SimpleUploadedFile("l.csv", pupils_path.read_bytes()),
        "klassen.csv": SimpleUploadedFile("k.csv", classes_path.read_bytes()),
    }
    upload = storage.store_upload(link, "wisa", files, started_by="upload")
    app.log.setup(loglevel="INFO")  # the worker's own logging, as `celery worker` sets it up
    run_upload.apply(args=[str(upload.pk)])
    upload.refresh_from_db()
    assert upload.status == "failed" and "niets gewijzigd" in upload.error
    printed = "".join(capfd.readouterr())
    assert "ValueError" in printed and "faulty" in printed  # where, and what type
    assert cell not in printed


def test_the_task_takes_only_an_id(tmp_path):
    link, _ = make_link()
    pupils_path, classes_path = wisa_pair(tmp_path / "export")
    upload = storage.store_upload(
        link,
        "wisa",
        {
            "leerlingen.csv": SimpleUploadedFile("a", pupils_path.read_bytes()),
            "klassen.csv": SimpleUploadedFile("b", classes_path.read_bytes()),
        },
        started_by="test",
    )

    run_upload(str(upload.pk))
    run_upload(str(upload.pk))  # delivered twice: the second does nothing

    upload.refresh_from_db()
    assert upload.status == "done" and SyncRun.objects.count() == 1


def _stored_upload(tmp_path) -> LinkUpload:
    link, _ = make_link()
    pupils_path, classes_path = wisa_pair(tmp_path / "export")
    return storage.store_upload(
        link,
        "wisa",
        {
            "leerlingen.csv": SimpleUploadedFile("a", pupils_path.read_bytes()),
            "klassen.csv": SimpleUploadedFile("b", classes_path.read_bytes()),
        },
        started_by="test",
    )


@pytest.mark.django_db(transaction=True)
def test_an_upload_being_synced_is_not_claimed_again_by_a_task_delivered_twice(
    tmp_path, monkeypatch
):
    upload = _stored_upload(tmp_path)
    reading, go_on = threading.Event(), threading.Event()
    real_read = exports.read_export

    def slow_read(*args):
        if not reading.is_set():  # the first worker: it holds the upload while it reads
            reading.set()
            assert go_on.wait(30)
        return real_read(*args)

    monkeypatch.setattr(exports, "read_export", slow_read)

    def first_worker():
        try:
            run_upload(str(upload.pk))
        finally:
            connection.close()

    worker = threading.Thread(target=first_worker)
    worker.start()
    assert reading.wait(30)
    # Celery delivers the task again (acks_late, a visibility timeout): another worker, now.
    run_upload(str(upload.pk))
    upload.refresh_from_db()
    taken = (upload.status, SyncRun.objects.count())
    go_on.set()
    worker.join()

    assert taken == ("running", 0)  # found taken: did nothing
    upload.refresh_from_db()
    assert upload.status == "done" and SyncRun.objects.count() == 1


def test_an_upload_whose_worker_died_long_ago_is_taken_over(tmp_path):
    upload = _stored_upload(tmp_path)
    LinkUpload.objects.filter(pk=upload.pk).update(
        status="running", claimed_at=timezone.now() - datetime.timedelta(hours=1)
    )

    run_upload(str(upload.pk))  # the broker's second delivery, after its visibility timeout

    upload.refresh_from_db()
    assert upload.status == "done" and upload.sync_run.status == "applied"


def test_an_upload_whose_process_died_without_a_broker_is_taken_by_the_scheduler(tmp_path):
    """Without a broker the upload's request runs the sync; a process that dies meanwhile
    (gunicorn stops a request after 30 s, a restart) leaves the upload `running`, and no
    broker delivers it again: the scheduler takes it at the link's daily time."""
    upload = _stored_upload(tmp_path)
    SourceLink.objects.filter(pk=upload.link_id).update(
        daily_time=datetime.time(2, 0), last_run_at=today_at(2, 0, -1)
    )
    LinkUpload.objects.filter(pk=upload.pk).update(
        status="running", claimed_at=timezone.now() - datetime.timedelta(hours=1)
    )

    scheduler("--now", "02:15")

    upload.refresh_from_db()
    assert upload.status == "done" and upload.sync_run.status == "applied"
    assert Pupil.objects.count() == len(PUPILS)
