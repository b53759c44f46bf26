"""The SIS link: its token, the upload endpoint a SIS posts its export to, the status and
report the uploader reads back, and the audit of every change to a link."""

from __future__ import annotations

import copy
import datetime
import hashlib
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from schoolbrug.audit.models import AuditEntry
from schoolbrug.links import editing, tokens
from schoolbrug.links.models import LinkUpload, SourceLink
from schoolbrug.registry.models import Enrolment, Pupil
from schoolbrug.sync.models import SyncRun

from .link_data import (
    NUMBER,
    PUPILS,
    informat_json,
    make_link,
    oneroster_zip,
    secret_part,
    wisa_pair,
    wisa_zip,
)

pytestmark = pytest.mark.django_db

UPLOAD = "/koppeling/upload/"


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.CELERY_BROKER_URL = ""  # in-process: the sync has run when the answer comes
    return settings.VAR_DIR


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def wisa_files(tmp_path, pupils=PUPILS) -> dict:
    pupils_path, classes_path = wisa_pair(tmp_path / "export", pupils)
    return {
        "leerlingen": SimpleUploadedFile("Leerlingen export.csv", pupils_path.read_bytes()),
        "klassen": SimpleUploadedFile("klassen.csv", classes_path.read_bytes()),
    }


def post(client, token: str | None, files: dict):
    headers = bearer(token) if token is not None else {}
    return client.post(UPLOAD, files, **headers)


# --- token ----------------------------------------------------------------------------------


def test_only_a_hash_and_a_prefix_of_the_token_are_stored():
    link, token = make_link()

    assert token.startswith(link.token_prefix + "_") and link.token_prefix.startswith("sbk_")
    assert len(token) > 50
    stored = SourceLink.objects.filter(pk=link.pk).values().get()
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in str(value) for value in stored.values())
    assert tokens.link_for_token(token) == link
    assert tokens.link_for_token(token + "x") is None
    assert tokens.link_for_token("") is None


def test_a_new_token_replaces_the_old_one_at_once():
    link, old = make_link()

    new = editing.regenerate_token(link, "an")

    assert new != old
    assert tokens.link_for_token(old) is None
    assert tokens.link_for_token(new) == link


def test_every_change_to_a_link_is_audited_without_token_or_secret():
    link, first = make_link("054321", "wisa")
    second = editing.regenerate_token(link, "an")
    before = copy.copy(link)
    link.source = SourceLink.Source.INFORMAT
    link.informat_base_url = "https://informat.example/api/pupils"
    link.informat_client_secret = "zeer-geheim-123"
    link.daily_time = datetime.time(3, 30)
    editing.save_link_changes(link, before, "an", contact_source="header")

    entries = list(AuditEntry.objects.filter(entity="link").order_by("id"))
    assert [e.action for e in entries] == ["create", "update", "update"]
    assert {e.reason for e in entries} == {"koppeling"}
    assert {e.entity_sourced_id for e in entries} == {link.sourced_id}
    assert {e.institution_number for e in entries} == {"054321"}
    assert [e.actor for e in entries] == ["test", "an", "an"]
    assert entries[1].changes["token_prefix"][1] == link.token_prefix
    assert entries[1].changes["token_hash"] == [None, "gewijzigd"]
    changes = entries[2].changes
    assert changes["source"] == ["wisa", "informat"]
    assert changes["daily_time"] == ["00:00", "03:30"]
    assert changes["informat_client_secret"] == [None, "gewijzigd"]
    # The contact source is the institution's: its own entry, in the same change.
    school = AuditEntry.objects.get(entity="institution", reason="koppeling")
    assert school.actor == "an" and school.changes == {"contact_source": ["parents", "header"]}
    everything = json.dumps([e.changes for e in AuditEntry.objects.all()])
    for secret in (first, second, secret_part(first), secret_part(second), "zeer-geheim"):
        assert secret not in everything
    link.institution.refresh_from_db()
    assert link.institution.contact_source == "header"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (datetime.time(0, 0), True),
        (datetime.time(2, 30), True),
        (datetime.time(9, 0), True),
        (datetime.time(9, 1), False),
        (datetime.time(13, 0), False),
        (datetime.time(23, 59), False),
    ],
)
def test_the_daily_time_lies_between_midnight_and_nine(value, ok):
    link, _ = make_link()
    link.daily_time = value
    if ok:
        link.full_clean()
        return
    with pytest.raises(ValidationError) as caught:
        link.full_clean()
    assert "tussen 00:00 en 09:00" in caught.value.message_dict["daily_time"][0]


# --- authentication -------------------------------------------------------------------------


def test_the_right_token_is_let_in(client, tmp_path):
    _, token = make_link()

    response = post(client, token, wisa_files(tmp_path))

    assert response.status_code == 202


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "token_missing"),
        ({"HTTP_AUTHORIZATION": "Bearer sbk_00000000_niet-de-goede"}, "token_invalid"),
        ({"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"}, "token_missing"),
    ],
)
def test_a_wrong_or_absent_token_gets_401_in_dutch_and_english(client, tmp_path, headers, code):
    make_link()

    response = client.post(UPLOAD, wisa_files(tmp_path), **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["error"] == code
    assert "token" in body["message"] and "token" in body["message_en"]
    assert not LinkUpload.objects.exists() and not SyncRun.objects.exists()


def test_an_old_token_no_longer_works(client, tmp_path):
    link, old = make_link()
    editing.regenerate_token(link, "an")

    assert post(client, old, wisa_files(tmp_path)).status_code == 401


def test_an_inactive_link_keeps_the_export_for_a_preview_and_syncs_nothing(client, tmp_path):
    """Before a school switches its sync on, its package may send: the export is kept (the
    link page previews it), never synced, and the answer says so in Dutch."""
    _, token = make_link(active=False)

    response = post(client, token, wisa_files(tmp_path))

    assert response.status_code == 202
    body = response.json()
    assert body["error"] == "link_inactive" and body["status"] == "received"
    assert "niet gesynchroniseerd" in body["message"] and "proefdraai" in body["message"]
    assert body["message_en"]
    upload = LinkUpload.objects.get()
    assert upload.status == "received" and upload.sync_run is None
    assert not Pupil.objects.exists() and not SyncRun.objects.exists()


def test_the_endpoint_takes_only_post(client):
    _, token = make_link()
    assert client.get(UPLOAD, **bearer(token)).status_code == 405


# --- uploads that sync ----------------------------------------------------------------------


def assert_applied(response, number=NUMBER, pupils=None):
    pupils = len(PUPILS) if pupils is None else pupils
    assert response.status_code == 202, response.content
    body = response.json()
    upload = LinkUpload.objects.get(pk=body["run"])
    assert body["status"] == "done" and upload.status == "done"
    run = SyncRun.objects.get(pk=body["sync_run"])
    assert upload.sync_run == run
    assert (run.status, run.institution_number, run.started_by) == ("applied", number, "upload")
    assert run.counts["created"] == pupils
    assert Pupil.objects.filter(institution__number=number).count() == pupils
    assert body["status_url"].endswith(f"/koppeling/upload/{upload.pk}/")
    assert body["report_url"].endswith(f"/koppeling/upload/{upload.pk}/rapport.json")
    return upload, run


def test_a_wisa_upload_is_synced_into_the_registry(client, tmp_path, var_dir):
    link, token = make_link()

    upload, run = assert_applied(post(client, token, wisa_files(tmp_path)))

    classes = set(Enrolment.objects.values_list("school_class__code", flat=True))
    assert classes == {"1A", "2B"}
    assert run.source == "wisa"
    folder = var_dir / "uploads" / str(upload.pk)
    # Stored under fixed names: never the sender's file names, never personal data in a path.
    assert sorted(p.name for p in folder.iterdir()) == ["klassen.csv", "leerlingen.csv"]
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    link.refresh_from_db()
    assert link.last_run_at is not None


def test_a_wisa_zip_is_synced(client, tmp_path):
    _, token = make_link()
    data = wisa_zip(tmp_path / "zip")

    assert_applied(post(client, token, {"export": SimpleUploadedFile("wisa.zip", data)}))


def test_an_informat_upload_is_synced(client):
    _, token = make_link(source="informat")

    upload, run = assert_applied(
        post(client, token, {"export": SimpleUploadedFile("x.json", informat_json(4))}), pupils=4
    )
    assert run.source == "informat" and upload.format == "informat"


def test_a_oneroster_zip_is_synced_for_the_institution_of_the_token(client):
    # The set's one school has identifier 012345; the token says 054321: the token wins.
    _, token = make_link("054321", source="oneroster")

    upload, run = assert_applied(
        post(client, token, {"export": SimpleUploadedFile("set.zip", oneroster_zip())}),
        number="054321",
        pupils=3,
    )
    assert run.source == "oneroster"


def test_a_drop_folder_link_recognises_the_format(client, tmp_path):
    _, token = make_link(source="file_drop")

    upload, run = assert_applied(post(client, token, wisa_files(tmp_path)))
    assert upload.format == "wisa"


# --- broken uploads -------------------------------------------------------------------------


def test_a_broken_export_is_a_bad_input_run_and_writes_nothing(client, tmp_path):
    _, token = make_link()
    entries = AuditEntry.objects.count()
    files = wisa_files(tmp_path)
    files["leerlingen"] = SimpleUploadedFile("leerlingen.csv", b"NAAM;VOORNAAM\r\nPeeters;Jan\r\n")

    response = post(client, token, files)

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "done" and body["run_status"] == "bad_input"
    # Why, in Dutch for the school, beside the English code.
    assert body["error"] == "bad_input" and body["message_en"]
    assert body["message"].startswith("De export werd geweigerd, er is niets gewijzigd: ")
    assert "leerlingen.csv" in body["message"]
    run = SyncRun.objects.get(pk=body["sync_run"])
    assert run.status == "bad_input" and run.source == "wisa"
    assert run.findings[0]["file"] == "leerlingen.csv"
    assert not Pupil.objects.exists() and not Enrolment.objects.exists()
    assert AuditEntry.objects.count() == entries

    # The uploader reads it back with the token...
    status = client.get(body["status_url"], **bearer(token)).json()
    assert status["sync_run"] == run.pk and status["report"]["status"] == "bad_input"
    assert status["report"]["findings"][0]["message"]
    report = client.get(body["report_url"], **bearer(token))
    assert report.status_code == 200 and report.json()["run_id"] == run.pk


def test_a_zip_without_the_wisa_files_is_bad_input(client, tmp_path):
    import io
    import zipfile

    _, token = make_link()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("leerlingen.csv", "KLAS;NAAM\r\n")
    response = post(client, token, {"export": SimpleUploadedFile("w.zip", buffer.getvalue())})

    run = SyncRun.objects.get(pk=response.json()["sync_run"])
    assert run.status == "bad_input"
    assert "klassen.csv" in run.findings[0]["message"]


def test_broken_informat_json_is_bad_input(client):
    _, token = make_link(source="informat")

    response = post(client, token, {"export": SimpleUploadedFile("x.json", b'{"pupils": [')})

    assert response.json()["run_status"] == "bad_input"
    assert not Pupil.objects.exists()


@pytest.mark.parametrize(
    ("source", "files", "field"),
    [
        ("wisa", {"leerlingen": b"KLAS\r\n"}, "klassen"),
        ("wisa", {"klassen": b"KLAS\r\n"}, "leerlingen"),
        ("wisa", {"leerlingen": b"x", "klassen": b"x", "foto": b"x"}, "foto"),
        ("wisa", {"export": b"not a zip"}, "export"),
        ("wisa", {}, "export"),
        ("oneroster", {"export": b"not a zip"}, "export"),
        ("oneroster", {"set": b"PK", "tweede": b"PK"}, "tweede"),
        ("informat", {"export": b""}, "export"),
    ],
)
def test_a_wrong_file_is_refused_with_400_naming_the_field(client, source, files, field):
    _, token = make_link(source=source)
    data = {name: SimpleUploadedFile(f"{name}.bin", content) for name, content in files.items()}

    response = post(client, token, data)

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "bad_file" and body["field"] == field
    assert field in body["message"] and body["message_en"]
    assert not LinkUpload.objects.exists() and not SyncRun.objects.exists()


# --- status and report ----------------------------------------------------------------------


def test_the_status_url_needs_the_token_of_the_same_link(client, tmp_path):
    _, token = make_link()
    _, other = make_link("054321")
    body = post(client, token, wisa_files(tmp_path)).json()

    assert client.get(body["status_url"]).status_code == 401
    assert client.get(body["status_url"], **bearer(other)).status_code == 404
    assert client.get(body["report_url"], **bearer(other)).status_code == 404
    mine = client.get(body["status_url"], **bearer(token))
    assert mine.status_code == 200
    data = mine.json()
    assert data["sync_run"] == body["sync_run"] and data["run_status"] == "applied"
    assert data["report"]["counts"]["created"] == len(PUPILS)
    assert data["page_url"].endswith(f"/synchronisaties/{body['sync_run']}/")


def test_the_report_url_waits_while_the_sync_is_queued(client):
    link, token = make_link()
    upload = LinkUpload.objects.create(
        link=link,
        origin="upload",
        format="wisa",
        status="queued",
        received_at=datetime.datetime(2026, 1, 5, 2, tzinfo=datetime.UTC),
        started_by="upload",
    )
    url = reverse("web:link_upload_report", args=[upload.pk])

    response = client.get(url, **bearer(token))

    assert response.status_code == 202
    assert response.json()["status"] == "queued" and response.json()["sync_run"] is None


def test_reports_and_findings_never_hold_a_full_national_number(client, tmp_path):
    _, token = make_link()
    bad = [*PUPILS]
    bad[0] = copy.copy(bad[0])
    bad[0].national_number = bad[0].national_number[:-1] + "0"  # wrong check digits
    body = post(client, token, wisa_files(tmp_path, bad)).json()

    text = client.get(body["status_url"], **bearer(token)).content.decode()
    assert "PUPIL_NATIONAL_NUMBER_INVALID" in text
    for record in bad:
        assert record.national_number not in text
