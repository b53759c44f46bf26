"""The plan names, before anyone approves, what the learning platform's data would collide on:
a class code this side already gives a class (renewed at execute: the teacher hands out the
new one), and any unique value the fold cannot resolve (a product's gradebook line item both
sides hold): execute refuses that plan before the site goes read-only, with the reason."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone

from schoolbrug.merge import execute, fold, plan_unique, source
from schoolbrug.merge import plan as plans
from schoolbrug.merge.errors import MergeRefused
from schoolbrug.platform import class_codes
from schoolbrug.platform.models import ClassLogin, GradebookLineItem, Product, ScoreScale
from schoolbrug.registry.models import Pupil, SchoolClass
from tests.merge.world import populate


@pytest.fixture
def receiving(db):
    return populate("default", "receiving")


def decided(plan: dict) -> dict:
    for candidate in plan["candidates"]:
        candidate["decision"] = "same"
    plan["central_admin"] = "directie@receiving.test"
    return plans.seal(plan)


def line_item(alias: str, product_code: str, sourced_id: str, number: str, model=None):
    model = model or GradebookLineItem
    product = Product.objects.using(alias).get_or_create(
        code=product_code, defaults={"name": product_code, "publisher": "Uitgever"}
    )[0]
    klass = SchoolClass.objects.using(alias).filter(institution__number=number).first()
    now = timezone.now()
    extra = (
        {"kind": "test", "assign_date": now, "due_date": now + datetime.timedelta(days=7)}
        if model is GradebookLineItem
        else {"type": "cijfer", "values": []}
    )
    return model.objects.using(alias).create(
        product=product, sourced_id=sourced_id, school_class=klass, title="Toets 1", **extra
    )


def test_a_class_code_taken_here_is_listed_with_its_new_code_to_hand_out(receiving, source_url):
    here = ClassLogin.objects.get(school_class__institution__number="100001")
    here.code, here.code_digest = "MOVE12", class_codes.digest("MOVE12")
    here.save()
    plan = plans.make_plan(source_url)
    (renewed,) = plan["collisions"]["class_logins"]
    moving = ClassLogin.objects.using(source.connect(source_url)).select_related("school_class")
    klass = moving.get().school_class
    assert renewed == {
        "class": str(klass.sourced_id),
        "name": "1A",
        "institution": "200001",
        "school_year": klass.school_year.start_year,
    }
    assert "MOVE12" not in json.dumps(plan)  # the code opens the class's name list
    assert plan["collisions"]["unique_values"] == []  # renewed, not refused
    from schoolbrug.merge.cli_plan import summary as printed
    from schoolbrug.merge.summary import summary

    assert "200001 klas 1A" in printed(plan) and "nieuwe klascode" in printed(plan)
    assert any("krijgt een nieuwe klascode" in line for line in summary(plan)["collision_details"])
    # And execute renews it, as the plan said.
    report = fold.apply(decided(plan), source_url=source_url)
    assert len(report["notes"]["new_class_codes"]) == 1


def test_no_class_code_listed_when_none_is_taken(receiving, source_url):
    assert plans.make_plan(source_url)["collisions"]["class_logins"] == []


def test_a_gradebook_line_item_both_sides_hold_refuses_before_execute(receiving, source_url):
    alias = source.connect(source_url)
    # The same product (joined by its code) with the same line item id on both sides.
    line_item("default", "REK", "toets-1", "100001")
    line_item(alias, "REK", "toets-1", "200001")
    line_item(alias, "REK", "toets-2", "200001")  # only there: moves
    line_item("default", "TAAL", "toets-3", "100001")  # another product on each side:
    line_item(alias, "TAAL-2", "toets-3", "200001")  # the moving product is added, no clash
    line_item("default", "REK", "schaal-1", "100001", model=ScoreScale)
    line_item(alias, "REK", "schaal-1", "200001", model=ScoreScale)
    plan = decided(plans.make_plan(source_url))
    clashes = plan["collisions"]["unique_values"]
    assert [(c["table"], c["fields"], c["rows"]) for c in clashes] == [
        ("platform.GradebookLineItem", ["product", "sourced_id"], 1),
        ("platform.ScoreScale", ["product", "sourced_id"], 1),
    ]
    assert clashes[0]["examples"][0]["product"] == "REK"
    assert clashes[0]["examples"][0]["sourced_id"] == "toets-1"
    printed = plans_summary(plan)
    assert "opdrachten van het puntenboek" in printed and "GEWEIGERD" in printed
    from schoolbrug.merge.summary import summary

    shown = summary(plan)  # what the directors read on the Samenvoeging page
    assert ("unieke waarden (de samenvoeging weigert)", 2) in shown["collisions"]
    assert any(
        line.startswith("Weigert: 1 rij(en) in opdrachten") for line in shown["collision_details"]
    )
    # Execute refuses it at its first check, before the read-only flag and the backup.
    with pytest.raises(MergeRefused, match="opdrachten van het puntenboek") as refused:
        execute.check(plan, starter="directie@receiving.test", source_alias=None)
    assert "toets-1" in refused.value.message
    count = GradebookLineItem.objects.count()
    with pytest.raises(MergeRefused, match="nieuw plan"):
        fold.apply(plan, source_url=source_url)
    assert GradebookLineItem.objects.count() == count


def plans_summary(plan: dict) -> str:
    from schoolbrug.merge.cli_plan import summary

    return summary(plan)


def test_a_sourced_id_both_sides_hold_is_listed_and_a_joined_one_is_not(receiving, source_url):
    alias = source.connect(source_url)
    mover = Pupil.objects.using(alias).order_by("pk").first()
    stayer = Pupil.objects.order_by("pk").first()
    Pupil.objects.using(alias).filter(pk=mover.pk).update(sourced_id=stayer.sourced_id)
    plan = plans.make_plan(source_url)
    clashes = {c["table"]: c for c in plan["collisions"]["unique_values"]}
    assert set(clashes) == {"registry.Pupil"}  # the joined school year shares its id: fine
    assert clashes["registry.Pupil"]["examples"] == [
        {"id": str(stayer.sourced_id), "sourced_id": str(stayer.sourced_id)}
    ]
    assert mover.national_number not in json.dumps(plan)


def test_every_unique_constraint_of_a_folded_table_is_checked_or_resolved():
    assert plan_unique.unchecked() == []
    checked = {(u.label, u.fields) for u in plan_unique.to_check()}
    assert ("platform.GradebookLineItem", ("product", "sourced_id")) in checked
    assert ("platform.ScoreScale", ("product", "sourced_id")) in checked
    assert ("platform.ProductResult", ("product", "external_id")) in checked
    assert ("platform.Product", ("app",)) in checked
    # Resolved by the fold or listed by another of the plan's lists.
    assert ("platform.GradebookCategory", ("product", "sourced_id")) not in checked  # joined
    assert ("platform.ClassLogin", ("code_digest",)) not in checked  # renewed
    assert ("auth.User", ("username",)) not in checked  # renamed
    assert ("registry.Institution", ("number",)) not in checked  # refused by its own list


def test_execute_checks_the_unique_values_again_not_only_the_plans_list(receiving, source_url):
    # The plan's list is what the source and this side held when it was made: a clash that came
    # after it (or a list edited empty, the plan sealed again) would go as far as the fold's
    # rollback, after the read-only flag and the backup. Execute's first check reads again.
    alias = source.connect(source_url)
    line_item(alias, "REK", "toets-1", "200001")
    plan = decided(plans.make_plan(source_url))
    assert plan["collisions"]["unique_values"] == []
    line_item("default", "REK", "toets-1", "100001")  # after the plan
    with pytest.raises(MergeRefused, match="opdrachten van het puntenboek") as refused:
        execute.check(plan, starter="directie@receiving.test", source_alias=alias)
    assert "toets-1" in refused.value.message and "nieuw plan" in refused.value.message
