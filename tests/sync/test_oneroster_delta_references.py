"""Issue 18.10: `export oneroster --delta-since … --with-references`: a delta whose rows name
orgs, classes, courses and sessions from an earlier set also carries those rows (unchanged,
with their own status and dateLastModified), so a strict validator reading only this package
finds every reference; without the option the delta stays as small as before."""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from schoolbrug.oneroster.csv_out.references import POINTERS
from tests.sync.oneroster_binding import check_set, table
from tests.sync.test_oneroster_roundtrip import later_nights, moment, registry_from_wisa

pytestmark = pytest.mark.django_db


def dangling(folder) -> set[tuple[str, str, str]]:
    """(file, column, id) of every reference to an org, class, course or session that is not a
    row of this package."""
    names = {p.stem for p in folder.iterdir()} - {"manifest"}
    rows = {name: table(folder, name) for name in names}
    ids = {name: {r["sourcedId"] for r in found} for name, found in rows.items()}
    missing = set()
    for name, found in rows.items():
        for column, target in POINTERS.get(name, ()):
            for row in found:
                for sourced_id in filter(None, row[column].split(",")):
                    if sourced_id not in ids.get(target, ()):
                        missing.add((name, column, sourced_id))
    return missing


@pytest.fixture
def delta_moment(tmp_path):
    registry_from_wisa()
    call_command("export", "oneroster", str(tmp_path / "before"), "--school-year", "2026-2027")
    since = moment()
    later_nights()
    return since


def export_delta(folder, since, *extra):
    call_command(
        "export", "oneroster", str(folder), "--school-year", "2026-2027",
        "--delta-since", since.isoformat(), *extra,
    )  # fmt: skip


def test_a_delta_with_references_stands_on_its_own(tmp_path, delta_moment):
    plain, whole = tmp_path / "plain", tmp_path / "whole"
    export_delta(plain, delta_moment)
    export_delta(whole, delta_moment, "--with-references")

    assert dangling(plain)  # the plain delta names the school and classes of the earlier set
    assert dangling(whole) == set()
    tables = check_set(whole, "delta", earlier=tmp_path / "before")
    before = {name: table(tmp_path / "before", name) for name in ("orgs", "classes")}
    # The added rows are the earlier ones, unchanged: same cells, active, their own date.
    added_classes = {r["sourcedId"]: r for r in tables["classes"]}.keys() - {
        r["sourcedId"] for r in table(plain, "classes")
    }
    assert added_classes
    earlier_classes = {r["sourcedId"]: r for r in before["classes"]}
    for row in tables["classes"]:
        if row["sourcedId"] in added_classes:
            stamp = datetime.datetime.fromisoformat(row["dateLastModified"])
            assert row["status"] == "active" and stamp <= delta_moment
            plain_cells = {k: v for k, v in row.items() if k not in ("status", "dateLastModified")}
            earlier = earlier_classes[row["sourcedId"]]
            assert plain_cells == {
                k: v for k, v in earlier.items() if k not in ("status", "dateLastModified")
            }
    assert [r["sourcedId"] for r in tables["orgs"]] == [r["sourcedId"] for r in before["orgs"]]
    # Everything the plain delta has, the one with references has too, row for row.
    for name in ("users", "roles", "enrollments", "demographics"):
        assert table(whole, name) == table(plain, name), name


def test_with_references_belongs_to_a_delta(tmp_path, delta_moment):
    with pytest.raises(CommandError) as stopped:
        call_command("export", "oneroster", str(tmp_path / "x"), "--with-references")
    assert stopped.value.returncode == 2 and "--delta-since" in str(stopped.value)
    assert not (tmp_path / "x").exists()
