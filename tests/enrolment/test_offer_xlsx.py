"""Export a LOP's offer to XLSX and import it after editing: preview, one transaction, bad
rows named by row and column, nothing half-applied."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from schoolbrug.audit.models import AuditEntry
from schoolbrug.enrolment.models import Offer

URL = "/aanmelden/noordrand/beheer/import/"


def exported(client):
    return load_workbook(io.BytesIO(client.get("/aanmelden/noordrand/beheer/aanbod.xlsx").content))


def upload(client, book, action=None):
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "aanbod.xlsx"
    return client.post(URL, {"file": data})


def row_of(sheet, offer):
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == offer.pk:
            return row
    raise AssertionError(offer.pk)


def test_export_holds_every_offer(client, lop_world):
    client.force_login(lop_world.expert)
    sheet = exported(client).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("id", "Schooljaar", "School", "Code", "Opleiding", "Capaciteit")
    assert {r[0] for r in rows[1:]} == {o.pk for o in lop_world.offers.values()}


def test_import_previews_then_applies_in_one_go(client, lop_world):
    client.force_login(lop_world.expert)
    book = exported(client)
    so, bao = lop_world.offers[("so", "next")], lop_world.offers[("bao", "current")]
    row_of(book.active, so)[6].value = 4  # free places
    row_of(book.active, bao)[11].value = "Infoavond 3 mei"
    response = upload(client, book)
    assert response.status_code == 200
    page = response.content.decode()
    assert "vrije plaatsen" in page and "Infoavond 3 mei" in page
    assert Offer.objects.get(pk=so.pk).free_places == 10  # only a preview so far
    assert client.post(URL, {"action": "apply"}).status_code == 302
    assert Offer.objects.get(pk=so.pk).free_places == 4
    assert Offer.objects.get(pk=bao.pk).extra_info == "Infoavond 3 mei"
    assert AuditEntry.objects.filter(entity="offer", action="update").count() == 2


def test_bad_rows_are_named_and_nothing_is_applied(client, lop_world):
    client.force_login(lop_world.expert)
    book = exported(client)
    so, bao = lop_world.offers[("so", "next")], lop_world.offers[("bao", "current")]
    good = row_of(book.active, so)
    good[5].value = 30
    bad = row_of(book.active, bao)
    bad[5].value = "veel"
    bad[12].value = "morgen"
    response = upload(client, book)
    assert response.status_code == 400
    page = response.content.decode()
    assert f"Rij {bad[0].row}, Capaciteit: geen geheel getal van 0 of meer" in page
    assert f"Rij {bad[0].row}, Vanaf: geen datum (jjjj-mm-dd)" in page
    assert client.post(URL, {"action": "apply"}).status_code == 302  # nothing kept to apply
    assert Offer.objects.get(pk=so.pk).capacity == 20


def test_a_row_of_another_lop_or_twice_is_refused(client, lop_world):
    client.force_login(lop_world.expert)
    book = exported(client)
    book.active.append([999999] + [None] * 13)
    first = next(book.active.iter_rows(min_row=2, max_row=2, values_only=True))
    book.active.append(first)
    page = upload(client, book).content.decode()
    assert "&#x27;999999&#x27; is geen aanbod van dit LOP" in page
    assert "staat er twee keer" in page


def test_a_file_that_unpacks_to_too_many_rows_is_refused_before_it_is_read_whole(
    client, lop_world, monkeypatch
):
    from schoolbrug.enrolment import offer_xlsx

    monkeypatch.setattr(offer_xlsx, "MAX_ROWS", 20)  # the real limit costs a minute to build
    client.force_login(lop_world.expert)
    book = exported(client)
    for _ in range(30):
        book.active.append([None] * 3 + ["x"])
    response = upload(client, book)
    assert response.status_code == 400
    assert "meer dan 20 rijen" in response.content.decode()


def test_an_import_of_out_of_range_numbers_is_named_and_nothing_is_applied(client, lop_world):
    client.force_login(lop_world.expert)
    book = exported(client)
    offer = lop_world.offers[("so", "next")]
    row_of(book.active, offer)[5].value = 10**12
    response = upload(client, book)
    assert response.status_code == 400
    assert "meer dan 99.999" in response.content.decode()
    offer.refresh_from_db()
    assert offer.capacity == 20
