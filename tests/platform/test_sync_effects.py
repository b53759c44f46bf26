"""The sync keeps licences right: a pupil who leaves frees their seat, a pupil moved to
another class has that class's group licences after the same run."""

from __future__ import annotations

import pytest

from schoolbrug.audit.context import acting
from schoolbrug.audit.models import AuditEntry
from schoolbrug.platform import licences
from schoolbrug.platform.models import Licence, LicenceSeat, Product
from schoolbrug.registry.models import Institution, Pupil, SchoolClass
from schoolbrug.sync.service import sync_snapshot
from tests.factories import pupil, snapshot

pytestmark = pytest.mark.django_db

SCHOOL = "012345"


def _pupils(moved: bool = False, without: tuple[int, ...] = ()):
    rows = [
        pupil(1, "1A", 1, given_name="Anna"),
        pupil(2, "1B" if moved else "1A", 2 if not moved else 9, given_name="Bram"),
        pupil(3, "1B", 3, given_name="Cas"),
        pupil(4, "1B", 4, given_name="Dani"),
    ]
    return [p for n, p in enumerate(rows, start=1) if n not in without]


def _sync(pupils):
    return sync_snapshot(
        snapshot(pupils, institution=SCHOOL), started_by="nachtelijke sync", force=True
    )


def _by_name(name: str) -> Pupil:
    return Pupil.objects.get(given_name=name)


def test_a_leaver_frees_the_seat_and_a_moved_pupil_has_the_new_class_licences():
    _sync(_pupils())
    institution = Institution.objects.get(number=SCHOOL)
    product_a = Product.objects.create(code="A", name="Rekenrijk")
    product_b = Product.objects.create(code="B", name="Taalrijk")
    group_1b = Licence.objects.create(
        institution=institution, product=product_a, kind="group", seats=10
    )
    child = Licence.objects.create(
        institution=institution, product=product_b, kind="child", seats=2
    )
    with acting("ict@regenboog.be", "licenties"):
        licences.link_class(group_1b, SchoolClass.objects.get(institution=institution, code="1B"))
        licences.link_pupils(child, [_by_name("Anna"), _by_name("Cas")])
    assert licences.available_seats(child) == 0
    assert licences.licensed_products(_by_name("Bram")) == []

    # The night's sync: Cas left the school, Bram moved from 1A to 1B.
    report = _sync(_pupils(moved=True, without=(3,)))
    assert report.applied

    assert _by_name("Cas").is_leaver
    assert list(LicenceSeat.objects.values_list("pupil__given_name", flat=True)) == ["Anna"]
    assert licences.available_seats(child) == 1
    assert [p.code for p in licences.licensed_products(_by_name("Bram"))] == ["A"]
    assert licences.licensed_products(_by_name("Cas")) == []
    freed = AuditEntry.objects.get(
        entity="pupil", entity_sourced_id=_by_name("Cas").sourced_id, action="revoke"
    )
    assert freed.actor == "nachtelijke sync"
    assert freed.reason.startswith("synchronisatie ")
    assert freed.changes == {"licentie": ["Taalrijk", None]}


def test_a_dry_run_frees_nothing():
    _sync(_pupils())
    institution = Institution.objects.get(number=SCHOOL)
    product = Product.objects.create(code="B", name="Taalrijk")
    child = Licence.objects.create(institution=institution, product=product, kind="child", seats=2)
    licences.link_pupils(child, [_by_name("Cas")])
    sync_snapshot(snapshot(_pupils(without=(3,)), institution=SCHOOL), dry_run=True, force=True)
    assert LicenceSeat.objects.filter(pupil=_by_name("Cas")).exists()


def test_a_class_number_change_shows_the_teacher_who_logs_in_differently(client, django_user_model):
    from django.urls import reverse

    from schoolbrug.platform import pupil_login
    from schoolbrug.registry.models import Assignment, Teaching
    from tests.web.conftest import make_staff, make_user

    _sync(_pupils())
    institution = Institution.objects.get(number=SCHOOL)
    class_1a = SchoolClass.objects.get(institution=institution, code="1A")
    pupil_login.set_method(class_1a, "pin")
    teacher = make_staff(institution, "juf@school.test", Assignment.Role.TEACHER)
    Teaching.objects.create(assignment=teacher, schoolclass=class_1a)
    client.force_login(make_user(django_user_model, "juf", "juf@school.test"))
    url = reverse("platform:class_logins", args=[SCHOOL, class_1a.sourced_id])
    assert "loggen anders in" not in client.get(url).content.decode()

    renumbered = _pupils()
    renumbered[0] = pupil(1, "1A", 5, given_name="Anna")
    _sync(renumbered)
    page = client.get(url).content.decode()
    assert "loggen anders in" in page
    assert "Anna Peeters: 1 → 5" in page
    assert "Bram Peeters:" not in page


def test_a_new_pupil_in_a_login_class_can_log_in_the_next_morning():
    from schoolbrug.platform import pupil_login
    from schoolbrug.platform.models import PupilLogin

    _sync(_pupils(without=(4,)))
    institution = Institution.objects.get(number=SCHOOL)
    pupil_login.set_method(SchoolClass.objects.get(institution=institution, code="1B"), "pin")
    assert PupilLogin.objects.count() == 1  # Cas, in 1B
    _sync(_pupils())  # Dani arrives in 1B
    dani = PupilLogin.objects.get(pupil=_by_name("Dani"))
    assert pupil_login.valid_pin(dani.pin)
    assert not PupilLogin.objects.filter(pupil=_by_name("Anna")).exists()  # 1A: no method
    entry = AuditEntry.objects.get(entity_sourced_id=_by_name("Dani").sourced_id, action="update")
    assert entry.changes["pin"] == [None, "gewijzigd"] and entry.actor == "nachtelijke sync"
