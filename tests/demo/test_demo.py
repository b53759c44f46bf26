"""`schoolbrug demo`: data, a login and the address, and never a demo login in real data."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Institution, Teaching
from schoolbrug.roles.models import RoleGrant
from schoolbrug.roles.permissions import institutions_for, taught_classes
from schoolbrug.sharing import consent
from schoolbrug.sharing.models import AppGrant
from schoolbrug.sync.models import SyncRun
from tests.web.conftest import (
    fast_password_hasher,  # noqa: F401 - autouse, as under tests/web
    make_school,
)

pytestmark = pytest.mark.django_db


def run_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", "--no-serve", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def test_demo_reuses_a_database_that_holds_demo_data(monkeypatch):
    SyncRun.objects.create(
        started_at=timezone.now(),
        started_by="demo",
        source="wisa",
        institution_number="012345",
        status=SyncRun.Status.APPLIED,
    )
    monkeypatch.setattr(
        "schoolbrug.demo.management.commands.demo.Command._build_region",
        lambda *a: pytest.fail("the demo data must be reused, not made again"),
    )
    out = run_demo("--port", "8123")
    assert "hergebruikt" in out
    assert "http://127.0.0.1:8123/" in out
    assert "Gebruikersnaam: demo" in out and "Wachtwoord:     demo" in out
    assert "alleen voor de demo" in out
    assert authenticate(username="demo", password="demo") is not None


def test_demo_refuses_a_database_with_real_data():
    make_school()
    with pytest.raises(CommandError, match="niet van de demo"):
        run_demo()
    assert not authenticate(username="demo", password="demo")


def test_demo_makes_a_synced_region_with_a_login(var_dir):
    out = run_demo("--pupils", "120")
    assert (var_dir / "demo" / "nacht-1" / "instellingen.csv").exists()
    assert (var_dir / "demo" / "nacht-2" / "instellingen.csv").exists()
    runs = SyncRun.objects.filter(started_by="demo")
    # Two nights: every Flemish institution synced twice, the second night with changes; and
    # one Dutch school from its EDEXML file.
    flemish = Institution.objects.filter(country=Institution.Country.BELGIUM).count()
    assert runs.count() == 2 * flemish + 1 and flemish > 0
    assert Institution.objects.filter(country=Institution.Country.NETHERLANDS).count() == 1
    assert all(run.status == SyncRun.Status.APPLIED for run in runs)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.MOVE).exists()
    assert "Synchronisatie, nacht 2" in out and "http://127.0.0.1:8000/" in out
    assert authenticate(username="demo", password="demo") is not None


def test_the_demo_login_is_data_manager_of_the_first_school(monkeypatch):
    make_school("012345")
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
    run_demo()  # twice: still one assignment
    from schoolbrug.sharing.consent import is_data_manager

    assert is_data_manager("demo@schoolbrug.invalid", Institution.objects.get(number="012345"))
    directors = Institution.objects.get(number="012345").assignments.filter(role="director")
    assert directors.count() == 1


def test_the_demo_shows_sharing_apps_a_board_admin_and_a_teacher(monkeypatch):
    """Out of the box: sharing on, two apps granted, and logins for a board admin and a
    teacher, so none of it needs the CLI first; a second start makes nothing twice."""
    first = make_school("012345").institution
    make_school("054321", "Vrije Basisschool Sint-Jozef")
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
    out = run_demo()
    assert "Ook: bestuur / demo" in out and "Ook: leerkracht / demo" in out
    assert consent.active_sharing(first).activated_by == "demo@schoolbrug.invalid"
    grants = AppGrant.objects.filter(institution=first).order_by("app__name")
    assert [(g.app.name, g.all_classes) for g in grants] == [
        ("Demo Leerplatform", True),
        ("Demo Rekenoefeningen", False),
    ]
    assert [c.code for c in grants[1].classes.all()] == ["1A"]

    board_admin = authenticate(username="bestuur", password="demo")
    assert set(institutions_for(board_admin).values_list("number", flat=True)) == {
        "012345",
        "054321",
    }
    assert RoleGrant.objects.get(user=board_admin).ends_at is not None
    teacher = authenticate(username="leerkracht", password="demo")
    assert list(taught_classes(teacher).values_list("code", flat=True)) == ["1A"]
    assert Teaching.objects.count() == 1


def test_the_demo_has_the_learning_platform(monkeypatch, client):
    """Products, a group and a child licence, a PIN class and a picture class, an ICT
    coordinator and the teacher of the PIN class; a second start makes nothing twice."""
    from schoolbrug.platform.models import ClassLogin, Licence, Product, PupilLogin
    from schoolbrug.roles.permissions import may_administer_platform, may_manage_class_logins

    first = make_school("012345").institution
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
    out = run_demo()
    assert "Ook: ict / demo (ict-coördinator" in out
    assert Product.objects.count() == 3
    assert sorted(Licence.objects.values_list("kind", flat=True)) == ["child", "group"]
    methods = dict(ClassLogin.objects.values_list("school_class__code", "method"))
    assert methods == {"1A": "pin", "2B": "pictures"}
    assert PupilLogin.objects.count() == 3
    from schoolbrug.platform.models import MonitoringLink, ProductResult

    assert MonitoringLink.objects.get().consent_by == "ict@schoolbrug.invalid"
    assert ProductResult.objects.filter(kind="test").count() == 2  # two pupils in 1A
    ict = authenticate(username="ict", password="demo")
    assert may_administer_platform(ict, first)
    teacher = authenticate(username="leerkracht", password="demo")
    assert may_manage_class_logins(teacher, first.classes.get(code="1A"))
    client.force_login(ict)
    assert (
        client.get(f"/instellingen/{first.number}/leerplatform/licenties/groep/").status_code == 200
    )
