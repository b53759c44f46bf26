"""Delivering exercise results to the pupil-monitoring system, as a Celery task with retries.

Nothing is lost: a result counts as delivered only when the receiver confirmed the message
that held it (`leerresultaten_bevestiging`); until then every attempt sends it again. No
duplicate: each result carries its own key, so a receiver that accepted a message but did not
answer in time (a hang, a cut connection) receives the same keys again, which UWLR receivers
store once. Test results are never selected. Each failure is counted on the results it held,
with the reason (no key, no result values), for the status page.
"""

from __future__ import annotations

import logging

import urllib3
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from schoolbrug.celery import app

from . import uwlr
from .models import MonitoringLink, ProductResult

log = logging.getLogger("schoolbrug.platform.delivery")
BATCH = 500
TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    """The receiver did not confirm; the task tries again later."""


def system_url(system: str) -> str:
    return settings.SCHOOLBRUG_MONITORING_SYSTEMS[system]["url"]


def pending(link: MonitoringLink):
    return (
        ProductResult.objects.filter(
            institution=link.institution_id,
            kind=ProductResult.Kind.EXERCISE,
            delivered_at__isnull=True,
            deleted_at__isnull=True,  # deleted through the gradebook API: withdrawn
        )
        .select_related("pupil", "product")
        .order_by("pk")
    )


def deliver_pending(link: MonitoringLink, timeout: float | None = None) -> int:
    """Send the link's undelivered exercise results in batches; returns how many were
    confirmed. Raises DeliveryFailed at the first batch the receiver does not confirm."""
    if not link.active:
        return 0
    delivered = 0
    timeout = timeout or TIMEOUT_SECONDS
    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=timeout))
    while batch := list(pending(link)[:BATCH]):
        body = uwlr.message(link, batch)
        ids = [r.pk for r in batch]
        try:
            answer = http.request(
                "POST",
                system_url(link.system),
                body=body,
                headers={
                    "Content-Type": "text/xml; charset=utf-8",
                    "SOAPAction": uwlr.SOAP_ACTION,
                },
            )
            confirmed = answer.status == 200 and uwlr.is_confirmation(answer.data)
            reason = "" if confirmed else f"HTTP {answer.status}"
        except urllib3.exceptions.HTTPError as error:
            confirmed, reason = False, type(error).__name__
        if not confirmed:
            ProductResult.objects.filter(pk__in=ids).update(
                attempts=F("attempts") + 1, last_error=reason[:300]
            )
            log.warning("uwlr delivery for institution %s failed: %s", link.institution_id, reason)
            raise DeliveryFailed(reason)
        ProductResult.objects.filter(pk__in=ids).update(
            delivered_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
        )
        delivered += len(ids)
    return delivered


@app.task(
    name="schoolbrug.platform.deliver_results",
    autoretry_for=(DeliveryFailed,),
    retry_backoff=5,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=12,
)
def deliver_results(link_id: int) -> int:
    """The Celery task: one link's pending results, retried with back-off when it fails."""
    link = MonitoringLink.objects.select_related("institution").filter(pk=link_id).first()
    return deliver_pending(link) if link is not None else 0
