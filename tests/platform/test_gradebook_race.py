"""A product moves a lineItem to another class while it writes a result of the old class's
pupil: the result never lands on the moved lineItem. On PostgreSQL two threads, each with its
own connection and transaction; the move holds its transaction open after its check, so without
the lineItem's lock the result would be written against the class the lineItem is leaving."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from schoolbrug.platform import gradebook, licences
from schoolbrug.platform.models import GradebookLineItem, ProductResult
from tests.races import second_while_first_holds

from .test_gradebook_api import BASE, put
from .test_gradebook_collections import bearer, item_body, result_body

pytestmark = pytest.mark.django_db(transaction=True)


def put_one(client, headers, pupil):
    return put(client, "/results/r-1", result_body(pupil, "blok-1"), headers)


def post_several(client, headers, pupil):
    # POST /lineItems/{id}/results: the lineItem comes from the path, held once for all rows.
    rows = [result_body(pupil, "blok-1")["result"]]
    payload = json.dumps({"results": rows})
    path = f"{BASE}/lineItems/blok-1/results"
    return client.post(path, payload, content_type="application/json", **headers)


@pytest.mark.parametrize("write", [put_one, post_several])
def test_a_result_written_while_its_line_item_moves_follows_the_move(
    platform_school, monkeypatch, write
):
    s = platform_school
    licences.link_class(s.catalogue.group, s.classes["1A"])
    licences.link_class(s.catalogue.group, s.classes["2B"])
    headers = bearer(Client(), s.catalogue.rekenen, " ".join(gradebook.GRADEBOOK_SCOPES))
    assert (
        put(Client(), "/lineItems/blok-1", item_body(s, "blok-1", "Blok 1"), headers).status_code
        == 201
    )
    pupil_of_1a = s.pupils[0]

    real_save = gradebook.save_line_item
    moved = threading.Event()

    def slow_save(*args, **kwargs):
        item = real_save(*args, **kwargs)
        moved.set()  # checked and written, not yet committed: the result comes now
        time.sleep(1.0)
        return item

    monkeypatch.setattr(gradebook, "save_line_item", slow_save)
    answers: dict[str, int] = {}

    def move() -> None:
        try:
            body = item_body(s, "blok-1", "Blok 1", klass="2B")
            answers["move"] = put(Client(), "/lineItems/blok-1", body, headers).status_code
        finally:
            connection.close()

    def write_result() -> None:
        try:
            answers["result"] = write(Client(), headers, pupil_of_1a).status_code
        finally:
            connection.close()

    second_while_first_holds(move, write_result, moved)
    assert answers == {"move": 201, "result": 404}  # the pupil is not in 2B
    assert GradebookLineItem.objects.get(sourced_id="blok-1").school_class == s.classes["2B"]
    assert not ProductResult.objects.exists()
