"""`schoolbrug demo` includes a LOP of the region's schools with an offer, an expert and a
school admin login, printed at the end; a second start makes nothing twice."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.utils import timezone

from schoolbrug.enrolment.models import NEWCOMERS_CODE, Lop, Offer
from schoolbrug.registry.models import Institution
from schoolbrug.roles import permissions
from schoolbrug.sync.models import SyncRun
from tests.demo.test_demo import run_demo, var_dir  # noqa: F401 - autouse fixture
from tests.web.conftest import (
    fast_password_hasher,  # noqa: F401 - autouse, as under tests/web
    make_school,
)

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_lop_with_offers_an_expert_and_a_school_admin(monkeypatch, client):
    make_school("012345")
    secondary = make_school("054321", "Sint-Jozefscollege").institution
    secondary.level = Institution.Level.SECONDARY
    secondary.save()
    SyncRun.objects.create(
        started_at=timezone.now(),
        started_by="demo",
        source="wisa",
        institution_number="012345",
        status=SyncRun.Status.APPLIED,
    )
    monkeypatch.setattr(
        "schoolbrug.demo.management.commands.demo.Command._build_region", lambda *a: None
    )
    run_demo()
    offers = Offer.objects.count()
    out = run_demo()
    assert "Ook: lop / demo (LOP-deskundige van LOP Demo, /aanmelden/demo/beheer/)" in out
    assert "Ook: schoolbeheerder / demo (schoolbeheerder van " in out
    lop = Lop.objects.get(slug="demo")
    assert Offer.objects.count() == offers > 0
    assert sorted(lop.schools.values_list("school_type", flat=True)) == ["bao", "so"]
    assert Offer.objects.filter(group__code=NEWCOMERS_CODE).exists()  # AN at the first BaO

    expert = authenticate(username="lop", password="demo")
    assert permissions.is_lop_expert(expert, lop)
    admin = authenticate(username="schoolbeheerder", password="demo")
    for school in lop.schools.all():
        assert permissions.may_edit_lop_school(admin, school)
        assert not permissions.is_lop_expert(admin, lop)
    assert client.get("/aanmelden/demo/").status_code == 200
    client.force_login(expert)
    assert client.get("/aanmelden/demo/beheer/").status_code == 200
