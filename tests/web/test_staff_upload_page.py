"""The staff list in the browser (issue 19): a school's own export with Dutch headers, role
names and dd/mm/jjjj dates; a preview that is the dry run of the same plan, then applying it
atomically and audited in the person's name; another school's list or page refused."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Assignment, Staff
from schoolbrug.roles.models import RoleGrant
from schoolbrug.staff import upload as staff_upload
from schoolbrug.sync.locking import InstitutionBusy
from schoolbrug.sync.models import SyncRun

from .conftest import SECRETARY_EMAIL, make_staff, make_user
from .test_views import content

pytestmark = pytest.mark.django_db

# As a Flemish package exports it: semicolons, Dutch headers and role names, day first.
DUTCH_LIST = (
    "E-mailadres;Voornaam;Familienaam;Rol;Startdatum;Einddatum\r\n"
    "lies.peeters@regenboog.be;Lies;Peeters;Leerkracht;01/09/2025;\r\n"
    "tom.maes@regenboog.be;Tom;Maes;ICT-coördinator;1/9/2025;30/06/2026\r\n"
    "dirk.baas@regenboog.be;Dirk;Baas;Directeur;01/09/2020;\r\n"
)


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR


def the_list(text: str = DUTCH_LIST, name: str = "personeel.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("cp1252"))


def url(school) -> str:
    return reverse("web:staff_upload", args=[school.institution.number])


def preview(client, school, text: str = DUTCH_LIST):
    return client.post(url(school), {"actie": "proef", "bestand": the_list(text)})


def apply(client, school, response):
    return client.post(
        url(school), {"actie": "toepassen", "upload": response.context["upload_id"]}, follow=True
    )


def test_secretary_previews_a_dutch_export_then_applies_it(client, school, secretary):
    client.force_login(secretary)
    staff_before = Staff.objects.count()

    shown = preview(client, school)

    page = content(shown)
    assert shown.status_code == 200
    assert "Dit is een proefdraai: er is nog niets gewijzigd." in page
    assert "3 nieuwe personeelsleden" in page and "3 nieuwe opdrachten" in page
    assert "Lies Peeters" in page and "leerkracht vanaf 01/09/2025" in page
    assert "ict-coördinator vanaf 01/09/2025, tot 30/06/2026" in page
    # The preview is the same service's dry run: a run, and nothing else written.
    assert Staff.objects.count() == staff_before
    run = SyncRun.objects.get(source="staff_upload")
    assert run.status == "dry_run" and run.institution_number == school.institution.number

    done = apply(client, school, shown)

    assert "Toegepast: 3 nieuwe personeelsleden, 3 nieuwe opdrachten" in content(done)
    tom = Assignment.objects.get(staff__email="tom.maes@regenboog.be")
    assert (tom.role, tom.start_date, tom.end_date) == (
        Assignment.Role.ICT_COORDINATOR,
        datetime.date(2025, 9, 1),
        datetime.date(2026, 6, 30),
    )
    assert tom.institution == school.institution and tom.origin == "staff_upload"
    entries = AuditEntry.objects.filter(reason="import personeel.csv")
    assert entries.count() == 6  # three people, three assignments
    assert set(entries.values_list("actor", flat=True)) == {SECRETARY_EMAIL}
    # Applied once: the pending file is gone, a second click changes nothing.
    again = apply(client, school, shown)
    assert "niet meer beschikbaar" in content(again)
    assert Assignment.objects.filter(origin="staff_upload").count() == 3


def test_a_bad_row_is_named_in_dutch_by_line_column_and_reason_and_nothing_applies(
    client, school, secretary
):
    client.force_login(secretary)
    bad = DUTCH_LIST.replace("Leerkracht;01/09/2025", "Kok;31/02/2025")

    shown = preview(client, school, bad)

    assert shown.status_code == 400
    shown_html = re.sub(r' data-label="[^"]*"', "", content(shown))
    rows = shown_html.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert "<td>2</td><td>Rol</td><td>Onbekende rol &#x27;Kok&#x27;: kies directeur" in rows[0]
    assert "<td>2</td><td>Startdatum</td><td>Ongeldige datum &#x27;31/02/2025&#x27;" in rows[1]
    assert 'value="toepassen"' not in content(shown)
    assert not Assignment.objects.filter(origin="staff_upload").exists()
    assert not Staff.objects.filter(email="tom.maes@regenboog.be").exists()


def test_another_schools_list_is_refused(client, school, secretary, other_school):
    client.force_login(secretary)
    other = other_school.institution.number
    header, *rows = DUTCH_LIST.splitlines()
    lines = [f"Instellingsnummer;{header}"] + [f"{other};{line}" for line in rows]

    shown = preview(client, school, "\r\n".join(lines) + "\r\n")

    assert shown.status_code == 400
    page = content(shown)
    assert f"Deze regel hoort bij instelling &#x27;{other}&#x27;" in page
    assert page.count("hoort bij instelling") == 3
    assert not Assignment.objects.filter(origin="staff_upload").exists()


def test_a_schools_list_ends_only_its_own_uploaded_assignments(
    client, school, secretary, other_school
):
    yesterday_year = datetime.date(2024, 9, 1)
    for institution in (school.institution, other_school.institution):
        assignment = make_staff(institution, "oud@regenboog.be", start=yesterday_year)
        Assignment.objects.filter(pk=assignment.pk).update(origin="staff_upload")
    client.force_login(secretary)

    apply(client, school, preview(client, school))

    ended = dict(
        Assignment.objects.filter(staff__email="oud@regenboog.be").values_list(
            "institution__number", "end_date"
        )
    )
    assert ended[school.institution.number] is not None  # not in this school's list
    assert ended[other_school.institution.number] is None  # another school's: untouched


@pytest.mark.parametrize("who", ["teacher", "stranger"])
def test_who_may_not_upload_finds_no_page(client, school, other_school, django_user_model, who):
    if who == "teacher":
        make_staff(school.institution, "leerkracht@regenboog.be")
        user = make_user(django_user_model, "leerkracht", "leerkracht@regenboog.be")
    else:  # the secretary of another school
        make_staff(other_school.institution, "sec@sintjozef.be", Assignment.Role.SECRETARY)
        user = make_user(django_user_model, "sec", "sec@sintjozef.be")
    client.force_login(user)

    assert client.get(url(school)).status_code == 404
    assert preview(client, school).status_code == 404
    assert not SyncRun.objects.filter(source="staff_upload").exists()
    institution_page = content(client.get(reverse("web:institution", args=["012345"])))
    assert url(school) not in institution_page or who == "stranger"


@pytest.mark.parametrize("role", ["director", "ict_coordinator", "board_admin", "site_admin"])
def test_who_may_upload(client, school, django_user_model, role):
    user = make_user(django_user_model, "wie", "wie@regenboog.be")
    if role in ("director", "ict_coordinator"):
        make_staff(school.institution, "wie@regenboog.be", role)
    elif role == "board_admin":
        from schoolbrug.registry.models import Board

        board = Board.objects.create(name="Scholengroep")
        school.institution.board = board
        school.institution.save()
        RoleGrant.objects.create(user=user, role=RoleGrant.Role.BOARD_ADMIN, board=board)
    else:
        RoleGrant.objects.create(user=user, role=RoleGrant.Role.SITE_ADMIN)
    client.force_login(user)

    assert client.get(url(school)).status_code == 200
    assert url(school) in content(client.get(reverse("web:institution", args=["012345"])))


def test_an_upload_while_the_school_is_being_synced_changes_nothing(
    client, school, secretary, monkeypatch
):
    """The upload takes the school's sync lock (as a sync does); held elsewhere, it says so."""
    locked = []

    def busy(numbers, *, wait):
        locked.append((list(numbers), wait))
        raise InstitutionBusy(numbers, waited=True)

    client.force_login(secretary)
    shown = preview(client, school)
    monkeypatch.setattr(staff_upload, "institutions_locked", busy)

    done = apply(client, school, shown)

    assert locked == [([school.institution.number], True)]
    assert "Er liep net een synchronisatie" in content(done)
    assert not Assignment.objects.filter(origin="staff_upload").exists()
    assert SyncRun.objects.filter(source="staff_upload", status="busy").count() == 1

    # The preview stays after a busy refusal: once the lock is free, the same click applies.
    monkeypatch.undo()
    retried = apply(client, school, shown)
    assert "Toegepast: 3 nieuwe personeelsleden" in content(retried)
    assert Assignment.objects.filter(origin="staff_upload").count() == 3


def test_a_double_click_on_apply_applies_once(client, school, secretary, monkeypatch):
    """Two requests to apply one preview at once (a double click): the second arrives while
    the first is applying, its session still naming the pending file. Only one applies."""
    from schoolbrug.web import staff_views

    client.force_login(secretary)
    shown = preview(client, school)
    real_run_upload, calls, second = staff_views.run_upload, [], []

    def first_still_applying(path, **kwargs):
        calls.append(path)
        if len(calls) == 1:
            second.append(apply(client, school, shown))
        return real_run_upload(path, **kwargs)

    monkeypatch.setattr(staff_views, "run_upload", first_still_applying)

    first = apply(client, school, shown)

    assert "Toegepast: 3 nieuwe personeelsleden" in content(first)
    assert "niet meer beschikbaar" in content(second[0])
    assert SyncRun.objects.filter(source="staff_upload", status="applied").count() == 1
    assert Assignment.objects.filter(origin="staff_upload").count() == 3
    assert not any((staff_views.upload_root()).iterdir())


def test_a_list_mixing_two_encodings_is_refused_by_line_and_writes_nothing(
    client, school, secretary
):
    client.force_login(secretary)
    head, first, *rest = DUTCH_LIST.splitlines(keepends=True)
    data = (head + first).encode("utf-8") + "".join(rest).encode("cp1252")
    data = data.replace(b"Tom;Maes", "Tom;Maës".encode("cp1252"))
    data = data.replace(b"Lies;Peeters", "Liés;Peeters".encode())

    shown = client.post(
        url(school), {"actie": "proef", "bestand": SimpleUploadedFile("personeel.csv", data)}
    )

    assert shown.status_code == 400
    page = content(shown)
    assert "mengt twee tekensets" in page and 'data-label="Regel">3</td>' in page
    assert 'value="toepassen"' not in page
    assert not Staff.objects.filter(
        email__in=["lies.peeters@regenboog.be", "tom.maes@regenboog.be"]
    ).exists()
    assert not SyncRun.objects.filter(source="staff_upload").exclude(status="bad_input").exists()


def test_a_file_named_after_a_national_number_is_reported_and_logged_masked(
    client, school, secretary, var_dir
):
    client.force_login(secretary)
    named = the_list(name="../85073003328 personeel.csv")

    shown = client.post(url(school), {"actie": "proef", "bestand": named})
    apply(client, school, shown)

    assert "03328" not in content(shown) and "85.07.30-***.**" in content(shown)
    runs = SyncRun.objects.filter(source="staff_upload")
    assert [run.options["file"] for run in runs] == ["85.07.30-***.**_personeel.csv"] * 2
    reasons = set(AuditEntry.objects.filter(sync_run__in=runs).values_list("reason", flat=True))
    assert reasons == {"import 85.07.30-***.**_personeel.csv"}
    assert Assignment.objects.filter(origin="staff_upload").count() == 3


def test_a_file_over_the_size_limit_is_refused_and_nothing_waits(
    client, school, secretary, monkeypatch, var_dir
):
    from schoolbrug.web import staff_views

    monkeypatch.setattr(staff_views, "MAX_BYTES", 100)
    client.force_login(secretary)

    shown = preview(client, school)

    assert shown.status_code == 400
    assert "groter dan 10 MB" in content(shown) and 'value="toepassen"' not in content(shown)
    assert not SyncRun.objects.filter(source="staff_upload").exists()
    assert not (var_dir / "staff_uploads").exists()
