"""A teacher's start page lists the class-number changes of their pupils since the previous
visit (pupils log in with them), and nothing of other classes; an admin who looks as the
teacher moves no mark."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.roles.models import StartPageVisit
from tests.web.conftest import NATIONAL_NUMBERS

TITLE = "Nieuwe klasnummers in je klassen"


def number_changed(school, pupil, old, new, days_ago=0):
    AuditEntry.objects.create(
        at=timezone.now() - datetime.timedelta(days=days_ago),
        actor="scheduler",
        reason="synchronisatie",
        institution_number=school.institution.number,
        entity="pupil",
        entity_sourced_id=pupil.sourced_id,
        action=AuditEntry.Action.UPDATE,
        changes={"class_number": [old, new], "national_number": [None, pupil.national_number]},
    )


def rows(page: str) -> str:
    return page.split(TITLE, 1)[1].split("</section>", 1)[0]


def test_the_teacher_sees_the_new_class_numbers_of_their_pupils_only(client, board_schools):
    school = board_schools.regenboog
    jan, mila, noah = school.pupils[:3]  # Jan and Mila are in 1A, Noah in 2B
    # The school's first sync (its class numbers) was long ago.
    AuditEntry.objects.update(at=timezone.now() - datetime.timedelta(days=90))
    number_changed(school, jan, 1, 11)
    number_changed(school, noah, None, 4)
    number_changed(school, mila, 2, 12, days_ago=60)  # before the first visit's window
    client.force_login(board_schools.teacher)
    page = client.get(reverse("web:home")).content.decode()
    shown = rows(page)
    assert "Jan Peeters" in shown and "11" in shown
    assert "Noah" not in shown  # 2B is not theirs
    assert "Mila" not in shown
    assert not any(nn in page for nn in NATIONAL_NUMBERS)
    # Reloading in the same session shows the same list; the next log-in only what is new.
    assert "Jan Peeters" in rows(client.get(reverse("web:home")).content.decode())
    client.logout()
    client.force_login(board_schools.teacher)
    again = rows(client.get(reverse("web:home")).content.decode())
    assert "Jan Peeters" not in again
    assert "Geen nieuwe klasnummers sinds je vorige bezoek." in again


def test_whoever_teaches_no_class_gets_no_such_list(client, board_schools):
    client.force_login(board_schools.board_admin)
    assert TITLE not in client.get(reverse("web:home")).content.decode()


def test_an_admin_looking_as_the_teacher_moves_no_mark(client, board_schools):
    school = board_schools.regenboog
    AuditEntry.objects.update(at=timezone.now() - datetime.timedelta(days=90))
    number_changed(school, school.pupils[0], 1, 11)
    client.force_login(board_schools.site_admin)
    client.post(reverse("roles:view_as_start", args=[board_schools.teacher.pk]))
    assert "Jan Peeters" in rows(client.get(reverse("web:home")).content.decode())
    assert not StartPageVisit.objects.filter(user=board_schools.teacher).exists()
    client.post(reverse("roles:view_as_stop"))
    # The teacher still gets the change on their own first visit.
    client.force_login(board_schools.teacher)
    assert "Jan Peeters" in rows(client.get(reverse("web:home")).content.decode())
    assert StartPageVisit.objects.filter(user=board_schools.teacher).exists()
