"""The page "Koppeling met het administratiepakket": make a link, see its token once, make a
new one, switch it on and off, set the daily time, the contact source and Informat's access,
and see what came in; every change in the audit log, never a token or secret."""

from __future__ import annotations

import ipaddress
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from schoolbrug.audit.models import AuditEntry
from schoolbrug.links import tokens
from schoolbrug.links.models import SourceLink
from schoolbrug.registry.models import Institution
from tests.links.link_data import make_link, secret_part, wisa_pair

pytestmark = pytest.mark.django_db

NUMBER = "012345"
TOKEN = re.compile(r"sbk_[0-9a-f]{8}_[A-Za-z0-9_-]{40,}")


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.CELERY_BROKER_URL = ""
    # The example Informat of these tests (names under .example resolve to nothing).
    settings.SCHOOLBRUG_INFORMAT_HOSTS = ["*.informat.example"]


@pytest.fixture
def institution():
    return Institution.objects.create(number=NUMBER, name="Basisschool De Regenboog")


@pytest.fixture
def user_in(client, django_user_model):
    user = django_user_model.objects.create_user(
        "ict", email="ict@regenboog.be", is_superuser=True, is_staff=True
    )
    client.force_login(user)
    return client


def page_url(number: str = NUMBER) -> str:
    return reverse("web:link", args=[number])


def form(**changes) -> dict:
    data = {
        "actie": "bewaren",
        "source": "wisa",
        "sync_active": "on",
        "daily_time": "02:30",
        "contact_source": "parents",
        "informat_base_url": "",
        "informat_token_url": "",
        "informat_client_id": "",
        "informat_client_secret": "",
        "informat_scope": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def shown_token(response) -> str:
    found = TOKEN.findall(response.content.decode())
    assert len(found) == 1, found
    return found[0]


def test_the_page_asks_for_a_login(client, institution):
    for response in (client.get(page_url()), client.post(page_url(), form())):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    assert not SourceLink.objects.exists()


def test_an_unknown_institution_is_404(user_in):
    assert user_in.get(page_url("999999")).status_code == 404


def test_only_who_works_at_the_institution_sees_its_link(client, django_user_model, institution):
    from schoolbrug.registry.models import Assignment

    from .conftest import make_staff

    make_link()
    outsider = django_user_model.objects.create_user("buiten", email="iemand@elders.be")
    client.force_login(outsider)
    assert client.get(page_url()).status_code == 404
    assert client.post(page_url(), {"actie": "token"}).status_code == 404

    make_staff(institution, "iemand@elders.be", Assignment.Role.SECRETARY)
    assert client.get(page_url()).status_code == 200


def test_making_a_link_shows_its_token_once(user_in, institution):
    empty = user_in.get(page_url()).content.decode()
    assert "nog geen koppeling" in empty
    assert "Koppeling met het administratiepakket" in empty

    response = user_in.post(page_url(), form())

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = shown_token(response)
    link = SourceLink.objects.get()
    assert (link.source, link.sync_active, link.daily_time.strftime("%H:%M")) == (
        "wisa",
        True,
        "02:30",
    )
    assert tokens.link_for_token(token) == link
    again = user_in.get(page_url()).content.decode()
    assert token not in again and secret_part(token) not in again
    assert link.token_prefix in again
    entry = AuditEntry.objects.get(entity="link")
    assert (entry.action, entry.actor, entry.reason) == ("create", "ict@regenboog.be", "koppeling")
    assert secret_part(token) not in json.dumps(entry.changes)


def test_a_new_token_replaces_the_old_one(user_in, institution):
    link, old = make_link()

    # Asked first: the current token would stop working at once.
    asked = user_in.post(page_url(), {"actie": "token"}).content.decode()
    assert "Wil je echt een nieuwe koppelingstoken maken?" in asked
    assert tokens.link_for_token(old) == link and not TOKEN.findall(asked)

    response = user_in.post(page_url(), {"actie": "token", "bevestigd": "ja"})

    new = shown_token(response)
    assert new != old
    assert "De vorige token werkt niet meer" in response.content.decode()
    assert tokens.link_for_token(old) is None and tokens.link_for_token(new) == link
    entry = AuditEntry.objects.filter(entity="link").latest("id")
    assert entry.actor == "ict@regenboog.be"
    # The prefix anyone may see, and of the secret part only that it changed.
    assert entry.changes == {
        "token_prefix": [old[:12], new[:12]],
        "token_hash": [None, "gewijzigd"],
    }


def test_the_daily_time_must_lie_between_midnight_and_nine(user_in, institution):
    link, _ = make_link()

    response = user_in.post(page_url(), form(daily_time="10:15"))

    assert response.status_code == 200
    assert "tussen 00:00 en 09:00" in response.content.decode()
    link.refresh_from_db()
    assert link.daily_time.strftime("%H:%M") == "00:00"
    assert user_in.post(page_url(), form(daily_time="09:00")).status_code == 302
    link.refresh_from_db()
    assert link.daily_time.strftime("%H:%M") == "09:00"


def test_switching_off_and_the_contact_source_are_saved_and_audited(user_in, institution):
    link, _ = make_link()

    response = user_in.post(page_url(), form(sync_active=None, contact_source="header"))

    assert response.status_code == 302 and response["Location"] == page_url()
    link.refresh_from_db()
    institution.refresh_from_db()
    assert not link.sync_active and institution.contact_source == "header"
    entry = AuditEntry.objects.filter(entity="link").latest("id")
    assert entry.changes == {"sync_active": [True, False], "daily_time": ["00:00", "02:30"]}
    assert (entry.actor, entry.reason) == ("ict@regenboog.be", "koppeling")
    school = AuditEntry.objects.filter(entity="institution").latest("id")
    assert school.changes == {"contact_source": ["parents", "header"]}
    assert (school.actor, school.reason) == ("ict@regenboog.be", "koppeling")
    page = user_in.get(page_url()).content.decode()
    assert "Opgeslagen." in page and "uit" in page
    assert "E-mailgegevens hoofding i.p.v. adres" in page


def test_the_summer_period_without_leavers_is_set_per_school_and_audited(user_in, institution):
    link, _ = make_link()
    page = user_in.get(page_url()).content.decode()
    assert "Zomerperiode zonder schoolverlaters" in page and "1/7-31/8" in page

    response = user_in.post(page_url(), form(leaver_blackout=" 15/06 – 15/9 "))

    assert response.status_code == 302
    link.refresh_from_db()
    assert link.leaver_blackout == "15/6-15/9"
    changes = AuditEntry.objects.filter(entity="link").latest("id").changes
    assert changes["leaver_blackout"] == ["", "15/6-15/9"]
    refused = user_in.post(page_url(), form(leaver_blackout="31/6-1/9"))
    assert refused.status_code == 200
    assert "31/6 is geen dag van het jaar" in refused.content.decode()
    link.refresh_from_db()
    assert link.leaver_blackout == "15/6-15/9"


INFORMAT = {
    "source": "informat",
    "informat_base_url": "https://leerlingen.informat.example/api/students",
    "informat_token_url": "https://login.informat.example/connect/token",
    "informat_client_id": "regenboog",
}


def test_informat_needs_its_access_and_the_secret_is_never_shown(user_in, institution):
    link, _ = make_link()

    missing = user_in.post(page_url(), form(source="informat")).content.decode()
    assert missing.count("Nodig om bij Informat op te halen.") == 4

    insecure = form(**{**INFORMAT, "informat_base_url": "http://a.informat.example/"})
    assert "Gebruik een https-adres" in user_in.post(page_url(), insecure).content.decode()

    saved = user_in.post(page_url(), form(**INFORMAT, informat_client_secret="Geheim-007"))
    assert saved.status_code == 302
    link.refresh_from_db()
    assert link.informat_client_secret == "Geheim-007"
    page = user_in.get(page_url()).content.decode()
    assert "Geheim-007" not in page and "client-secret bewaard" in page

    # An empty field keeps the secret; "wissen" removes it (and Informat then needs a new one).
    assert (
        user_in.post(page_url(), form(**INFORMAT, informat_scope="leerlingen")).status_code == 302
    )
    link.refresh_from_db()
    assert link.informat_client_secret == "Geheim-007" and link.informat_scope == "leerlingen"
    forgot = user_in.post(page_url(), form(**INFORMAT, forget_secret="on"))
    assert "Nodig om bij Informat op te halen." in forgot.content.decode()
    user_in.post(page_url(), form(forget_secret="on"))
    link.refresh_from_db()
    assert link.informat_client_secret == "" and link.source == "wisa"

    audit = json.dumps([e.changes for e in AuditEntry.objects.filter(entity="link")])
    assert "Geheim-007" not in audit
    assert '"informat_client_secret": [null, "gewijzigd"]' in audit


def test_the_page_lists_the_uploads_and_runs_with_links_to_the_reports(
    user_in, client, institution, tmp_path
):
    link, token = make_link()
    pupils_path, classes_path = wisa_pair(tmp_path / "export")
    body = user_in.post(
        reverse("web:link_upload"),
        {
            "leerlingen": SimpleUploadedFile("l.csv", pupils_path.read_bytes()),
            "klassen": SimpleUploadedFile("k.csv", classes_path.read_bytes()),
        },
        HTTP_AUTHORIZATION=f"Bearer {token}",
    ).json()

    page = user_in.get(page_url()).content.decode()

    run_url = reverse("web:run", args=[body["sync_run"]])
    assert page.count(f'href="{run_url}"') == 2  # in the uploads and in the runs
    assert "klaar" in page and "upload" in page
    assert reverse("web:link_upload") in page  # where to send it, with a curl example
    assert "curl" in page and token not in page


def test_the_institution_page_links_to_the_link_page(user_in, institution):
    page = user_in.get(reverse("web:institution", args=[NUMBER])).content.decode()
    assert f'href="{page_url()}"' in page


def test_a_secretary_sees_the_link_but_cannot_change_it_or_make_a_token(
    client, django_user_model, institution
):
    import datetime

    from schoolbrug.registry.models import Assignment, Staff

    staff = Staff.objects.create(email="secretariaat@regenboog.be", given_name="A", family_name="S")
    Assignment.objects.create(
        staff=staff,
        institution=institution,
        role=Assignment.Role.SECRETARY,
        start_date=datetime.date(2020, 9, 1),
    )
    user = django_user_model.objects.create_user("sec", email="secretariaat@regenboog.be")
    client.force_login(user)
    assert client.get(page_url()).status_code == 200
    response = client.post(page_url(), form())
    assert response.status_code == 403
    assert "directeur of ict-coördinator" in response.content.decode()
    assert not SourceLink.objects.exists()
    assert not AuditEntry.objects.filter(entity="link").exists()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://localhost/api/students", "intern of speciaal netwerkadres"),
        ("https://127.0.0.1/api/students", "intern of speciaal netwerkadres"),
        ("https://10.1.2.3/api/students", "intern of speciaal netwerkadres"),
        ("https://169.254.169.254/latest/meta-data/", "intern of speciaal netwerkadres"),
        ("https://[::1]/api/students", "intern of speciaal netwerkadres"),
        ("http://leerlingen.informat.example/api/students", "Gebruik een https-adres"),
        ("https://informat.elders.example/api/students", "geen server van Informat"),
        ("https://intern.informat.example/api/students", "intern of speciaal netwerkadres"),
    ],
)
def test_informat_urls_must_be_https_to_a_public_informat_host(
    user_in, institution, monkeypatch, url, says
):
    from schoolbrug.links import public_address

    real = public_address._resolve
    monkeypatch.setattr(
        public_address,
        "_resolve",
        lambda host, port: (
            [ipaddress.ip_address("10.20.30.40")]
            if host == "intern.informat.example"
            else real(host, port)
        ),
    )
    link, _ = make_link()
    for field in ("informat_base_url", "informat_token_url"):
        data = form(**{**INFORMAT, field: url, "informat_client_secret": "Geheim-007"})
        page = user_in.post(page_url(), data)
        assert page.status_code == 200
        assert says in page.context["form"].errors[field][0]
    link.refresh_from_db()
    assert link.source == "wisa" and link.informat_client_secret == ""


def test_the_page_speaks_to_the_school_and_keeps_the_technical_part_folded(user_in, institution):
    make_link()

    page = user_in.get(page_url()).content.decode()

    main, vendor = page.split('<details class="for-vendor"')
    assert "curl" not in main and "/koppeling/upload/" not in main and "/drop/" not in main
    assert "<summary>Voor uw softwareleverancier</summary>" in vendor
    assert "curl" in vendor and "/koppeling/upload/" in vendor
    assert '<details class="for-vendor" id="voor-uw-softwareleverancier" open' not in page


def test_a_preview_of_the_latest_export_before_the_sync_is_switched_on(
    client, user_in, institution, tmp_path
):
    from schoolbrug.registry.models import Pupil
    from schoolbrug.sync.models import SyncRun
    from tests.links.link_data import PUPILS

    link, token = make_link(active=False)
    pupils_path, classes_path = wisa_pair(tmp_path / "export")
    files = {
        "leerlingen": SimpleUploadedFile("leerlingen.csv", pupils_path.read_bytes()),
        "klassen": SimpleUploadedFile("klassen.csv", classes_path.read_bytes()),
    }
    sent = client.post("/koppeling/upload/", files, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert sent.status_code == 202

    page = user_in.post(page_url(), {"actie": "proefdraai"}).content.decode()

    section = page.split('id="proefdraai"')[1].split("</section>")[0]
    section = re.sub(r' data-label="[^"]*"', "", section)  # the phone layout's cell labels
    assert "er is niets gewijzigd" in section
    assert f"{len(PUPILS)} nieuw" in section
    assert section.count("nieuw in") == len(PUPILS)  # one row a pupil, with the class
    assert "<td>1A</td>" in section and "<td>2B</td>" in section
    assert not Pupil.objects.exists()
    run = SyncRun.objects.get()
    assert run.status == "dry_run" and f"/synchronisaties/{run.pk}/" in section
    link.refresh_from_db()
    assert not link.sync_active


def test_a_preview_without_an_export_says_what_to_do(user_in, institution):
    make_link(active=False)
    page = user_in.post(page_url(), {"actie": "proefdraai"}).content.decode()
    assert "Er is nog geen export ontvangen" in page
