"""Folding the moving side's world into this one (tests/merge/world.py), on the test
database's own kind (SQLite, or PostgreSQL when DATABASE_URL names one)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS

from schoolbrug.audit.models import AuditEntry
from schoolbrug.merge import fold, source
from schoolbrug.merge import plan as plans
from schoolbrug.merge.errors import MergeRefused
from schoolbrug.merge.tables import FOLD, all_models, rule_for
from schoolbrug.platform.models import PupilLogin
from schoolbrug.registry.models import Enrolment, Institution, Pupil, Teaching
from schoolbrug.roles.models import RoleGrant
from schoolbrug.sharing.models import App
from tests.merge.world import populate


def folded_models():
    return [m for m in all_models() if rule_for(m).action == FOLD]


def rows(alias: str) -> dict[str, dict]:
    """Every folded table's rows by primary key, every column."""
    found = {}
    for model in folded_models():
        names = [f.attname for f in model._meta.concrete_fields]
        values = model._base_manager.using(alias).order_by("pk").values_list(*names)
        found[model._meta.label] = {row[names.index(model._meta.pk.attname)]: row for row in values}
    return found


def decided(plan: dict, decision: str = "same") -> dict:
    for candidate in plan["candidates"]:
        candidate["decision"] = decision
    plan["central_admin"] = "directie@receiving.test"
    return plans.seal(plan)


@pytest.fixture
def receiving(db):
    return populate("default", "receiving")


def test_whole_database_folds_with_only_additions(receiving, source_url):
    plan = decided(plans.make_plan(source_url))
    before = rows(DEFAULT_DB_ALIAS)
    theirs = rows(source.connect(source_url))
    report = fold.apply(plan, source_url=source_url)
    after = rows(DEFAULT_DB_ALIAS)

    for label, kept in before.items():
        # Nothing here changed: every row still there, every column the same.
        assert {pk: after[label][pk] for pk in kept} == kept, label
        counts = report["tables"][label]
        # Added by the merge itself: one entry per moved school, the central admin's grant
        # (audited as every grant is).
        grants = report["central_admin_grants"]
        extra = {"audit.AuditEntry": 3 + grants, "roles.RoleGrant": grants}
        assert len(after[label]) == len(kept) + counts["added"] + extra.get(label, 0), label
        never = 1 if label == "roles.RoleGrant" else 0  # the site admin's grant
        assert counts["read"] == len(theirs[label]) - never, label
        assert counts["added"] + counts["joined"] == counts["read"], label  # nothing left out

    joined = {label: c["joined"] for label, c in report["tables"].items() if c["joined"]}
    assert joined["registry.Staff"] == 2  # by e-mail, and the confirmed candidate
    assert joined["auth.User"] == 1
    assert joined["registry.SchoolYear"] == 1
    assert joined["platform.Product"] == 1
    assert joined["enrolment.Lop"] == 1
    assert joined["registry.SourceAlias"] == 1  # the colliding WISA staff id stays ours

    # Every sourced_id of the moving side is here, unchanged (bar the joined records').
    replaced = set(report["sourced_ids_replaced"])
    for model in folded_models():
        refers = rule_for(model).refers_sourced_id  # an alias names another record's id
        if not refers and any(f.name == "sourced_id" for f in model._meta.concrete_fields):
            names = [f.attname for f in model._meta.concrete_fields]
            at = names.index("sourced_id")
            ours = {str(r[at]) for r in after[model._meta.label].values()}
            moving = {str(r[at]) for r in theirs[model._meta.label].values()}
            assert moving - replaced <= ours, model._meta.label

    # A moved pupil is the row it was, column by column (timestamps, JSON, references),
    # bar its id and its school's.
    columns = [
        f.attname for f in Pupil._meta.concrete_fields if not f.is_relation and not f.primary_key
    ]
    was = {r[0]: r for r in Pupil.objects.using(source.ALIAS).values_list(*columns)}
    now = {r[0]: r for r in Pupil.objects.filter(sourced_id__in=list(was)).values_list(*columns)}
    assert columns[0] == "sourced_id" and now == was

    # Foreign keys point at the moved rows: a pupil's class is in the pupil's school.
    moved = Institution.objects.filter(number__startswith="2")
    assert moved.count() == 3
    assert Pupil.objects.filter(institution__in=moved).count() == 3 * 3 * 4 + 2
    assert not Enrolment.objects.filter(pupil__institution__in=moved).exclude(
        school_class__institution__in=moved
    )
    assert not Teaching.objects.filter(assignment__institution__in=moved).exclude(
        schoolclass__institution__in=moved
    )
    users = get_user_model().objects
    renamed = users.get(username="directie.2")
    assert renamed.email == "directie@moving.test"
    assert users.get(username="directie").email == "directie@receiving.test"
    assert not users.get(username="admin-moving").is_superuser
    assert not RoleGrant.objects.filter(user__username="admin-moving").exists()
    assert RoleGrant.objects.filter(user=renamed, role="board_admin", board__number="B200")
    central = RoleGrant.objects.filter(user__email="directie@receiving.test", role="board_admin")
    assert set(central.values_list("board__number", flat=True)) == {"B100", "B200"}
    assert App.objects.get(name="Leerplatform 2").client_id == "leerplatform-moving"
    login = PupilLogin.objects.get(pupil__institution__number="200001")
    assert login.pin == "1234"  # the ciphertext copied, still readable
    merged = f"merge {plan['digest'][:12]}"
    entries = AuditEntry.objects.filter(reason=merged, entity="institution")
    assert sorted(entries.values_list("institution_number", flat=True)) == [
        "200001", "200002", "200003",
    ]  # fmt: skip


def test_a_part_of_the_other_database_moves_alone(receiving, source_url):
    plan = decided(plans.make_plan(source_url, ["200003"]))
    report = fold.apply(plan, source_url=source_url)
    assert list(
        Institution.objects.filter(number__startswith="2").values_list("number", flat=True)
    ) == ["200003"]
    assert Pupil.objects.filter(institution__number="200003").count() == 12
    assert not Pupil.objects.filter(family_name="Dubbel", institution__number__startswith="2")
    assert report["tables"]["registry.Community"]["added"] == 1  # SG Zuid only


def test_refusals_change_nothing(receiving, source_url):
    plan = plans.make_plan(source_url)
    count = Pupil.objects.count()
    with pytest.raises(MergeRefused, match="centrale beheerder"):
        fold.apply(plans.seal({**plan, "central_admin": None}), source_url=source_url)
    with pytest.raises(MergeRefused, match="nog niet"):
        fold.apply(
            plans.seal({**plan, "central_admin": "directie@receiving.test"}),
            source_url=source_url,
        )
    ready = decided(plan, "different")
    with pytest.raises(MergeRefused, match="verzegelen"):
        fold.apply({**ready, "central_admin": "iemand@anders.test"}, source_url=source_url)
    Institution.objects.create(number="200002", name="Dezelfde school")
    clash = decided(plans.make_plan(source_url))
    assert clash["collisions"]["institution_numbers"] == ["200002"]
    assert clash["collisions"]["class_codes"] == []  # the copy here has no classes
    with pytest.raises(MergeRefused, match="200002"):
        fold.apply(clash, source_url=source_url)
    assert Pupil.objects.count() == count


def test_a_taken_payment_reference_gets_a_new_one_and_the_old_one_still_matches(
    receiving, source_url
):
    from schoolbrug.registry import payment_references
    from schoolbrug.registry.models import PaymentReferenceAlias

    ours = Pupil.objects.filter(institution__number="100001").order_by("pk").first()
    alias = source.connect(source_url)
    theirs = Pupil.objects.using(alias).filter(institution__number="200002").order_by("pk")[0]
    Pupil.objects.using(alias).filter(pk=theirs.pk).update(
        structured_reference=ours.structured_reference
    )
    plan = decided(plans.make_plan(source_url))
    (collision,) = plan["collisions"]["payment_references"]
    assert collision["reference"] == ours.structured_reference
    assert collision["pupil"] == str(theirs.sourced_id)
    assert payment_references.is_valid(collision["new"])

    report = fold.apply(plan, source_url=source_url)
    moved = Pupil.objects.get(sourced_id=theirs.sourced_id)
    assert moved.structured_reference == report["payment_references"][0]["new"]
    assert payment_references.match(moved.structured_reference) == moved
    kept = PaymentReferenceAlias.objects.get(pupil=moved)
    assert (kept.structured_reference, kept.reason) == (ours.structured_reference, "samenvoeging")
    ours.refresh_from_db()
    assert ours.structured_reference == collision["reference"]  # ours keeps its reference
    assert AuditEntry.objects.filter(
        entity_sourced_id=moved.sourced_id, changes__structured_reference__isnull=False
    ).exists()
    # Every moved pupil has one, each unique in this database.
    references = list(Pupil.objects.values_list("structured_reference", flat=True))
    assert None not in references and len(set(references)) == len(references)


def test_the_old_and_new_numbers_are_written_as_csv_and_xlsx(receiving, source_url, tmp_path):
    import csv

    from openpyxl import load_workbook

    from schoolbrug.merge import id_maps

    alias = source.connect(source_url)
    old = Pupil.objects.using(alias).get(family_name="Dubbel")
    Pupil.objects.using(alias).filter(pk=old.pk).update(family_name="=HYPERLINK(1)")
    report = fold.apply(decided(plans.make_plan(source_url)), source_url=source_url)
    moved = Pupil.objects.get(sourced_id=old.sourced_id)
    assert moved.pk != old.pk  # numbers change, ids do not
    with id_maps.write_csv(report, tmp_path / "nummers.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert rows[0][:3] == ["soort", "oud nummer", "nieuw nummer"]
    (row,) = [r for r in rows if r[3] == str(old.sourced_id)]
    assert row[:3] == ["leerling", str(old.pk), str(moved.pk)]
    assert row[4].startswith("'=")  # no formula in a spreadsheet
    staff = [r for r in rows if r[0] == "personeelslid"]
    assert any(r[6].startswith("samengevoegd") for r in staff)
    sheet = load_workbook(id_maps.write_xlsx(report, tmp_path / "nummers.xlsx")).active
    assert sheet.max_row == len(rows)


def test_class_codes_open_their_class_here_and_a_taken_one_is_renewed(receiving, source_url):
    from schoolbrug.platform import class_codes
    from schoolbrug.platform.models import ClassLogin

    alias = source.connect(source_url)
    # The other server keyed its digests with its own secret key.
    ClassLogin.objects.using(alias).update(code_digest="digest-of-the-other-server")
    report = fold.apply(decided(plans.make_plan(source_url)), source_url=source_url)
    moved = ClassLogin.objects.get(school_class__institution__number="200001")
    assert moved.code == "MOVE12" and moved.code_digest == class_codes.digest("MOVE12")
    assert report["notes"]["new_class_codes"] == []


def test_a_class_code_taken_here_gets_a_new_one(receiving, source_url):
    from schoolbrug.platform.models import ClassLogin

    alias = source.connect(source_url)
    ClassLogin.objects.using(alias).update(code="HERE34")  # encrypted by the field
    report = fold.apply(decided(plans.make_plan(source_url)), source_url=source_url)
    moved = ClassLogin.objects.get(school_class__institution__number="200001")
    assert moved.code != "HERE34" and moved.code_version == 2
    assert report["notes"]["new_class_codes"] == [moved.school_class_id]
    assert ClassLogin.objects.get(school_class__institution__number="100001").code == "HERE34"


def test_secrets_this_server_cannot_open_are_refused_at_the_plan(receiving, source_url):
    from django.db import connections

    alias = source.connect(source_url)
    with connections[alias].cursor() as cursor:  # a token of another key, as stored
        cursor.execute("UPDATE platform_pupillogin SET pin = 'gAAAAA-sealed-elsewhere'")
    with pytest.raises(MergeRefused, match="SCHOOLBRUG_ENCRYPTION_KEY"):
        plans.make_plan(source_url)


def test_a_name_taken_after_the_plan_is_refused_not_folded_stale(receiving, source_url):
    plan = decided(plans.make_plan(source_url))
    alias = source.connect(source_url)
    users = get_user_model()
    here = set(users.objects.values_list("username", flat=True))
    mover = users.objects.using(alias).exclude(username__in=here).order_by("pk").last()
    # After the plan, this side gives a new account the log-in name a moving person has.
    users.objects.create_user(mover.username, email="nieuw@receiving.test")
    before = rows(DEFAULT_DB_ALIAS)
    with pytest.raises(MergeRefused, match="nieuw plan"):
        fold.apply(plan, source_url=source_url)
    assert rows(DEFAULT_DB_ALIAS) == before
