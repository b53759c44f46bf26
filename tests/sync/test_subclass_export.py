"""A subclass in the OneRoster CSV export: a `scheduled` class of its class's course with an
enrollment per member, checked against the 1.2 CSV binding; in a delta a member who left is
`tobedeleted`, and a removed subclass with its last members."""

from __future__ import annotations

from schoolbrug.oneroster.csv_in.reader import parse_oneroster
from schoolbrug.oneroster.csv_out.export import export_oneroster
from schoolbrug.registry.models import SchoolClass
from schoolbrug.sharing import subclasses
from tests.sync.oneroster_binding import check_set
from tests.sync.test_oneroster_export import by_id, moment, registry  # noqa: F401 (fixture)


def student_enrollments(tables) -> dict[tuple[str, str], str]:
    return {
        (r["userSourcedId"], r["classSourcedId"]): r["status"] or "active"
        for r in tables["enrollments"]
        if r["role"] == "student"
    }


def test_a_subclass_is_written_as_a_class_with_its_members(registry, tmp_path):  # noqa: F811
    pupils = registry["pupils"]
    one_a = SchoolClass.objects.get(code="1A")
    subclass = subclasses.create_subclass(
        one_a, "1A wiskunde", [pupils["peeters"].sourced_id], by="directie@delinde.be"
    )
    sub, one_a_id = str(subclass.sourced_id), str(one_a.sourced_id)
    peeters, aerts = str(pupils["peeters"].sourced_id), str(pupils["aerts"].sourced_id)

    export_oneroster(tmp_path / "bulk", school_year=2025)
    tables = check_set(tmp_path / "bulk", "bulk")
    classes = by_id(tables["classes"])
    assert (classes[sub]["classCode"], classes[sub]["classType"]) == ("1A wiskunde", "scheduled")
    assert classes[sub]["courseSourcedId"] == classes[one_a_id]["courseSourcedId"]
    assert classes[sub]["schoolSourcedId"] == classes[one_a_id]["schoolSourcedId"]
    enrolled = student_enrollments(tables)
    assert (peeters, sub) in enrolled and (peeters, one_a_id) in enrolled
    assert (aerts, sub) not in enrolled and (aerts, one_a_id) in enrolled
    assert [k for k in enrolled if k[1] == sub] == [(peeters, sub)]
    # Read back, the pupil's class is still 1A: the homeroom comes before the scheduled class.
    back = {p.source_id: p for s in parse_oneroster(tmp_path / "bulk") for p in s.pupils}
    assert back[peeters].class_code == "1A"

    # A delta: Peeters out, Aerts in.
    since = moment()
    subclasses.set_members(subclass, [pupils["aerts"].sourced_id], by="directie@delinde.be")
    export_oneroster(tmp_path / "delta", school_year=2025, delta_since=since)
    tables = check_set(tmp_path / "delta", "delta", earlier=tmp_path / "bulk")
    assert student_enrollments(tables) == {(peeters, sub): "tobedeleted", (aerts, sub): "active"}
    assert [r["sourcedId"] for r in tables["classes"]] == [sub]  # it changed with its members

    # Removed: the class and its last member's enrollment are gone for the reader.
    since = moment()
    subclasses.remove_subclass(subclass, by="directie@delinde.be")
    export_oneroster(tmp_path / "removed", school_year=2025, delta_since=since)
    tables = check_set(tmp_path / "removed", "delta", earlier=tmp_path / "bulk")
    assert student_enrollments(tables) == {(aerts, sub): "tobedeleted"}
    assert [(r["sourcedId"], r["status"]) for r in tables["classes"]] == [(sub, "tobedeleted")]
    export_oneroster(tmp_path / "after", school_year=2025)
    tables = check_set(tmp_path / "after", "bulk")
    assert sub not in by_id(tables["classes"]) and not [
        k for k in student_enrollments(tables) if k[1] == sub
    ]
