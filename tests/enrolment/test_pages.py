"""The enrolment pages: the public page of a LOP (no login), a school's edit page within the
rights (a hand-made POST outside them is a 403 and changes nothing), the LOP expert's page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from schoolbrug.audit.models import AuditEntry
from schoolbrug.enrolment.models import (
    NEWCOMERS_CODE,
    AdministrativeGroup,
    FreeEnrolmentStart,
    Offer,
    Period,
    SchoolAdminRights,
    Year,
)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_public_page_groups_schools_by_type_without_login(client, lop_world):
    response = client.get("/aanmelden/noordrand/")
    assert response.status_code == 200
    text = text_of(response)
    labels = ["BaO", "BuBaO", "SO", "BuSO", "1A/1B"]
    positions = [text.index(f" {label} School") for label in labels]
    assert positions == sorted(positions)
    assert "2026-2027" in text and "2027-2028" in text
    assert (
        "1ste leerjaar A 20 10 2027-2028 Opleiding Capaciteit Vrij 1ste leerjaar A 20 10" in text
    )  # capacity and free places, both years
    assert "IND" not in text  # no double quota here


def test_double_quota_splits_free_places_and_an_gets_its_column(client, lop_world):
    lop_world.lop.double_quota = True
    lop_world.lop.save()
    newcomers = AdministrativeGroup.objects.get(code=NEWCOMERS_CODE)
    Offer.objects.create(
        school=lop_world.schools["bao"], year=Year.NEXT, group=newcomers, free_places=4
    )
    text = text_of(client.get("/aanmelden/noordrand/"))
    assert (
        "1ste leerjaar A 20 10 3 7 2027-2028 Opleiding Capaciteit Vrij IND N-IND "
        "1ste leerjaar A 20 10 3 7"
    ) in text  # free, indicator, non-indicator
    assert "AN 2026-2027 AN 2027-2028 School bao 4" in text
    bao = text.index(" BaO ")
    assert text.count("AN 2027-2028") == 1 and text.index("AN 2027-2028") > bao


def test_a_change_is_on_the_public_page_at_once(client, lop_world):
    offer = lop_world.offers[("so", Year.NEXT)]
    assert (
        "1ste leerjaar A 20 10 2027-2028 Opleiding Capaciteit Vrij 1ste leerjaar A 20 10"
        in text_of(client.get("/aanmelden/noordrand/"))
    )
    kept = client.get("/aanmelden/noordrand/").content  # from the worker's memory now
    assert kept == client.get("/aanmelden/noordrand/").content
    client.force_login(lop_world.expert)
    client.post(
        f"/aanmelden/noordrand/scholen/{offer.school_id}/", {f"o{offer.pk}-free_places": "8"}
    )
    client.logout()
    assert (
        "1ste leerjaar A 20 10 2027-2028 Opleiding Capaciteit Vrij 1ste leerjaar A 20 8"
    ) in text_of(client.get("/aanmelden/noordrand/"))


def edit_url(world, school_type="so"):
    return reverse("enrolment:school", args=["noordrand", world.schools[school_type].pk])


def test_a_school_admin_sees_only_the_fields_the_lop_opened(client, lop_world):
    SchoolAdminRights.objects.create(
        lop=lop_world.lop, school_type="so", period=Period.CURRENT, free_places=True
    )
    client.force_login(lop_world.admins["so"])
    html = client.get(edit_url(lop_world)).content.decode()
    current = lop_world.offers[("so", Year.CURRENT)]
    following = lop_world.offers[("so", Year.NEXT)]
    assert re.search(rf'name="o{current.pk}-free_places" value="10" [^>]*>', html)
    assert "disabled" not in re.search(rf'name="o{current.pk}-free_places"[^>]*>', html).group()
    for name, offer in (("capacity", current), ("free_places", following)):
        assert "disabled" in re.search(rf'name="o{offer.pk}-{name}"[^>]*>', html).group()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("capacity", "99"),
        ("seated_pupils", "1"),
        ("extra_info", "x"),
        ("starts_on", "2027-05-01"),
        ("ends_on", "2027-05-02"),
        ("indicator_percentage", "50"),
        ("suffix", "bis"),
    ],
)
def test_a_hand_made_post_outside_the_rights_is_refused_and_changes_nothing(
    client, lop_world, field, value
):
    SchoolAdminRights.objects.create(
        lop=lop_world.lop, school_type="so", period=Period.CURRENT, free_places=True
    )
    offer = lop_world.offers[("so", Year.CURRENT)]
    before = Offer.objects.filter(pk=offer.pk).values().get()
    entries = AuditEntry.objects.count()
    client.force_login(lop_world.admins["so"])
    response = client.post(
        edit_url(lop_world), {f"o{offer.pk}-free_places": "9", f"o{offer.pk}-{field}": value}
    )
    assert response.status_code == 403
    assert "Er werd niets bewaard" in response.content.decode()
    assert Offer.objects.filter(pk=offer.pk).values().get() == before
    assert AuditEntry.objects.count() == entries


def test_a_post_within_the_rights_is_saved_and_logged(client, lop_world):
    SchoolAdminRights.objects.create(
        lop=lop_world.lop, school_type="so", period=Period.CURRENT, free_places=True
    )
    offer = lop_world.offers[("so", Year.CURRENT)]
    client.force_login(lop_world.admins["so"])
    response = client.post(
        edit_url(lop_world),
        {f"o{offer.pk}-free_places": "9", f"o{offer.pk}-free_places_indicator": "2"},
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert (offer.free_places, offer.free_places_indicator) == (9, 2)
    entry = AuditEntry.objects.filter(entity="offer").latest("id")
    assert entry.actor == "beheerder-so@lop.example"
    assert entry.changes == {"free_places": [10, 9], "free_places_indicator": [3, 2]}


def test_adding_a_programme_needs_the_programmes_right(client, lop_world):
    client.force_login(lop_world.admins["so"])
    url = edit_url(lop_world)
    refused = client.post(url, {"add_code": "6247", "add_year": "next"})
    assert refused.status_code == 403
    SchoolAdminRights.objects.create(
        lop=lop_world.lop, school_type="so", period=Period.NEXT_BEFORE, programmes=True
    )
    assert client.post(url, {"add_code": "6247", "add_year": "next"}).status_code == 302
    assert Offer.objects.filter(school=lop_world.schools["so"], group__code=6247).count() == 1
    # after free enrolment started the LOP closed it again
    FreeEnrolmentStart.objects.create(lop=lop_world.lop, school_type="so", starts_on="2000-01-01")
    added = Offer.objects.get(school=lop_world.schools["so"], group__code=6247)
    assert client.post(url, {"remove": added.pk}).status_code == 403
    assert Offer.objects.filter(pk=added.pk).exists()


def test_bad_values_come_back_named_with_a_400(client, lop_world):
    offer = lop_world.offers[("so", Year.CURRENT)]
    client.force_login(lop_world.expert)
    response = client.post(edit_url(lop_world), {f"o{offer.pk}-capacity": "veel"})
    assert response.status_code == 400
    assert "6246 (2026-2027), capaciteit: geen geheel getal van 0 of meer" in text_of(response)


def test_other_people_do_not_find_the_edit_or_expert_pages(client, lop_world):
    assert client.get(edit_url(lop_world)).status_code == 302  # to the log-in
    client.force_login(lop_world.admins["bao"])
    assert client.get(edit_url(lop_world, "so")).status_code == 404
    assert client.get(edit_url(lop_world, "bao")).status_code == 200
    assert client.get("/aanmelden/noordrand/beheer/").status_code == 404
    client.force_login(lop_world.outsider)
    assert (
        client.post(edit_url(lop_world), {"add_code": "6247", "add_year": "next"}).status_code
        == 404
    )


def test_the_expert_sets_start_dates_and_rights(client, lop_world):
    client.force_login(lop_world.expert)
    assert client.get("/aanmelden/noordrand/beheer/").status_code == 200
    response = client.post(
        "/aanmelden/noordrand/beheer/",
        {"so-start": "2027-03-20", "so-next_before-capacity": "on", "bao-current-dates": "on"},
    )
    assert response.status_code == 302
    assert FreeEnrolmentStart.objects.get(school_type="so").starts_on.isoformat() == "2027-03-20"
    row = SchoolAdminRights.objects.get(school_type="so", period=Period.NEXT_BEFORE)
    assert (row.capacity, row.free_places) == (True, False)
    assert SchoolAdminRights.objects.get(school_type="bao", period=Period.CURRENT).dates
    logged = AuditEntry.objects.filter(entity="school_rights").count()
    client.post(
        "/aanmelden/noordrand/beheer/",
        {"so-start": "2027-03-20", "so-next_before-capacity": "on", "bao-current-dates": "on"},
    )
    assert AuditEntry.objects.filter(entity="school_rights").count() == logged  # no change


def test_the_expert_adds_an_for_every_school_once(client, lop_world):
    client.force_login(lop_world.expert)
    client.post("/aanmelden/noordrand/beheer/an/")
    client.post("/aanmelden/noordrand/beheer/an/")
    newcomers = Offer.objects.filter(group__code=NEWCOMERS_CODE)
    assert newcomers.count() == len(lop_world.schools) * 2
    assert AuditEntry.objects.filter(entity="offer", action="create").count() >= 10


def test_an_for_every_school_when_the_database_lost_programme_10000(client, lop_world):
    # A flushed or hand-copied database: the action makes AN again instead of failing.
    AdministrativeGroup.objects.filter(code=NEWCOMERS_CODE).delete()
    client.force_login(lop_world.expert)
    client.post("/aanmelden/noordrand/beheer/an/")
    assert Offer.objects.filter(group__code=NEWCOMERS_CODE).count() == len(lop_world.schools) * 2
    assert AdministrativeGroup.objects.get(code=NEWCOMERS_CODE).name == "Anderstalige nieuwkomers"


def test_the_kept_page_follows_every_kind_of_change(client, lop_world):
    from schoolbrug.enrolment import editing

    url = "/aanmelden/noordrand/"
    client.get(url)
    lop_world.groups[6246].name = "1ste leerjaar A (nieuw)"
    lop_world.groups[6246].save()
    assert "1ste leerjaar A (nieuw)" in text_of(client.get(url))
    school = lop_world.schools["bao"]
    school.name = "De Regenboog"
    school.save()
    assert "De Regenboog" in text_of(client.get(url))
    offer = lop_world.offers[("bao", Year.CURRENT)]
    editing.remove_programme(lop_world.expert, offer)
    assert "niet aangeboden" in text_of(client.get(url))
    lop_world.lop.double_quota = True
    lop_world.lop.save()
    assert "IND" in text_of(client.get(url))


def test_the_kept_page_follows_a_renamed_institution_and_site(client, lop_world):
    """A school without a name of its own is shown by its institution's (or site's) name,
    which the registry changes (a sync, the Django admin): the page must follow at once."""
    from schoolbrug.registry.models import Site

    url = "/aanmelden/noordrand/"
    client.get(url)
    institution = lop_world.schools["so"].institution
    institution.name = "Atheneum Hernoemd"
    institution.save()
    assert "Atheneum Hernoemd" in text_of(client.get(url))
    site = Site.objects.create(institution=institution, number="1", name="Vestiging Oost")
    school = lop_world.schools["so"]
    school.site = site
    school.save()
    assert "Vestiging Oost" in text_of(client.get(url))
    site.name, site.city = "Vestiging West", "Vilvoorde"
    site.save()
    page = text_of(client.get(url))
    assert "Vestiging West" in page and "Vilvoorde" in page


def test_the_kept_page_follows_an_institutions_file_that_renames_in_bulk(client, lop_world):
    """`schoolbrug institutions load` renames with one bulk statement (no post_save)."""
    from schoolbrug.registry.institutions_file import InstitutionRow, save_institutions

    url = "/aanmelden/noordrand/"
    client.get(url)
    institution = lop_world.schools["so"].institution
    save_institutions(
        [InstitutionRow(institution.number, "Atheneum Uit De Lijst", institution.level)]
    )
    assert "Atheneum Uit De Lijst" in text_of(client.get(url))


def test_parents_get_the_kept_page_gzipped_when_they_ask(client, lop_world):
    import gzip

    plain = client.get("/aanmelden/noordrand/")
    zipped = client.get("/aanmelden/noordrand/", headers={"accept-encoding": "gzip, br"})
    assert zipped["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped["Vary"]
    assert gzip.decompress(zipped.content) == plain.content
    assert len(zipped.content) < len(plain.content) / 2


def test_two_people_saving_the_same_school_keep_both_changes(client, lop_world):
    """Both opened the page with capacity 20 and free places 10; one saves free places 7,
    the other capacity 25 from their older page: both changes stay."""
    from django.test import Client

    offer = lop_world.offers[("so", Year.NEXT)]
    shown = {
        f"{prefix}{offer.pk}-{name}": value
        for prefix in ("o", "s")
        for name, value in (("capacity", "20"), ("free_places", "10"))
    }
    first, second = Client(), Client()
    first.force_login(lop_world.expert)
    second.force_login(lop_world.site_admin)
    url = edit_url(lop_world)
    assert first.post(url, {**shown, f"o{offer.pk}-free_places": "7"}).status_code == 302
    assert second.post(url, {**shown, f"o{offer.pk}-capacity": "25"}).status_code == 302
    offer.refresh_from_db()
    assert (offer.capacity, offer.free_places) == (25, 7)


def test_the_edit_page_sends_the_shown_values_along(client, lop_world):
    offer = lop_world.offers[("so", Year.NEXT)]
    client.force_login(lop_world.expert)
    html = client.get(edit_url(lop_world)).content.decode()
    assert f'name="s{offer.pk}-free_places" value="10"' in html


def test_an_unknown_lop_is_a_404(client, lop_world):
    assert client.get("/aanmelden/bestaat-niet/").status_code == 404


def test_the_index_leads_each_person_to_what_they_keep(client, lop_world):
    assert "LOP Noordrand" in text_of(client.get("/aanmelden/"))
    client.force_login(lop_world.admins["so"])
    html = client.get("/aanmelden/").content.decode()
    assert edit_url(lop_world, "so") in html and "/beheer/" not in html
    client.force_login(lop_world.expert)
    assert "/aanmelden/noordrand/beheer/" in client.get("/aanmelden/").content.decode()
