"""A site admin grants and ends board admin and site admin roles in the portal; both are in
the change log with the site admin as actor. Nobody else reaches these pages (404)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from schoolbrug.audit.changes import audit_id
from schoolbrug.audit.models import AuditEntry
from schoolbrug.roles.models import RoleGrant
from schoolbrug.roles.permissions import institutions_for, is_board_admin
from tests.web.conftest import make_user


@pytest.mark.parametrize("who", ["teacher", "board_admin"])
def test_only_a_site_admin_reaches_the_grants_page(client, board_schools, who):
    client.force_login(getattr(board_schools, who))
    assert client.get(reverse("roles:grants")).status_code == 404
    answer = client.post(
        reverse("roles:grants"), {"email": "juf.1a@regenboog.be", "role": "site_admin"}
    )
    assert answer.status_code == 404
    assert not RoleGrant.objects.filter(user=board_schools.teacher).exists()


def test_a_site_admin_grants_a_board_admin_role_and_ends_it(client, board_schools):
    teacher = board_schools.teacher
    client.force_login(board_schools.site_admin)
    answer = client.post(
        reverse("roles:grants"),
        {"email": "JUF.1A@regenboog.be", "role": "board_admin", "board": board_schools.board.pk},
    )
    assert answer.status_code == 302
    grant = RoleGrant.objects.get(user=teacher)
    assert grant.granted_by == board_schools.site_admin
    assert grant.ends_at is not None  # every grant ends: a year by default
    assert is_board_admin(teacher)
    assert set(institutions_for(teacher).values_list("number", flat=True)) == {"012345"}
    entry = AuditEntry.objects.get(
        entity="role", action="create", entity_sourced_id__in=[audit_id(grant)]
    )
    assert entry.actor == "beheer@schoolbrug.test"
    assert entry.changes["role"] == [None, "board_admin"]

    page = client.get(reverse("roles:grants"))
    assert "juf.1a@regenboog.be" in page.content.decode()
    client.post(reverse("roles:grant_end", args=[grant.pk]))
    assert not is_board_admin(teacher)
    (ended,) = AuditEntry.objects.filter(entity_sourced_id=audit_id(grant), action="update")
    assert ended.actor == "beheer@schoolbrug.test"
    assert "ends_at" in ended.changes


def test_a_board_admin_role_needs_a_board_and_an_account(client, board_schools):
    client.force_login(board_schools.site_admin)
    answer = client.post(
        reverse("roles:grants"), {"email": "juf.1a@regenboog.be", "role": "board_admin"}
    )
    assert answer.status_code == 400
    assert "Kies het schoolbestuur" in answer.content.decode()
    answer = client.post(
        reverse("roles:grants"), {"email": "niemand@elders.test", "role": "site_admin"}
    )
    assert answer.status_code == 400
    assert "geen actief account" in answer.content.decode()
    assert not RoleGrant.objects.filter(user=board_schools.teacher).exists()


def test_the_people_page_lists_whom_a_board_admin_may_look_as(
    client, board_schools, django_user_model
):
    make_user(django_user_model, "elders", "iemand@elders.test")
    client.force_login(board_schools.board_admin)
    page = client.get(reverse("roles:people")).content.decode()
    assert "juf.1a@regenboog.be" in page
    assert "iemand@elders.test" not in page
    assert "beheer@schoolbrug.test" not in page
    client.force_login(board_schools.teacher)
    assert client.get(reverse("roles:people")).status_code == 404
