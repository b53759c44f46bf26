"""The pages: every one renders for a logged-in user, none without a login, and a national
number never appears in full on a page or anywhere in a URL."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import LEAVERS_CLASS_CODE

from .conftest import NATIONAL_NUMBERS, make_school

pytestmark = pytest.mark.django_db


def page_urls(school) -> list[str]:
    pupil, school_class = school.pupils[0], school.classes["1A"]
    number = school.institution.number
    return [
        reverse("web:home"),
        reverse("web:institution", args=[number]),
        reverse("web:pupil_search", args=[number]),
        reverse("web:pupil_search", args=[number]) + "?q=jan",
        reverse("web:pupil_search", args=[number]) + f"?klas={school_class.sourced_id}",
        reverse("web:class", args=[school_class.sourced_id]),
        reverse("web:class", args=[school_class.sourced_id]) + "?q=mila",
        reverse("web:class", args=[school.classes[LEAVERS_CLASS_CODE].sourced_id]),
        reverse("web:pupil", args=[pupil.sourced_id]),
        reverse("web:pupil", args=[school.pupils[3].sourced_id]),
        reverse("web:runs"),
        reverse("web:runs") + f"?instelling={number}",
        reverse("web:run", args=[school.run.pk]),
        reverse("web:run_report", args=[school.run.pk]),
        reverse("web:audit"),
        reverse("web:audit") + f"?instelling={number}&entiteit=pupil&pagina=1",
        reverse("web:audit") + f"?id={pupil.sourced_id}",
        reverse("web:audit_csv") + f"?instelling={number}",
        reverse("admin:registry_pupil_changelist"),
        reverse("admin:registry_pupil_changelist") + "?q=Peeters",
        reverse("admin:registry_pupil_change", args=[pupil.pk]),
        reverse("admin:registry_schoolclass_changelist"),
        reverse("admin:registry_enrolment_changelist"),
        reverse("admin:audit_auditentry_changelist"),
        reverse("admin:audit_auditentry_change", args=[school.run.audit.first().pk]),
        reverse("admin:sync_syncrun_changelist"),
        reverse("admin:sync_syncrun_change", args=[school.run.pk]),
    ]


def content(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def national_number_forms(nn: str) -> list[str]:
    """The ways a full national number may be written: 85073012345, 85.07.30-123.45, ..."""
    return [nn, f"{nn[:6]}-{nn[6:9]}.{nn[9:]}", f"{nn[:2]}.{nn[2:4]}.{nn[4:6]}-{nn[6:9]}.{nn[9:]}"]


def assert_no_national_number(text: str, where: str) -> None:
    for nn in NATIONAL_NUMBERS:
        for form in national_number_forms(nn):
            assert form not in text, f"full national number {form} in {where}"
        assert nn[6:] not in re.sub(r"\s", "", text), f"national number tail in {where}"


@pytest.fixture
def client_in(client, secretary, django_user_model):
    secretary.is_staff = secretary.is_superuser = True
    secretary.save()
    client.force_login(secretary)
    return client


def test_every_page_renders_without_a_national_number_in_full_or_in_a_url(client_in, school):
    for url in page_urls(school):
        response = client_in.get(url)
        assert response.status_code == 200, url
        html = content(response)
        assert_no_national_number(html, url)
        assert_no_national_number(url, url)
        for link in re.findall(r'(?:href|action|src)="([^"]*)"', html):
            assert_no_national_number(link, f"a link on {url}")


def test_every_page_asks_for_a_login(client, school):
    for url in page_urls(school):
        if url.startswith("/admin/"):
            continue
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


def test_login_page_is_dutch_and_logs_in(client, secretary):
    page = client.get(reverse("login")).content.decode()
    assert "Aanmelden bij Schoolbrug" in page
    assert 'lang="nl-BE"' in page
    response = client.post(
        reverse("login"), {"username": "secretariaat", "password": "fout"}, follow=True
    )
    assert "Je gebruikersnaam of wachtwoord klopt niet" in response.content.decode()
    response = client.post(
        reverse("login"),
        {"username": "secretariaat", "password": "een-lang-wachtwoord-2026", "next": "/audit/"},
    )
    assert response.status_code == 302 and response["Location"] == "/audit/"


def test_logout_returns_to_the_login_page(client_in):
    response = client_in.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")


def test_pages_show_national_numbers_masked(client_in, school):
    class_page = client_in.get(reverse("web:class", args=[school.classes["1A"].sourced_id]))
    assert "15.07.30-***.**" in class_page.content.decode()
    pupil_page = client_in.get(reverse("web:pupil", args=[school.pupils[0].sourced_id]))
    assert "15.07.30-***.**" in pupil_page.content.decode()
    run_page = client_in.get(reverse("web:run", args=[school.run.pk]))
    assert "16.02.15-***.**" in run_page.content.decode()


def test_run_report_json_has_the_contract_keys(client_in, school):
    response = client_in.get(reverse("web:run_report", args=[school.run.pk]))
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    report = json.loads(response.content)
    assert {"institution", "dry_run", "applied", "counts", "findings"} <= set(report)
    assert report["institution"] == "012345"
    assert report["applied"] is True and report["dry_run"] is False
    assert report["counts"]["created"] == 3
    assert [f["code"] for f in report["findings"]] == [
        "PUPIL_NATIONAL_NUMBER_INVALID",
        "PUPIL_NO_CLASS_NUMBER",
    ]
    assert report["findings"][0]["national_number_masked"] == "16.02.15-***.**"
    assert "national_number" not in report["findings"][0]


def test_home_lists_institutions_with_counts_and_last_run(client_in, school):
    page = client_in.get(reverse("web:home")).content.decode()
    assert "Basisschool De Regenboog" in page
    institution = client_in.get(reverse("web:home")).context["institutions"][0]
    assert (institution.pupil_count, institution.class_count, institution.leaver_count) == (3, 2, 1)
    assert institution.last_run == school.run
    assert "toegepast" in page


def test_home_queries_do_not_grow_with_institutions(client_in, school, django_assert_num_queries):
    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            client_in.get(reverse("web:home"))
        return len(captured)

    one = count_queries()
    make_school("054321", "Vrije Basisschool Sint-Jozef")
    make_school("099999", "GO! Basisschool Het Park")
    assert count_queries() == one


def test_institution_shows_classes_with_counts_and_leavers_last(client_in, school):
    response = client_in.get(reverse("web:institution", args=["012345"]))
    classes = response.context["classes"]
    assert [c.code for c in classes] == ["1A", "2B", LEAVERS_CLASS_CODE]
    assert [c.pupil_count for c in classes] == [2, 1, 1]
    assert response.context["runs"][0] == school.run


def test_class_page_lists_pupils_by_class_number_and_searches(client_in, school):
    url = reverse("web:class", args=[school.classes["1A"].sourced_id])
    page = client_in.get(url)
    assert [e.pupil.given_name for e in page.context["page"]] == ["Jan", "Mila"]
    html = page.content.decode()
    assert "jongen" in html and "30/07/2015" in html
    assert "Wijzigingen gebeuren in je administratiepakket" in html
    found = client_in.get(url + "?q=mila").context["page"]
    assert [e.pupil.given_name for e in found] == ["Mila"]


def test_pupil_search_by_name_and_class(client_in, school):
    url = reverse("web:pupil_search", args=["012345"])
    assert [p.given_name for p in client_in.get(url + "?q=JAN").context["page"]] == ["Mila", "Jan"]
    assert [p.given_name for p in client_in.get(url + "?q=jan peet").context["page"]] == ["Jan"]
    by_class = client_in.get(url + f"?klas={school.classes['2B'].sourced_id}").context["page"]
    assert [(p.given_name, p.class_code) for p in by_class] == [("Noah", "2B")]
    assert client_in.get(url + "?klas=geen-uuid").status_code == 200


def test_pupil_page_shows_contacts_enrolment_and_history(client_in, school):
    page = client_in.get(reverse("web:pupil", args=[school.pupils[0].sourced_id]))
    html = page.content.decode()
    assert "Kerkstraat" in html and "Moeder" in html
    assert "W012345-1" in html  # the id WISA gives the pupil
    assert len(page.context["page"]) == 1  # its own audit entries only
    assert "aangemaakt" in html


def test_run_page_groups_findings_by_severity(client_in, school):
    page = client_in.get(reverse("web:run", args=[school.run.pk]))
    html = page.content.decode()
    assert html.index("Fouten") < html.index("Waarschuwingen")
    assert "leerlingen.csv" in html and "Geef de leerling een klasnummer" in html
    assert reverse("web:run_report", args=[school.run.pk]) in html


def test_audit_filters_and_csv(client_in, school):
    url = reverse("web:audit")
    # The school's sync (5), and the set-up's log-in and staff, which the log follows too.
    assert len(client_in.get(url).context["page"].object_list) == 9
    assert len(client_in.get(url + "?entiteit=class").context["page"].object_list) == 1
    assert len(client_in.get(url + "?instelling=000000").context["page"].object_list) == 0
    response = client_in.get(reverse("web:audit_csv") + "?entiteit=pupil")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(content(response).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "tijdstip" and len(rows) == 5


def test_admin_keeps_pupils_classes_and_enrolments_read_only(client_in, school):
    for name in ("registry_pupil", "registry_schoolclass", "registry_enrolment"):
        assert client_in.get(reverse(f"admin:{name}_add")).status_code == 403
    pupil = school.pupils[0]
    response = client_in.post(
        reverse("admin:registry_pupil_change", args=[pupil.pk]), {"family_name": "X"}
    )
    assert response.status_code == 403
    pupil.refresh_from_db()
    assert pupil.family_name == "Peeters"


def test_long_lists_are_paginated_keeping_the_filters(client_in, school):
    pupil = school.pupils[0]
    AuditEntry.objects.bulk_create(
        AuditEntry(
            at=timezone.now(),
            actor="sync",
            reason="test",
            institution_number="012345",
            entity="pupil",
            entity_sourced_id=pupil.sourced_id,
            action=AuditEntry.Action.UPDATE,
            changes={"class_number": [i, i + 1]},
        )
        for i in range(60)
    )
    first = client_in.get(reverse("web:audit") + "?instelling=012345&entiteit=pupil")
    assert len(first.context["page"].object_list) == 50
    html = first.content.decode()
    assert "Pagina 1 van 2" in html
    assert 'href="?instelling=012345&amp;entiteit=pupil&amp;pagina=2"' in html
    second = client_in.get(reverse("web:audit") + "?instelling=012345&entiteit=pupil&pagina=2")
    assert len(second.context["page"].object_list) == 64 - 50
    history = client_in.get(reverse("web:pupil", args=[pupil.sourced_id]) + "?pagina=2")
    assert len(history.context["page"].object_list) == 61 - 50
