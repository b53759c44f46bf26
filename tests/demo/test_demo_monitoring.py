"""`schoolbrug demo` delivers: its own pupil-monitoring system (a SOAP receiver on 127.0.0.1
that checks every message against the UWLR XSDs) receives the platform's exercise results
through the real delivery task, each once and no test result; the ICT coordinator's status
page says so. A second start finds it all again and sends nothing twice."""

from __future__ import annotations

import io

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from schoolbrug.demo import monitoring_receiver, platform_demo
from schoolbrug.platform.models import MonitoringLink, ProductResult
from schoolbrug.sync.models import SyncRun
from tests.web.conftest import (
    fast_password_hasher,  # noqa: F401 - autouse, as under tests/web
    make_school,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def receivers(monkeypatch, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    started = []

    class Recorded(monitoring_receiver.MonitoringReceiver):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(platform_demo, "MonitoringReceiver", Recorded)
    monkeypatch.setattr(
        "schoolbrug.demo.management.commands.demo.Command._build_region", lambda *a: None
    )
    make_school("012345")
    SyncRun.objects.create(
        started_at=timezone.now(),
        started_by="demo",
        source="wisa",
        institution_number="012345",
        status=SyncRun.Status.APPLIED,
    )
    return started


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    return out.getvalue()


def test_the_demo_delivers_exercise_results_once_and_no_test_result(receivers, client):
    systems_before = django_settings.SCHOOLBRUG_MONITORING_SYSTEMS
    out = run_demo()
    exercise = {
        str(k)
        for k in ProductResult.objects.filter(kind="exercise").values_list("sourced_id", flat=True)
    }
    tests = {
        str(k)
        for k in ProductResult.objects.filter(kind="test").values_list("sourced_id", flat=True)
    }
    assert len(exercise) == 4 and len(tests) == 2  # two pupils in 1A, as test_demo says
    (receiver,) = receivers
    assert receiver.invalid == []  # every message valid against the XSDs, with the key
    assert receiver.stored == {key: 1 for key in exercise}  # each once, no test result
    assert f"{receiver.url}: 4 oefenresultaten geleverd" in out
    assert not ProductResult.objects.filter(kind="exercise", delivered_at__isnull=True).exists()
    assert not ProductResult.objects.filter(kind="test", delivered_at__isnull=False).exists()
    # The demo's address does not outlive the demo.
    assert systems_before == django_settings.SCHOOLBRUG_MONITORING_SYSTEMS

    # A second start: everything found again, nothing sent twice.
    out = run_demo()
    assert MonitoringLink.objects.count() == 1 and ProductResult.objects.count() == 6
    assert receivers[1].stored == {} and receivers[1].invalid == []
    assert "0 oefenresultaten geleverd" in out

    client.force_login(authenticate(username="ict", password="demo"))
    page = client.get("/instellingen/012345/leerplatform/resultaten/").content.decode()
    assert "Status van de koppeling" in page and "actief" in page
    delivered = ProductResult.objects.filter(kind="exercise").order_by("-delivered_at").first()
    last = timezone.localtime(delivered.delivered_at).strftime("%d/%m/%Y %H:%M")
    assert f"<dt>Laatste levering</dt><dd>{last}</dd>" in page
    assert "<dt>Verstuurde oefenresultaten</dt><dd>4</dd>" in page
    assert "<dt>Wachtend</dt><dd>0" in page
    assert "<dt>Toetsresultaten (niet verstuurd)</dt><dd>2</dd>" in page


def test_on_a_machine_without_the_schemas_the_demo_still_delivers(receivers, settings, tmp_path):
    """A fresh clone has no ../shared: the demo's system then checks the envelope only."""
    settings.SCHOOLBRUG_UWLR_SCHEMAS = tmp_path / "nergens"
    out = run_demo()
    (receiver,) = receivers
    assert receiver.schemas is None and receiver.invalid == []
    assert "controleert alleen de opbouw" in out and "4 oefenresultaten geleverd" in out
    assert sorted(receiver.stored.values()) == [1, 1, 1, 1]
    assert not ProductResult.objects.filter(kind="exercise", delivered_at__isnull=True).exists()
    assert not ProductResult.objects.filter(kind="test", delivered_at__isnull=False).exists()
