"""Who sees which pupils (roles/permissions.py): a teacher of 1A sees 1A and its pupils on every
page that shows pupils, and nothing of 2B (a page of another pupil or class is a 404, not a
403: it tells nothing); once her link to 1A ends she no longer sees 1A. A director, the ICT
coordinator, the secretariat and the care team see the whole school; the care record only
the care team and the pupil's own teachers (test_care_record.py)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.links.models import LinkUpload
from schoolbrug.registry.models import Assignment, Pupil, Teaching
from tests.links.link_data import make_link
from tests.web.conftest import make_staff, make_user

CARE = {"dyslexie": "extra tijd bij toetsen"}
TEACHER = "juf.1a@regenboog.be"


@pytest.fixture
def school_with_care(school):
    """The small school; every pupil has a care record, and the care record of Maes (2B)
    changed in the history."""
    Pupil.objects.update(care_record=CARE)
    maes = next(p for p in school.pupils if p.family_name == "Maes")
    AuditEntry.objects.create(
        at=timezone.now(),
        actor="secretariaat",
        reason="synchronisatie",
        institution_number=school.institution.number,
        entity="pupil",
        entity_sourced_id=maes.sourced_id,
        action=AuditEntry.Action.UPDATE,
        changes={"care_record": [{}, CARE]},
    )
    return school


@pytest.fixture
def teacher_1a(school_with_care, client, django_user_model):
    """A teacher whose only assignment is teaching 1A, logged in."""
    assignment = make_staff(school_with_care.institution, TEACHER, Assignment.Role.TEACHER)
    link = Teaching.objects.create(
        assignment=assignment, schoolclass=school_with_care.classes["1A"]
    )
    client.force_login(make_user(django_user_model, "juf", TEACHER))
    return link


def logged_in(client, django_user_model, school, role: str) -> None:
    email = f"{role}@regenboog.be"
    make_staff(school.institution, email, role)
    client.force_login(make_user(django_user_model, role, email))


def pupil(school, family_name: str) -> Pupil:
    return next(p for p in school.pupils if p.family_name == family_name)


def pupil_page(client, school, family_name: str):
    return client.get(reverse("web:pupil", args=[pupil(school, family_name).sourced_id]))


def names(text: str) -> set[str]:
    return {family for family in ("Peeters", "Janssens", "Maes", "Claes") if family in text}


def test_a_teacher_sees_her_class_and_its_pupils_and_nothing_else(
    client, school_with_care, teacher_1a
):
    school = school_with_care
    number = school.institution.number
    page = client.get(reverse("web:institution", args=[number]))
    assert page.status_code == 200
    assert [c.code for c in page.context["classes"]] == ["1A"]
    assert page.context["runs"] == []

    one_a = client.get(reverse("web:class", args=[school.classes["1A"].sourced_id]))
    assert one_a.status_code == 200 and names(one_a.content.decode()) == {"Peeters", "Janssens"}
    assert (
        client.get(reverse("web:class", args=[school.classes["2B"].sourced_id])).status_code == 404
    )

    mine = pupil_page(client, school, "Peeters")
    assert mine.status_code == 200
    assert "moeder@example.be" in mine.content.decode()  # contacts
    assert "extra tijd bij toetsen" in mine.content.decode()  # her pupil's care record
    for other in ("Maes", "Claes"):  # 2B, and a leaver
        assert pupil_page(client, school, other).status_code == 404


def test_search_finds_only_her_pupils(client, school_with_care, teacher_1a):
    url = reverse("web:pupil_search", args=[school_with_care.institution.number])
    everyone = client.get(url)
    assert {p.family_name for p in everyone.context["page"]} == {"Peeters", "Janssens"}
    assert [c.code for c in everyone.context["classes"]] == ["1A"]
    assert list(client.get(url, {"q": "Maes"}).context["page"]) == []
    other_class = client.get(url, {"klas": str(school_with_care.classes["2B"].sourced_id)})
    assert list(other_class.context["page"]) == []


def test_the_accounts_list_and_its_csv_hold_only_her_class(client, school_with_care, teacher_1a):
    number = school_with_care.institution.number
    since = {"sinds": (timezone.localdate() - datetime.timedelta(days=7)).isoformat()}
    page = client.get(reverse("web:accounts", args=[number]), since)
    assert [g.code for g in page.context["groups"]] == ["1A"]
    assert {r.family_name for g in page.context["groups"] for r in g.rows} == {
        "Peeters",
        "Janssens",
    }
    csv = client.get(reverse("web:accounts_csv", args=[number]), since)
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert names(text) == {"Peeters", "Janssens"}
    assert {line.split(";")[0] for line in text.splitlines()[1:]} == {"1A"}


def test_the_history_shows_only_her_pupils_and_class_and_no_sync_runs(
    client, school_with_care, teacher_1a
):
    school = school_with_care
    audit = client.get(reverse("web:audit"))
    shown = {e.entity_sourced_id for e in audit.context["page"]}
    assert shown == {
        pupil(school, "Peeters").sourced_id,
        pupil(school, "Janssens").sourced_id,
        school.classes["1A"].sourced_id,
    }
    csv = b"".join(client.get(reverse("web:audit_csv")).streaming_content).decode("utf-8-sig")
    assert str(pupil(school, "Maes").sourced_id) not in csv
    assert str(pupil(school, "Peeters").sourced_id) in csv
    assert list(client.get(reverse("web:runs")).context["page"]) == []
    assert client.get(reverse("web:run", args=[school.run.pk])).status_code == 404
    assert client.get(reverse("web:run_report", args=[school.run.pk])).status_code == 404


def test_the_link_page_shows_her_no_sync_runs_or_their_exports(
    client, school_with_care, teacher_1a
):
    """The page of the link with the administration package lists the school's recent runs
    and exports, each with its status and pupil counts: none of that for a teacher."""
    school = school_with_care
    link, _ = make_link(school.institution.number)
    LinkUpload.objects.create(
        link=link, received_at=timezone.now(), started_by="upload", sync_run=school.run
    )
    page = client.get(reverse("web:link", args=[school.institution.number]))
    assert page.status_code == 200
    assert list(page.context["runs"]) == [] and list(page.context["uploads"]) == []
    assert reverse("web:run", args=[school.run.pk]) not in page.content.decode()
    assert "Recente synchronisaties" not in page.content.decode()


def test_once_her_link_ends_she_no_longer_sees_the_class(client, school_with_care, teacher_1a):
    school = school_with_care
    teacher_1a.end_date = timezone.localdate() - datetime.timedelta(days=1)
    teacher_1a.save()

    assert (
        client.get(reverse("web:class", args=[school.classes["1A"].sourced_id])).status_code == 404
    )
    assert pupil_page(client, school, "Peeters").status_code == 404
    search = client.get(reverse("web:pupil_search", args=[school.institution.number]))
    assert list(search.context["page"]) == []
    page = client.get(reverse("web:institution", args=[school.institution.number]))
    assert page.status_code == 200 and page.context["classes"] == []  # still works there


def test_a_director_still_sees_every_pupil_but_not_the_care_record(
    client, school_with_care, director
):
    school = school_with_care
    client.force_login(director)
    other = pupil_page(client, school, "Maes")
    # Every pupil, but not the care record: the care team and the pupil's teachers only.
    assert other.status_code == 200 and "extra tijd bij toetsen" not in other.content.decode()
    assert pupil_page(client, school, "Claes").status_code == 200
    search = client.get(reverse("web:pupil_search", args=[school.institution.number]))
    assert {p.family_name for p in search.context["page"]} == {
        "Peeters",
        "Janssens",
        "Maes",
        "Claes",
    }
    assert client.get(reverse("web:run", args=[school.run.pk])).status_code == 200
    audit = client.get(reverse("web:audit")).context["page"]
    assert pupil(school, "Maes").sourced_id in {e.entity_sourced_id for e in audit}


@pytest.mark.parametrize(
    ("role", "sees_care_record"),
    [
        (Assignment.Role.DIRECTOR, False),
        (Assignment.Role.ICT_COORDINATOR, False),
        (Assignment.Role.SECRETARY, False),
        (Assignment.Role.CARE_TEAM, True),
    ],
)
def test_the_school_wide_roles_and_the_care_record(
    client, django_user_model, school_with_care, role, sees_care_record
):
    school = school_with_care
    logged_in(client, django_user_model, school, role)
    page = pupil_page(client, school, "Maes")  # 2B: the whole school, contacts included
    assert page.status_code == 200 and "moeder@example.be" in page.content.decode()
    assert ("extra tijd bij toetsen" in page.content.decode()) is sees_care_record
    audit = client.get(reverse("web:audit"))
    assert ("extra tijd bij toetsen" in audit.content.decode()) is sees_care_record
    csv = b"".join(client.get(reverse("web:audit_csv")).streaming_content).decode("utf-8-sig")
    assert ("extra tijd bij toetsen" in csv) is sees_care_record


@pytest.mark.parametrize("role", [Assignment.Role.ICT_COORDINATOR, Assignment.Role.SECRETARY])
def test_a_school_wide_role_who_also_teaches_sees_the_care_record_of_her_own_pupils_only(
    client, school_with_care, teacher_1a, role
):
    """An ICT coordinator (or the secretariat) who also teaches 1A sees the whole school, and
    the care record of 1A's pupils as their teacher: not that of Maes (2B) in the history."""
    school = school_with_care
    make_staff(school.institution, TEACHER, role)
    peeters = pupil(school, "Peeters")
    AuditEntry.objects.create(
        at=timezone.now(),
        actor="secretariaat",
        reason="synchronisatie",
        institution_number=school.institution.number,
        entity="pupil",
        entity_sourced_id=peeters.sourced_id,
        action=AuditEntry.Action.UPDATE,
        changes={"care_record": [{}, {"leesbril": "vooraan zetten"}]},
    )
    maes_page = pupil_page(client, school, "Maes")
    assert maes_page.status_code == 200  # the whole school ...
    assert "extra tijd bij toetsen" not in maes_page.content.decode()  # ... not its care
    audit = client.get(reverse("web:audit")).content.decode()
    csv = b"".join(client.get(reverse("web:audit_csv")).streaming_content).decode("utf-8-sig")
    for shown in (audit, csv):
        assert "extra tijd bij toetsen" not in shown  # Maes's
        assert "vooraan zetten" in shown  # Peeters's, her pupil


def test_a_teacher_of_a_subclass_sees_its_members_and_not_the_rest_of_the_class(
    client, school_with_care, django_user_model
):
    """A subclass's members are not enrolled in it: the teacher of "1A wiskunde" (Peeters
    only) sees Peeters, and Janssens of 1A is a 404 to her."""
    from schoolbrug.sharing.subclasses import create_subclass

    school = school_with_care
    peeters = pupil(school, "Peeters")
    subclass = create_subclass(school.classes["1A"], "1A wiskunde", [peeters.sourced_id], by="test")
    assignment = make_staff(school.institution, TEACHER, Assignment.Role.TEACHER)
    Teaching.objects.create(assignment=assignment, schoolclass=subclass)
    client.force_login(make_user(django_user_model, "juf", TEACHER))

    assert pupil_page(client, school, "Peeters").status_code == 200
    assert "dyslexie" in pupil_page(client, school, "Peeters").content.decode()  # her pupil
    assert pupil_page(client, school, "Janssens").status_code == 404
    search = client.get(reverse("web:pupil_search", args=[school.institution.number]))
    assert names(search.content.decode()) == {"Peeters"}
