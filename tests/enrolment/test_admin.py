"""A site admin makes a LOP with a school and an expert in the Django admin; audited."""

from __future__ import annotations

from schoolbrug.audit.models import AuditEntry
from schoolbrug.enrolment.models import Lop
from schoolbrug.registry.models import Institution
from schoolbrug.roles import permissions


def test_a_site_admin_makes_a_lop_with_a_school_and_an_expert(client, lop_world):
    superuser = lop_world.site_admin
    superuser.is_staff = superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)
    institution = Institution.objects.create(number="200001", name="Nieuwe school")
    response = client.post(
        "/admin/enrolment/lop/add/",
        {
            "name": "LOP Zuid",
            "slug": "zuid",
            "region": "Zuid",
            "current_year_start": "2026",
            "schools-TOTAL_FORMS": "1",
            "schools-INITIAL_FORMS": "0",
            "schools-0-institution": str(institution.pk),
            "schools-0-school_type": "bao",
            "grants-TOTAL_FORMS": "1",
            "grants-INITIAL_FORMS": "0",
            "grants-0-user": str(lop_world.outsider.pk),
            "grants-0-role": "lop_expert",
            "grants-0-starts_at_0": "2026-01-01",
            "grants-0-starts_at_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    lop = Lop.objects.get(slug="zuid")
    assert lop.schools.get().institution == institution
    assert permissions.is_lop_expert(lop_world.outsider, lop)
    assert not permissions.is_lop_expert(lop_world.outsider, lop_world.lop)
    assert AuditEntry.objects.filter(entity="lop", actor="sitebeheerder@lop.example").exists()
