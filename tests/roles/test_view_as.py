"""Switch view: a site admin (and a board admin within the board) sees the portal as another
person, read-only, with a banner and a way back; both switches are in the change log, and
whatever the log records meanwhile names "admin als persoon"."""

from __future__ import annotations

from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from schoolbrug.audit.middleware import request_actor
from schoolbrug.audit.models import AuditEntry
from schoolbrug.roles import view_as
from schoolbrug.roles.models import RoleGrant
from tests.web.conftest import make_staff, make_user

START = "roles:view_as_start"


def look_as(client, admin, person):
    client.force_login(admin)
    return client.post(reverse(START, args=[person.pk]))


def test_a_site_admin_sees_what_the_teacher_sees_and_comes_back(client, board_schools):
    teacher, admin = board_schools.teacher, board_schools.site_admin
    assert look_as(client, admin, teacher).status_code == 302
    home = client.get(reverse("web:home")).content.decode()
    assert "Je bekijkt Schoolbrug als" in home and "Julie Eenaa" in home
    assert "Vrije Basisschool Sint-Jozef" not in home  # the teacher's view, not the admin's
    two_b = board_schools.regenboog.classes["2B"]
    assert client.get(reverse("web:class", args=[two_b.sourced_id])).status_code == 404
    other = board_schools.other.institution.number
    assert client.get(reverse("web:institution", args=[other])).status_code == 404

    client.post(reverse("roles:view_as_stop"))
    home = client.get(reverse("web:home")).content.decode()
    assert "Je bekijkt Schoolbrug als" not in home
    assert "Vrije Basisschool Sint-Jozef" in home
    entries = AuditEntry.objects.filter(entity="user", action__startswith="view").order_by("id")
    assert [(e.action, e.actor) for e in entries] == [
        ("view_as", "beheer@schoolbrug.test"),
        ("view_end", "beheer@schoolbrug.test"),
    ]
    assert entries[0].changes == {"bekeken_als": [None, "juf.1a@regenboog.be"]}


def test_nothing_can_be_changed_while_looking_as_someone(client, board_schools, django_user_model):
    director_email = "directie@regenboog.be"
    make_staff(board_schools.regenboog.institution, director_email, "director")
    director = make_user(django_user_model, "directie", director_email)
    look_as(client, board_schools.site_admin, director)
    number = board_schools.regenboog.institution.number
    before = AuditEntry.objects.count()
    answer = client.post(reverse("web:sharing_activate", args=[number]), {"version": "1"})
    assert answer.status_code == 403
    assert "Je kijkt mee: wijzigen kan niet" in answer.content.decode()
    answer = client.post(reverse("password_change"), {"old_password": "x"})
    assert answer.status_code == 403
    assert AuditEntry.objects.count() == before
    # Logging out still works, and ends the switch with the session.
    assert client.post(reverse("logout")).status_code == 302


def test_the_log_names_the_admin_as_the_person(board_schools):
    request = RequestFactory().get("/")
    request.user = board_schools.teacher
    assert request_actor(request) == "juf.1a@regenboog.be"
    request.real_user = board_schools.site_admin
    assert request_actor(request) == "beheer@schoolbrug.test als juf.1a@regenboog.be"


def test_a_board_admin_looks_only_as_people_of_the_board(client, board_schools, django_user_model):
    outsider_email = "juf@sintjozef.be"
    make_staff(board_schools.other.institution, outsider_email)
    outsider = make_user(django_user_model, "juf-sj", outsider_email)
    admin = board_schools.board_admin
    assert look_as(client, admin, outsider).status_code == 404
    assert look_as(client, admin, board_schools.site_admin).status_code == 404
    assert look_as(client, admin, board_schools.teacher).status_code == 302
    # Someone who also works outside the board is out of reach: the admin would see more.
    make_staff(board_schools.other.institution, "juf.1a@regenboog.be")
    assert not view_as.may_view_as(admin, board_schools.teacher)


def test_the_switch_ends_when_the_admins_grant_ends(client, board_schools):
    look_as(client, board_schools.board_admin, board_schools.teacher)
    assert "Je bekijkt Schoolbrug als" in client.get(reverse("web:home")).content.decode()
    RoleGrant.objects.filter(user=board_schools.board_admin).update(ends_at=timezone.now())
    home = client.get(reverse("web:home")).content.decode()
    assert "Je bekijkt Schoolbrug als" not in home
    assert "Julie Eenaa" not in home


def test_a_teacher_cannot_look_as_anyone(client, board_schools):
    assert look_as(client, board_schools.teacher, board_schools.board_admin).status_code == 404
    assert client.get(reverse("web:home")).content.decode().count("Je bekijkt") == 0


def test_a_board_admin_finds_a_person_whatever_the_case_of_the_address(board_schools):
    """The staff upload and the account may write the address differently (permissions
    compare case-insensitively, so must the reach)."""
    teacher = board_schools.teacher
    teacher.email = "Juf.1A@Regenboog.BE"
    teacher.save()
    assert view_as.may_view_as(board_schools.board_admin, teacher)


def test_a_granted_site_admin_cannot_look_as_a_superuser(client, board_schools, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@schoolbrug.test", None)
    look_as(client, board_schools.site_admin, root)
    assert client.get("/admin/").status_code != 200
    assert "Je bekijkt Schoolbrug als" not in client.get(reverse("web:home")).content.decode()
    assert not view_as.may_view_as(board_schools.site_admin, root)
