"""Exports that are damaged in ways the readers once answered with a traceback: a deeply
nested Informat JSON, a zip with a bad CRC, a byte that is not UTF-8 after a bare CR in a
OneRoster CSV. On the command line each is exit 2 with a Dutch message; through the upload
endpoint each is a `bad_input` run (and the upload done, not failed); nothing is written."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from schoolbrug.links import exports, storage
from schoolbrug.links.models import LinkUpload
from schoolbrug.registry.models import Pupil
from schoolbrug.sources.errors import BadInput
from schoolbrug.sync.models import SyncRun
from tests.links.link_data import make_link, wisa_zip
from tests.sources.test_oneroster import base_set

pytestmark = pytest.mark.django_db

UPLOAD = "/koppeling/upload/"
NESTED_JSON = b'{"pupils": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"


def with_bad_crc(files: dict[str, bytes], member: str) -> bytes:
    """A zip of `files` whose `member` holds a flipped byte: the table of contents is fine,
    the member's CRC is not."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        info = archive.getinfo(member)
    data = bytearray(buffer.getvalue())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.file_size // 2] ^= 0x20
    return bytes(data)


def oneroster_set() -> dict[str, bytes]:
    return {name: text.encode() for name, text in base_set().items()}


def with_cr_then_latin1(files: dict[str, bytes]) -> dict[str, bytes]:
    """users.csv with a bare CR and then a Windows-1252 byte in its second row."""
    lines = files["users.csv"].split(b"\n")
    lines[2] = lines[2][:5] + b"\r\xe9" + lines[2][5:]
    return {**files, "users.csv": b"\n".join(lines)}


def sync_exit(*argv: str, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stop:
        call_command("sync", *argv)
    return stop.value.code, capsys.readouterr().err


# --- on the command line -------------------------------------------------------------------


def test_a_deeply_nested_informat_json_exits_2(tmp_path, capsys):
    path = tmp_path / "leerlingen.json"
    path.write_bytes(NESTED_JSON)
    code, err = sync_exit("informat", str(path), "--institution", "012345", capsys=capsys)
    assert code == 2
    assert "leerlingen.json: Het bestand is geen Informat-export: de JSON is te diep genest" in err
    assert "Traceback" not in err and not Pupil.objects.exists()


def test_a_oneroster_zip_with_a_bad_crc_exits_2_naming_the_member(tmp_path, capsys):
    path = tmp_path / "set.zip"
    path.write_bytes(with_bad_crc(oneroster_set(), "users.csv"))
    code, err = sync_exit("oneroster", str(path), capsys=capsys)
    assert code == 2
    assert "set.zip: Het bestand users.csv in het zip-bestand kan niet gelezen worden" in err
    assert "controlegetal (CRC) klopt niet" in err
    assert not Pupil.objects.exists()


def test_a_byte_that_is_not_utf8_after_a_bare_cr_exits_2_naming_line_and_column(tmp_path, capsys):
    folder = tmp_path / "set"
    folder.mkdir()
    for name, data in with_cr_then_latin1(oneroster_set()).items():
        (folder / name).write_bytes(data)
    code, err = sync_exit("oneroster", str(folder), capsys=capsys)
    assert code == 2
    # The bare CR ends line 3 (as it does for the CSV reader): the byte starts line 4.
    assert "users.csv, regel 4, kolom sourcedId: Het bestand is niet in UTF-8 bewaard" in err


# --- through the upload endpoint -----------------------------------------------------------


@pytest.fixture
def uploads(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.CELERY_BROKER_URL = ""  # in-process: the sync has run when the answer comes


def upload(client, source: str, name: str, data: bytes) -> SyncRun:
    _, token = make_link(source=source)
    response = client.post(
        UPLOAD,
        {"export": SimpleUploadedFile(name, data)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "done" and body["run_status"] == "bad_input", body
    assert LinkUpload.objects.get().status == LinkUpload.Status.DONE  # not an internal fault
    assert not Pupil.objects.exists()
    return SyncRun.objects.get(pk=body["sync_run"])


@pytest.mark.parametrize(
    ("source", "name", "data", "finding"),
    [
        ("informat", "leerlingen.json", lambda: NESTED_JSON, {"file": "leerlingen.json"}),
        (
            "oneroster",
            "set.zip",
            lambda: with_bad_crc(oneroster_set(), "users.csv"),
            {"file": "export.zip"},  # the name the upload is stored under
        ),
        (
            "oneroster",
            "set.zip",
            lambda: _zip(with_cr_then_latin1(oneroster_set())),
            {"file": "users.csv", "line": 4, "field": "sourcedId"},
        ),
    ],
    ids=["nested-json", "bad-crc", "cr-then-latin1"],
)
def test_uploads_of_the_damaged_exports_are_bad_input_runs(
    client, uploads, source, name, data, finding
):
    run = upload(client, source, name, data())
    assert {key: run.findings[0][key] for key in finding} == finding
    assert run.findings[0]["message"]


def test_a_wisa_zip_with_a_bad_crc_is_a_bad_input_run(client, uploads, tmp_path):
    good = zipfile.ZipFile(io.BytesIO(wisa_zip(tmp_path / "wisa", inner="")))
    files = {name: good.read(name) for name in good.namelist()}
    run = upload(client, "wisa", "wisa.zip", with_bad_crc(files, "leerlingen.csv"))
    assert "leerlingen.csv" in run.findings[0]["message"]


def test_a_zip_whose_contents_cannot_be_listed_is_refused_naming_the_field(client, uploads):
    _, token = make_link(source="file_drop")
    data = _zip(oneroster_set()).replace(b"PK\x01\x02", b"PK\x01\x09", 1)
    response = client.post(
        UPLOAD,
        {"export": SimpleUploadedFile("export.zip", data)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "export" and "zip" in response.json()["message"]


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_damaged_zip_in_a_drop_folder_is_bad_input(tmp_path):
    (tmp_path / "export.zip").write_bytes(
        _zip(oneroster_set()).replace(b"PK\x01\x02", b"PK\x01\x09")
    )
    with pytest.raises(BadInput) as error:
        exports.read_export(tmp_path, "file_drop", "012345")
    assert error.value.file == "export.zip" and "zip" in error.value.reason_nl


def test_a_oneroster_zip_that_unpacks_too_large_is_bad_input_before_it_is_read(
    client, uploads, monkeypatch
):
    """A zip bomb: a few kilobytes that unpack to far more than any export. The WISA zip had
    its limit on the unpacked size; a OneRoster zip was read into memory whatever it held."""
    monkeypatch.setattr(storage, "MAX_UPLOAD_BYTES", 1024 * 1024)
    files = oneroster_set()
    padded = {**files, "users.csv": files["users.csv"] + b"\n" * (2 * 1024 * 1024)}
    data = _zip_deflated(padded)
    assert len(data) < 64 * 1024
    read = []
    real_read = zipfile.ZipFile.read
    monkeypatch.setattr(
        zipfile.ZipFile,
        "read",
        lambda self, name, *a: read.append(name) or real_read(self, name, *a),
    )
    run = upload(client, "oneroster", "set.zip", data)
    assert "te groot" in run.findings[0]["message"]
    assert run.findings[0]["file"] == "export.zip"
    assert read == []  # refused from the zip's table of contents: nothing was unpacked


def _zip_deflated(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()
