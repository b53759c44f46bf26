"""Hand-made POSTs to a school's edit page with values no form sends: each comes back as a
named 400 (or a 404/403), never a database error, and nothing is written."""

from __future__ import annotations

import pytest
from django.urls import reverse

from schoolbrug.enrolment.models import Offer, Period, SchoolAdminRights, Year


def edit_url(lop_world, school_type="so"):
    return reverse(
        "enrolment:school", kwargs={"lop": "noordrand", "school": lop_world.schools[school_type].pk}
    )


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("capacity", "99999999999999999999", "capaciteit: meer dan 99.999"),
        ("seated_pupils", "3000000000", "meer dan 99.999"),
        ("capacity", "²", "geen geheel getal"),
        ("indicator_percentage", "NaN", "geen percentage tussen 0 en 100"),
        ("indicator_percentage", "-Infinity", "geen percentage tussen 0 en 100"),
        ("suffix", "x" * 61, "langer dan 60 tekens"),
        ("extra_info", "x" * 2001, "langer dan 2000 tekens"),
        ("free_places", "21", "meer dan de capaciteit"),
    ],
)
def test_out_of_range_values_are_named_and_nothing_is_written(
    client, lop_world, field, value, reason
):
    offer = lop_world.offers[("so", Year.CURRENT)]
    before = Offer.objects.filter(pk=offer.pk).values().get()
    client.force_login(lop_world.expert)
    response = client.post(edit_url(lop_world), {f"o{offer.pk}-{field}": value})
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert Offer.objects.filter(pk=offer.pk).values().get() == before


def test_a_school_admin_sending_nan_as_percentage_gets_no_server_error(client, lop_world):
    SchoolAdminRights.objects.create(
        lop=lop_world.lop, school_type="so", period=Period.CURRENT, free_places=True
    )
    offer = lop_world.offers[("so", Year.CURRENT)]
    client.force_login(lop_world.admins["so"])
    response = client.post(edit_url(lop_world), {f"o{offer.pk}-indicator_percentage": "sNaN"})
    assert response.status_code in (400, 403)
    offer.refresh_from_db()
    assert offer.indicator_percentage is None


@pytest.mark.parametrize("remove", ["abc", "1.5", "٣"])
def test_removing_an_offer_by_a_made_up_id_is_a_404(client, lop_world, remove):
    client.force_login(lop_world.expert)
    assert client.post(edit_url(lop_world), {"remove": remove}).status_code == 404
    assert Offer.objects.count() == len(lop_world.offers)


def test_the_offer_of_another_schools_id_is_refused(client, lop_world):
    other = lop_world.offers[("bao", Year.CURRENT)]
    client.force_login(lop_world.admins["so"])
    assert client.post(edit_url(lop_world), {"remove": other.pk}).status_code == 404
    response = client.post(edit_url(lop_world), {f"o{other.pk}-free_places": "1"})
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.free_places == 10


def test_a_school_admin_whose_grant_ended_can_no_longer_edit(client, lop_world):
    import datetime

    from django.utils import timezone

    from schoolbrug.roles.models import RoleGrant

    SchoolAdminRights.objects.create(
        lop=lop_world.lop, school_type="so", period=Period.CURRENT, free_places=True
    )
    admin = lop_world.admins["so"]
    RoleGrant.objects.filter(user=admin).update(
        ends_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    offer = lop_world.offers[("so", Year.CURRENT)]
    client.force_login(admin)
    assert client.get(edit_url(lop_world)).status_code == 404
    response = client.post(edit_url(lop_world), {f"o{offer.pk}-free_places": "1"})
    assert response.status_code == 404
    offer.refresh_from_db()
    assert offer.free_places == 10


def test_an_end_date_before_the_start_date_is_named_and_nothing_is_written(client, lop_world):
    offer = lop_world.offers[("so", Year.CURRENT)]
    before = Offer.objects.filter(pk=offer.pk).values().get()
    client.force_login(lop_world.expert)
    response = client.post(
        edit_url(lop_world),
        {f"o{offer.pk}-starts_on": "2027-03-01", f"o{offer.pk}-ends_on": "2027-02-28"},
    )
    assert response.status_code == 400
    assert "vóór de begindatum" in response.content.decode()
    assert Offer.objects.filter(pk=offer.pk).values().get() == before
