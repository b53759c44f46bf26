"""The page "Samenvoeging": a director named in a plan reads its summary in Dutch and approves
it (recorded and audited); others do not see it; a board admin adds a plan file."""

from __future__ import annotations

import lxml.html
from django.urls import reverse

from schoolbrug.audit.models import AuditEntry
from schoolbrug.merge.models import MergeApproval, MergePlanRecord
from schoolbrug.merge.records import register

from .conftest import make_plan, write_plan


def tree(response):
    return lxml.html.fromstring(response.content.decode())


def text_of(response) -> str:
    return " ".join(" ".join(tree(response).xpath("//main")[0].itertext()).split())


def cells_named_by_their_column(page) -> int:
    tables = 0
    for table in page.xpath("//main//table"):
        tables += 1
        headers = [" ".join(th.text_content().split()) for th in table.xpath("./thead//th")]
        for row in table.xpath("./tbody/tr"):
            assert [td.get("data-label") for td in row.xpath("./td")] == headers
    return tables


def test_a_director_reads_the_summary_and_approves(world, client):
    register(world.plan, by="beheer@ontvanger.be")
    client.force_login(world.receiving_director)
    listing = client.get(reverse("merge:plans"))
    assert listing.status_code == 200
    assert "Vrije Basisschool Sint-Jozef (054321)" in text_of(listing)
    assert tree(listing).xpath("//nav//a[text()='Samenvoeging']")
    url = reverse("merge:plan", args=[world.plan["digest"]])
    page = client.get(url)
    shown = text_of(page)
    for expected in (
        "Vrije Basisschool Sint-Jozef (054321)",
        "Scholengemeenschap Noord (SG-N)",
        "VZW Bron (VZW-B)",
        "Scholengroep Ontvanger",
        "gebruikersnamen 1",
        "gestructureerde mededelingen 1",
        "2 kandidaten, 1 nog te beslissen",
        "beheer@ontvanger.be",
        "directie@sintjozef.be 054321 verhuizende databank in de andere databank",
        "directie@regenboog.be 012345 ontvangende databank nog niet",
    ):
        assert expected in shown, expected
    assert cells_named_by_their_column(tree(page)) == 2
    assert tree(page).xpath("//button[text()='Goedkeuren']")
    answer = client.post(reverse("merge:approve", args=[world.plan["digest"]]), follow=True)
    assert "Je goedkeuring is genoteerd." in text_of(answer)
    approval = MergeApproval.objects.get()
    assert (approval.email, approval.via, approval.side) == (
        "directie@regenboog.be",
        "web",
        "receiving",
    )
    entry = AuditEntry.objects.get(entity="merge_approval")
    assert entry.actor == "directie@regenboog.be" and entry.reason == "web: approve"
    page = client.get(url)
    assert not tree(page).xpath("//button[text()='Goedkeuren']")
    assert cells_named_by_their_column(tree(client.get(reverse("merge:plans")))) == 1


def test_a_plan_is_hidden_from_who_it_does_not_concern(world, client, django_user_model):
    register(world.plan, by="beheer@ontvanger.be")
    outsider = django_user_model.objects.create_user("buur", email="buur@example.be")
    client.force_login(outsider)
    assert "Sint-Jozef" not in text_of(client.get(reverse("merge:plans")))
    assert client.get(reverse("merge:plan", args=[world.plan["digest"]])).status_code == 404
    assert client.post(reverse("merge:approve", args=[world.plan["digest"]])).status_code == 404
    assert not MergeApproval.objects.exists()


def test_a_board_admin_adds_a_plan_and_sees_when_a_newer_version_replaces_it(
    world, client, tmp_path
):
    client.force_login(world.admin)
    with write_plan(world.plan, tmp_path).open("rb") as upload:
        answer = client.post(reverse("merge:plans"), {"plan": upload})
    assert answer.status_code == 302
    assert MergePlanRecord.objects.get().digest == world.plan["digest"]
    edited = make_plan(central_admin="andere@ontvanger.be")
    register(edited, by="beheer@ontvanger.be")
    page = client.get(reverse("merge:plan", args=[world.plan["digest"]]))
    assert "Er is een nieuwere versie van dit plan" in text_of(page)
    # A director may not add plans.
    client.force_login(world.receiving_director)
    with write_plan(world.plan, tmp_path).open("rb") as upload:
        assert client.post(reverse("merge:plans"), {"plan": upload}).status_code == 404
