"""The pupil page shows the pupil's structured payment reference as on a transfer form, and
any former one that still matches, to the staff who may see the pupil (and to no one else)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from schoolbrug.audit.context import acting
from schoolbrug.registry import payment_references
from schoolbrug.registry.models import PaymentReferenceAlias, Pupil

from .conftest import make_user

pytestmark = pytest.mark.django_db


def test_the_pupil_page_shows_the_reference_and_the_former_ones(client, school, secretary):
    jan = school.pupils[0]
    old = payment_references.issue_one()
    with acting("cli", "samenvoeging"):
        PaymentReferenceAlias.objects.create(
            pupil=jan, structured_reference=old, reason="samenvoeging"
        )
    client.force_login(secretary)

    html = client.get(reverse("web:pupil", args=[jan.sourced_id])).content.decode()

    assert "Gestructureerde mededeling" in html
    assert payment_references.formatted(jan.structured_reference) in html
    assert "Vroegere mededelingen (blijven geldig)" in html
    assert payment_references.formatted(old) in html


def test_the_history_shows_an_issued_reference_as_written_on_a_transfer(client, school, secretary):
    jan = school.pupils[0]
    Pupil.objects.filter(pk=jan.pk).update(structured_reference=None)
    with acting("cli", "betaalreferenties"):
        payment_references.issue_missing([school.institution.pk])
    jan.refresh_from_db()
    client.force_login(secretary)

    html = client.get(reverse("web:pupil", args=[jan.sourced_id])).content.decode()

    history = html.split("Geschiedenis", 1)[1]
    assert "gestructureerde mededeling" in history
    assert payment_references.formatted(jan.structured_reference) in history


def test_staff_of_another_school_do_not_see_the_reference(
    client, school, other_school, django_user_model
):
    from .conftest import make_staff

    make_staff(other_school.institution, "leerkracht@sintjozef.be")
    client.force_login(make_user(django_user_model, "sj", "leerkracht@sintjozef.be"))
    jan = school.pupils[0]

    response = client.get(reverse("web:pupil", args=[jan.sourced_id]))

    assert response.status_code == 404
    assert payment_references.formatted(jan.structured_reference) not in response.content.decode()
