"""Exercise results delivered as UWLR 2.2 to a real SOAP receiver on 127.0.0.1 that checks
every message against the standard's XSD (../shared/uwlr), fails a share of its calls with a
500, and sometimes accepts a message and then hangs past the client's time-out. Through the
Celery task and its retries: at the end every exercise result is there once, and no test
result ever was."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from schoolbrug.demo.monitoring_receiver import MonitoringReceiver
from schoolbrug.platform import delivery, uwlr
from schoolbrug.platform.models import MonitoringLink, ProductResult

pytestmark = pytest.mark.django_db
SCHEMAS = Path(__file__).resolve().parents[2] / ".." / "shared" / "uwlr" / "Schemas"


def Receiver(key: str) -> MonitoringReceiver:  # noqa: N802 - reads as the class it makes
    """A monitoring system (the demo's): call n fails when n % 3 == 1 (a 500) and hangs after
    storing when n % 4 == 2."""
    return MonitoringReceiver(
        SCHEMAS, key, fail_every=3, fail_at=1, hang_every=4, hang_at=2, hang_seconds=1.5
    )


@pytest.fixture
def receiver(settings):
    key = "sleutel-van-momento-123"
    receiver = Receiver(key)
    settings.SCHOOLBRUG_MONITORING_SYSTEMS = {"momento": {"label": "Momento", "url": receiver.url}}
    yield receiver
    receiver.close()


def _results(school, count: int) -> list[ProductResult]:
    product = school.catalogue.rekenen
    jan, mila, noah, _ = school.pupils
    rows = []
    for n in range(count):
        rows.append(
            ProductResult(
                institution=school.institution,
                pupil=(jan, mila, noah)[n % 3],
                product=product,
                kind=ProductResult.Kind.TEST if n % 5 == 0 else ProductResult.Kind.EXERCISE,
                code=f"REK-blok{n % 4}",
                score=n % 10,
                taken_on=datetime.date(2026, 11, 1 + n % 28),
            )
        )
    return ProductResult.objects.bulk_create(rows)


def test_a_message_validates_against_the_uwlr_xsd(platform_school):
    link = MonitoringLink(
        institution=platform_school.institution,
        system="momento",
        authorization_key="abc",
        consent_by="ict@regenboog.be",
        consent_at=timezone.now(),
    )
    results = [r for r in _results(platform_school, 6) if r.kind == "exercise"]
    body = uwlr.message(link, results)
    assert uwlr.validate(body, SCHEMAS) == []
    assert sorted(uwlr.keys(body)) == sorted(str(r.sourced_id) for r in results)
    test_result = ProductResult.objects.filter(kind="test").first()
    with pytest.raises(uwlr.NotAnExercise):
        uwlr.message(link, [test_result])
    broken = body.replace(b"<lr:score>", b"<lr:score>-")  # scores are not negative
    assert uwlr.validate(broken, SCHEMAS) != []


def test_failures_hangs_and_retries_lose_nothing_and_send_no_test_result(
    platform_school, receiver, monkeypatch
):
    monkeypatch.setattr(delivery, "BATCH", 7)
    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", 0.5)
    results = _results(platform_school, 40)
    link = MonitoringLink.objects.create(
        institution=platform_school.institution,
        system="momento",
        authorization_key=receiver.key,
        consent_by="ict@regenboog.be",
        consent_at=timezone.now(),
    )
    # The Celery task as a worker runs it, retries included (eager: retries run at once).
    outcome = delivery.deliver_results.apply(args=[link.pk])
    assert outcome.successful(), outcome.traceback
    exercise = {str(r.sourced_id) for r in results if r.kind == "exercise"}
    tests = {str(r.sourced_id) for r in results if r.kind == "test"}
    assert receiver.invalid == []
    assert set(receiver.stored) == exercise  # every exercise result, no test result
    assert not tests & set(receiver.stored)
    assert not ProductResult.objects.filter(kind="exercise", delivered_at__isnull=True).exists()
    assert not ProductResult.objects.filter(kind="test", delivered_at__isnull=False).exists()
    # Failures happened and were retried: some results needed more than one attempt, and a
    # hang made the receiver get some keys twice, which it stores once.
    assert ProductResult.objects.filter(attempts__gt=1).exists()
    assert max(receiver.stored.values()) >= 2
    assert next(receiver.calls) > 6


def test_an_inactive_link_sends_nothing(platform_school, receiver):
    _results(platform_school, 5)
    link = MonitoringLink.objects.create(
        institution=platform_school.institution,
        system="momento",
        authorization_key=receiver.key,
        consent_by="ict@regenboog.be",
        consent_at=timezone.now(),
        active=False,
    )
    assert delivery.deliver_results.apply(args=[link.pk]).get() == 0
    assert receiver.stored == {}


def test_koppeling_toevoegen_needs_system_key_and_consent(
    client, platform_school, people, receiver
):
    from django.urls import reverse

    from schoolbrug.audit.models import AuditEntry

    url = reverse("platform:monitoring", args=["012345"])
    client.force_login(people.teacher)
    assert client.get(url).status_code == 403
    client.force_login(people.ict)
    page = client.get(url).content.decode()
    assert "Koppeling toevoegen" in page and "Momento" in page
    refused = client.post(url, {"systeem": "momento", "sleutel": receiver.key})
    assert refused.status_code == 400
    assert "uitdrukkelijke toestemming" in refused.content.decode()
    assert (
        client.post(url, {"systeem": "momento", "sleutel": "", "toestemming": "ja"}).status_code
        == 400
    )
    assert not MonitoringLink.objects.exists()
    client.post(url, {"systeem": "momento", "sleutel": receiver.key, "toestemming": "ja"})
    link = MonitoringLink.objects.get()
    assert (link.authorization_key, link.consent_by) == (receiver.key, "ict@regenboog.be")
    entry = AuditEntry.objects.get(entity="monitoring_link")
    assert receiver.key not in str(entry.changes) and entry.actor == "ict@regenboog.be"

    _results(platform_school, 10)
    from django.core.management import call_command

    for _ in range(6):  # the cron job, until the flaky receiver took everything
        call_command("platform", "results", "deliver")
    status = client.get(url).content.decode()
    assert "Status van de koppeling" in status and "actief" in status
    assert ProductResult.objects.filter(kind="exercise", delivered_at__isnull=False).count() == 8
