"""The school's sharing pages (seed 001): switching class-information sharing on and off by
the data manager only, the accepted protocol text, app access per (sub)class, the new or
changed accounts per class, and every page limited to the institutions the user works at."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Assignment, Enrolment, Pupil
from schoolbrug.sharing import access, consent
from schoolbrug.sharing.consent import RefusedError
from schoolbrug.sharing.models import AppGrant, ProtocolVersion, Sharing

from .conftest import make_staff, make_user
from .test_views import assert_no_national_number, content

pytestmark = pytest.mark.django_db


def refusal_of(email: str, institution) -> str:
    with pytest.raises(RefusedError) as refused:
        consent.require_data_manager(email, institution)
    return refused.value.reason_nl


@pytest.fixture
def app(db):
    made, _secret = access.create_app("Bingel")
    return made


def sharing_audit() -> list[str]:
    return list(AuditEntry.objects.filter(entity="sharing").values_list("action", flat=True))


# Schoolinstellingen --------------------------------------------------------------------------


def test_data_manager_activates_sharing_after_reading_the_protocol(client, school, director):
    client.force_login(director)
    number = school.institution.number
    settings_page = client.get(reverse("web:sharing", args=[number])).content.decode()
    assert "Deze school deelt geen klasinformatie" in settings_page
    assert "directie@regenboog.be" in settings_page  # the current data managers
    assert reverse("web:sharing_activate", args=[number]) in settings_page

    protocol = ProtocolVersion.current()
    protocol_page = client.get(reverse("web:sharing_activate", args=[number])).content.decode()
    assert "Protocol voor het delen van klasinformatie" in protocol_page
    assert f'name="protocol" value="{protocol.version}"' in protocol_page
    assert not Sharing.objects.exists()  # reading is not accepting

    response = client.post(
        reverse("web:sharing_activate", args=[number]), {"protocol": protocol.version}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:sharing", args=[number])
    sharing = Sharing.objects.get()
    assert sharing.is_active and sharing.protocol == protocol
    assert sharing.activated_by == "directie@regenboog.be"
    assert sharing_audit() == [AuditEntry.Action.ACTIVATE]

    page = client.get(reverse("web:sharing", args=[number])).content.decode()
    assert "Deze school deelt klasinformatie sinds" in page
    protocol_url = reverse("web:protocol", args=[protocol.version]) + f"?instelling={number}"
    assert f'<a href="{protocol_url}">protocol</a>' in page
    assert reverse("web:sharing_deactivate", args=[number]) in page
    assert reverse("web:sharing_activate", args=[number]) not in page

    # The word "protocol" leads to exactly the text that was accepted.
    accepted = client.get(protocol_url).content.decode()
    for line in protocol.text.splitlines():
        assert escape(line.strip()) in accepted, line
    assert "aanvaard door Directie Test (directie@regenboog.be)" in accepted


def test_a_protocol_published_in_between_is_not_accepted_unread(client, school, director):
    client.force_login(director)
    shown = ProtocolVersion.current()
    newer = ProtocolVersion.objects.create(
        version="2027.1",
        title="Protocol delen van klasinformatie",
        text="Een nieuwe tekst.",
        published_at=shown.published_at + datetime.timedelta(days=1),
    )
    url = reverse("web:sharing_activate", args=[school.institution.number])
    response = client.post(url, {"protocol": shown.version})
    assert response.status_code == 409
    assert "Het protocol is intussen gewijzigd" in response.content.decode()
    assert "Een nieuwe tekst." in response.content.decode()
    assert not Sharing.objects.exists()
    client.post(url, {"protocol": newer.version})
    assert Sharing.objects.get().protocol == newer
    # The old text stays readable under its own address.
    old = client.get(reverse("web:protocol", args=[shown.version])).content.decode()
    assert "Er is intussen een nieuwere versie" in old


def test_non_data_manager_sees_why_and_a_forged_post_is_refused(client, school, teacher):
    client.force_login(teacher)
    number = school.institution.number
    page = client.get(reverse("web:sharing", args=[number])).content.decode()
    assert reverse("web:sharing_activate", args=[number]) not in page
    assert reverse("web:sharing_deactivate", args=[number]) not in page
    reason = refusal_of("leerkracht@regenboog.be", school.institution)
    assert escape(reason) in page
    assert "directeursopdracht" in page and "personeelsupload" in page

    version = ProtocolVersion.current().version
    response = client.post(reverse("web:sharing_activate", args=[number]), {"protocol": version})
    assert response.status_code == 403
    assert escape(reason) in response.content.decode()
    assert "Er is niets gewijzigd" in response.content.decode()
    assert client.get(reverse("web:sharing_activate", args=[number])).status_code == 403
    assert not Sharing.objects.exists() and sharing_audit() == []

    # Nor can they stop what a director switched on.
    make_staff(school.institution, "directie@regenboog.be", Assignment.Role.DIRECTOR)
    consent.activate(school.institution, "directie@regenboog.be")
    response = client.post(reverse("web:sharing_deactivate", args=[number]))
    assert response.status_code == 403
    assert escape(reason) in response.content.decode()
    assert consent.active_sharing(school.institution) is not None
    assert sharing_audit() == [AuditEntry.Action.ACTIVATE]


def test_a_superuser_is_no_data_manager_either(client, school, secretary):
    secretary.is_superuser = True
    secretary.save()
    client.force_login(secretary)
    url = reverse("web:sharing_activate", args=[school.institution.number])
    response = client.post(url, {"protocol": ProtocolVersion.current().version})
    assert response.status_code == 403
    assert not Sharing.objects.exists()


def test_director_whose_assignment_ended_yesterday_is_refused(client, school, django_user_model):
    today = timezone.localdate()
    make_staff(
        school.institution,
        "oud-directeur@regenboog.be",
        Assignment.Role.DIRECTOR,
        start=today - datetime.timedelta(days=400),
        end=today - datetime.timedelta(days=1),
    )
    # Still working there as a teacher, so the school's pages are open to them.
    make_staff(school.institution, "oud-directeur@regenboog.be", Assignment.Role.TEACHER)
    client.force_login(make_user(django_user_model, "oud", "oud-directeur@regenboog.be"))
    number = school.institution.number
    page = client.get(reverse("web:sharing", args=[number]))
    assert page.context["data_managers"] == []
    assert "Deze school heeft vandaag geen databeheerder" in page.content.decode()
    response = client.post(
        reverse("web:sharing_activate", args=[number]),
        {"protocol": ProtocolVersion.current().version},
    )
    assert response.status_code == 403
    assert "is geen databeheerder van 012345" in response.content.decode()
    assert not Sharing.objects.exists()


def test_stopping_shows_the_consequences_then_stops(client, school, director, app):
    client.force_login(director)
    number = school.institution.number
    consent.activate(school.institution, "directie@regenboog.be")
    access.grant(app, school.institution, None, by="directie@regenboog.be")

    page = client.get(reverse("web:sharing_deactivate", args=[number])).content.decode()
    assert "Stop het delen van klasinformatie" in page
    assert "Bingel" in page
    assert "De klasinformatie van 3 leerlingen wordt niet meer gedeeld." in page
    assert consent.active_sharing(school.institution) is not None  # only shown, not done

    response = client.post(reverse("web:sharing_deactivate", args=[number]))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:sharing", args=[number])
    sharing = Sharing.objects.get()
    assert not sharing.is_active and sharing.deactivated_by == "directie@regenboog.be"
    assert sharing_audit() == [AuditEntry.Action.DEACTIVATE, AuditEntry.Action.ACTIVATE]

    # Back on the first screen, where sharing can be switched on again; history kept.
    page = client.get(reverse("web:sharing", args=[number])).content.decode()
    assert "Deze school deelt geen klasinformatie" in page
    assert reverse("web:sharing_activate", args=[number]) in page
    # Who switched it on and off, by the name of the staff list.
    assert page.split("Geschiedenis")[1].count("Directie Test") == 2
    # Stopping twice says so, and changes nothing.
    again = client.post(reverse("web:sharing_deactivate", args=[number]))
    assert again.status_code == 409
    assert "deelt geen klasinformatie" in again.content.decode()


# Applicaties -----------------------------------------------------------------------------------


def test_manager_grants_all_classes_chosen_classes_and_revokes(
    client, school, subclasses, ict_coordinator, app
):
    client.force_login(ict_coordinator)
    number = school.institution.number
    access_url = reverse("web:app_access", args=[number, app.pk])
    listing = client.get(reverse("web:apps", args=[number])).content.decode()
    assert "Bingel" in listing and "geen toegang" in listing
    assert "Je school deelt op dit moment geen klasinformatie" in listing

    assert client.post(access_url, {"toegang": "alle"}).status_code == 302
    grant = AppGrant.objects.get(app=app, institution=school.institution)
    assert grant.all_classes and grant.granted_by == "ict@regenboog.be"

    response = client.post(access_url, {"toegang": "gekozen", "klassen": ["1A wiskunde", "2B"]})
    assert response.status_code == 302
    grant = AppGrant.objects.get(app=app, institution=school.institution)
    assert not grant.all_classes
    assert sorted(grant.classes.values_list("code", flat=True)) == ["1A wiskunde", "2B"]
    listing = client.get(reverse("web:apps", args=[number])).content.decode()
    assert "klassen: 1A wiskunde, 2B" in listing
    form = client.get(access_url).content.decode()
    assert 'value="1A wiskunde" checked' in form and 'value="1A" checked' not in form

    # "Chosen classes" with none chosen would mean all classes to access.grant: refused here.
    response = client.post(access_url, {"toegang": "gekozen"})
    assert response.status_code == 400
    assert "Kies minstens één klas" in response.content.decode()
    response = client.post(access_url, {"toegang": "gekozen", "klassen": ["9Z"]})
    assert response.status_code == 400
    assert AppGrant.objects.get(app=app).classes.count() == 2

    response = client.post(reverse("web:app_revoke", args=[number, app.pk]))
    assert response.status_code == 302
    assert not AppGrant.objects.exists()
    actions = AuditEntry.objects.filter(entity="app_access").order_by("id")
    assert [e.action for e in actions] == ["grant", "grant", "revoke"]
    assert actions[1].changes == {
        "all_classes": [True, False],
        "classes": [[], ["1A wiskunde", "2B"]],
    }
    assert {e.actor for e in actions} == {"ict@regenboog.be"}


def test_a_director_may_grant_too(client, school, director, app):
    client.force_login(director)
    url = reverse("web:app_access", args=[school.institution.number, app.pk])
    assert client.post(url, {"toegang": "gekozen", "klassen": ["1A"]}).status_code == 302
    assert AppGrant.objects.get().granted_by == "directie@regenboog.be"


def test_apps_are_read_only_for_a_teacher(client, school, teacher, app):
    access.grant(app, school.institution, ["1A"], by="ict@regenboog.be")
    client.force_login(teacher)
    number = school.institution.number
    listing = client.get(reverse("web:apps", args=[number])).content.decode()
    assert "klassen: 1A" in listing
    assert "Je kan deze lijst alleen bekijken" in listing and "ict-coördinator" in listing
    assert reverse("web:app_revoke", args=[number, app.pk]) not in listing
    form = client.get(reverse("web:app_access", args=[number, app.pk])).content.decode()
    assert 'name="klassen"' not in form

    response = client.post(reverse("web:app_access", args=[number, app.pk]), {"toegang": "alle"})
    assert response.status_code == 403
    assert "Alleen een directeur of ict-coördinator" in response.content.decode()
    assert client.post(reverse("web:app_revoke", args=[number, app.pk])).status_code == 403
    grant = AppGrant.objects.get()
    assert not grant.all_classes and list(grant.classes.values_list("code", flat=True)) == ["1A"]
    assert AuditEntry.objects.filter(entity="app_access").count() == 1


def test_grant_form_shows_subclasses_under_their_class(client, school, subclasses, director, app):
    client.force_login(director)
    page = client.get(reverse("web:app_access", args=[school.institution.number, app.pk]))
    assert [(c.code, c.depth) for c in page.context["classes"]] == [
        ("1A", 0),
        ("1A Frans", 1),
        ("1A wiskunde", 1),
        ("2B", 0),
    ]  # Schoolverlaters is no class to give access to
    html = page.content.decode()
    assert (
        '<li class="depth-1"><label><input type="checkbox" name="klassen" value="1A Frans"' in html
    )


# Leerlingen per (sub)klas -----------------------------------------------------------------------


def test_pupil_search_offers_subclasses_and_finds_their_members(
    client, school, subclasses, secretary
):
    client.force_login(secretary)  # sees the whole school
    url = reverse("web:pupil_search", args=[school.institution.number])
    page = client.get(url)
    options = [(c.code, c.depth) for c in page.context["classes"]]
    assert options[:4] == [("1A", 0), ("1A Frans", 1), ("1A wiskunde", 1), ("2B", 0)]
    html = page.content.decode()
    assert "\u00a0\u00a0\u00a0\u00a0↳ 1A Frans</option>" in html

    # A subclass's pupils stay in their class: the class lists them all, the subclass its own.
    klas = f"?klas={school.classes['1A'].sourced_id}"
    only_class = client.get(url + klas).context["page"]
    assert sorted(p.given_name for p in only_class) == ["Jan", "Mila", "Sara", "Wout", "Yara"]
    sub = f"?klas={subclasses['1A wiskunde'].sourced_id}"
    assert sorted(p.given_name for p in client.get(url + sub).context["page"]) == ["Sara", "Yara"]
    assert [
        (p.given_name, p.class_code) for p in client.get(url + sub + "&q=yara").context["page"]
    ] == [("Yara", "1A")]


# Nieuwe of gewijzigde accounts ------------------------------------------------------------------


@pytest.fixture
def changes(school, subclasses):
    """Everything old, then: Jan and Sara new, Noah's record and Mila's class number changed,
    the leaver Lotte changed too (she is left out)."""
    now = timezone.now()
    long_ago = now - datetime.timedelta(days=30)
    Pupil.objects.update(created_at=long_ago, updated_at=long_ago)
    Enrolment.objects.update(created_at=long_ago, updated_at=long_ago)
    jan, mila, noah, lotte = school.pupils
    sara = Pupil.objects.get(given_name="Sara")
    days = datetime.timedelta(days=1)
    Pupil.objects.filter(pk__in=[jan.pk, sara.pk]).update(created_at=now - days, updated_at=now)
    Pupil.objects.filter(pk__in=[noah.pk, lotte.pk]).update(updated_at=now - 2 * days)
    Enrolment.objects.filter(pupil=mila).update(class_number=5, updated_at=now - 3 * days)
    return now


def test_accounts_page_groups_new_and_changed_pupils_per_class(client, school, changes, secretary):
    client.force_login(secretary)  # sees the whole school
    url = reverse("web:accounts", args=[school.institution.number])
    page = client.get(url)
    assert page.context["since"] == timezone.localdate() - datetime.timedelta(days=7)
    groups = [
        (g.code, [(r.given_name, r.class_number, r.status) for r in g.rows])
        for g in page.context["groups"]
    ]
    assert groups == [
        ("1A", [("Jan", 1, "nieuw"), ("Sara", 3, "nieuw"), ("Mila", 5, "gewijzigd")]),
        ("1A wiskunde", [("Sara", 3, "nieuw")]),  # and again under her subclass
        ("2B", [("Noah", None, "gewijzigd")]),
    ]
    html = content(page)
    assert "Subklas 1A wiskunde" in html and "Lotte" not in html
    assert "4 leerlingen, 2 nieuw" in html
    assert reverse("web:accounts_csv", args=[school.institution.number]) in html
    assert "window.print()" in html and "account-group" in html
    assert_no_national_number(html, url)

    since = (timezone.localdate() - datetime.timedelta(days=2)).isoformat()
    recent = client.get(url + f"?sinds={since}").context["groups"]
    assert [[r.given_name for r in g.rows] for g in recent] == [
        ["Jan", "Sara"],
        ["Sara"],
        ["Noah"],
    ]
    future = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert "Geen nieuwe of gewijzigde leerlingen" in content(client.get(url + f"?sinds={future}"))


def test_accounts_csv_is_for_excel_and_has_no_national_number(client, school, changes, secretary):
    client.force_login(secretary)  # sees the whole school
    url = reverse("web:accounts_csv", args=[school.institution.number])
    response = client.get(url)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    since = timezone.localdate() - datetime.timedelta(days=7)
    assert (
        f'filename="accounts-012345-sinds-{since.isoformat()}.csv"'
        in (response["Content-Disposition"])
    )
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == [
        "klas",
        "klasnummer",
        "voornaam",
        "naam",
        "nieuw of gewijzigd",
        "gewijzigd op",
    ]
    assert [row[:5] for row in rows[1:]] == [
        ["1A", "1", "Jan", "Peeters", "nieuw"],
        ["1A", "3", "Sara", "Subklas", "nieuw"],
        ["1A", "5", "Mila", "Janssens", "gewijzigd"],
        ["1A wiskunde", "3", "Sara", "Subklas", "nieuw"],
        ["2B", "", "Noah", "Maes", "gewijzigd"],
    ]
    assert_no_national_number(text, url)


def test_accounts_with_a_bad_date_say_so_in_dutch(client, school, teacher):
    client.force_login(teacher)
    page = client.get(reverse("web:accounts", args=[school.institution.number]) + "?sinds=31-12")
    assert page.status_code == 200
    assert "Dat is geen geldige datum. Geef de datum als JJJJ-MM-DD" in page.content.decode()
    url = reverse("web:accounts_csv", args=[school.institution.number]) + "?sinds=2026-02-30"
    response = client.get(url)
    assert response.status_code == 400
    assert "geen geldige datum" in response.content.decode()


# Only one's own institutions --------------------------------------------------------------------


def other_school_urls(other, app) -> list[str]:
    number = other.institution.number
    return [
        reverse("web:institution", args=[number]),
        reverse("web:pupil_search", args=[number]),
        reverse("web:class", args=[other.classes["1A"].sourced_id]),
        reverse("web:pupil", args=[other.pupils[0].sourced_id]),
        reverse("web:run", args=[other.run.pk]),
        reverse("web:run_report", args=[other.run.pk]),
        reverse("web:accounts", args=[number]),
        reverse("web:accounts_csv", args=[number]),
        reverse("web:sharing", args=[number]),
        reverse("web:sharing_activate", args=[number]),
        reverse("web:sharing_deactivate", args=[number]),
        reverse("web:apps", args=[number]),
        reverse("web:app_access", args=[number, app.pk]),
    ]


def test_another_schools_pages_answer_404(client, school, other_school, teacher, app):
    # Even a director of their own school is nobody at the other one.
    make_staff(school.institution, "leerkracht@regenboog.be", Assignment.Role.DIRECTOR)
    client.force_login(teacher)
    for url in other_school_urls(other_school, app):
        assert client.get(url).status_code == 404, url
    number = other_school.institution.number
    for url in (
        reverse("web:sharing_activate", args=[number]),
        reverse("web:sharing_deactivate", args=[number]),
        reverse("web:app_access", args=[number, app.pk]),
        reverse("web:app_revoke", args=[number, app.pk]),
    ):
        assert client.post(url, {"toegang": "alle", "protocol": "2026.1"}).status_code == 404, url
    assert not Sharing.objects.exists() and not AppGrant.objects.exists()

    home = client.get(reverse("web:home"))
    assert [i.number for i in home.context["institutions"]] == ["012345"]
    assert "Vrije Basisschool Sint-Jozef" not in home.content.decode()
    runs = client.get(reverse("web:runs")).context["page"]
    assert [r.institution_number for r in runs] == ["012345"]
    assert client.get(reverse("web:runs")).context["institutions"] == [
        ("012345", "Basisschool De Regenboog")
    ]
    audit = client.get(reverse("web:audit")).context["page"]
    assert {e.institution_number for e in audit} == {"012345"}
    audit_csv = content(client.get(reverse("web:audit_csv") + "?instelling=054321"))
    assert len(audit_csv.strip().splitlines()) == 1  # the header only

    # Their own school's pages stay open.
    for url in (
        reverse("web:institution", args=["012345"]),
        reverse("web:class", args=[school.classes["1A"].sourced_id]),
        reverse("web:pupil", args=[school.pupils[0].sourced_id]),
        reverse("web:run", args=[school.run.pk]),
        reverse("web:sharing", args=["012345"]),
        reverse("web:apps", args=["012345"]),
        reverse("web:accounts", args=["012345"]),
    ):
        assert client.get(url).status_code == 200, url


def test_an_ended_or_unknown_assignment_shows_nothing(
    client, school, django_user_model, other_school
):
    today = timezone.localdate()
    make_staff(
        school.institution,
        "weg@regenboog.be",
        Assignment.Role.SECRETARY,
        start=today - datetime.timedelta(days=300),
        end=today - datetime.timedelta(days=1),
    )
    make_staff(
        other_school.institution,
        "weg@regenboog.be",
        Assignment.Role.TEACHER,
        start=today + datetime.timedelta(days=1),
    )
    for user in (
        make_user(django_user_model, "weg", "WEG@regenboog.be"),
        make_user(django_user_model, "zonder-mail"),
    ):
        client.force_login(user)
        assert client.get(reverse("web:home")).context["institutions"] == []
        assert client.get(reverse("web:institution", args=["012345"])).status_code == 404
        assert client.get(reverse("web:institution", args=["054321"])).status_code == 404


def test_a_superuser_sees_every_school(client, school, other_school, secretary):
    secretary.is_superuser = True
    secretary.save()
    client.force_login(secretary)
    home = client.get(reverse("web:home"))
    assert [i.number for i in home.context["institutions"]] == ["012345", "054321"]
    for number in ("012345", "054321"):
        for name in ("sharing", "apps", "accounts"):
            assert client.get(reverse(f"web:{name}", args=[number])).status_code == 200
    page = client.get(reverse("web:sharing", args=["054321"])).content.decode()
    assert "Je kan het delen hier niet activeren of stoppen" in page


# Switching on: what is shared, the protocol as text, twice ----------------------------------


def test_switching_on_shows_what_will_be_shared_before_the_protocol(client, school, director, app):
    access.grant(app, school.institution, ["1A"], by="directie@regenboog.be")
    other, _secret = access.create_app("Smartschool")
    access.grant(other, school.institution, None, by="directie@regenboog.be")
    client.force_login(director)

    page = content(client.get(reverse("web:sharing_activate", args=[school.institution.number])))

    preview, protocol = page.split('id="wat-gedeeld"')[1].split('class="protocol"')
    rows = re.sub(r' data-label="[^"]*"', "", preview).split("<tr>")[2:]
    # Bingel: class 1A and its two pupils; Smartschool: every class (1A, 2B), three pupils.
    assert "Bingel" in rows[0] and "<td>1A</td>" in rows[0] and "<td>2</td>" in rows[0]
    assert "Smartschool" in rows[1] and "alle klassen (2)" in rows[1] and "<td>3</td>" in rows[1]
    # The protocol reflows: its editor's line breaks are spaces, paragraphs stay paragraphs.
    assert "<br>" not in protocol
    assert "het\nklasnummer" not in protocol and "het klasnummer, de naam" in protocol
    assert protocol.count("<p>") >= 5


def test_data_managers_are_named(client, school, director):
    client.force_login(director)
    page = content(client.get(reverse("web:sharing", args=[school.institution.number])))
    assert 'Directie Test <span class="muted">(directie@regenboog.be)</span>' in page


def test_activating_twice_answers_with_the_current_state(client, school, director):
    client.force_login(director)
    url = reverse("web:sharing_activate", args=[school.institution.number])
    version = ProtocolVersion.current().version
    assert client.post(url, {"protocol": version}).status_code == 302

    again = client.post(url, {"protocol": version}, follow=True)

    assert again.status_code == 200
    assert "deelt al klasinformatie" in content(again)
    assert "Deze school deelt klasinformatie sinds" in content(again)
    assert Sharing.objects.count() == 1 and sharing_audit() == [AuditEntry.Action.ACTIVATE]


def test_two_activations_at_once_answer_with_the_current_state(
    client, school, director, monkeypatch
):
    """The second request found sharing off too: the database's one-active-period rule stops
    it (IntegrityError), and it answers as a second click does, not with a 500."""
    consent.activate(school.institution, "directie@regenboog.be")
    found = iter([None])  # the racing request's check still saw no active period
    real = consent.active_sharing
    monkeypatch.setattr(
        consent, "active_sharing", lambda institution: next(found, None) or real(institution)
    )
    client.force_login(director)
    url = reverse("web:sharing_activate", args=[school.institution.number])

    response = client.post(url, {"protocol": ProtocolVersion.current().version})

    assert response.status_code == 302
    assert response["Location"] == reverse("web:sharing", args=[school.institution.number])
    assert Sharing.objects.count() == 1 and sharing_audit() == [AuditEntry.Action.ACTIVATE]
