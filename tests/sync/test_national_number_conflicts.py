"""A national number another pupil of the institution already holds: a finding on the pupil
that would take it, the rest of the institution applied, other institutions untouched."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import call_command

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Institution, Pupil, SourceAlias
from schoolbrug.sources.findings import mask_national_number as masked
from tests.factories import national_number
from tests.sources.test_oneroster import USERS_12, base_set, manifest, write_set

pytestmark = pytest.mark.django_db

X = national_number(datetime.date(2019, 3, 14), 2)
Y = national_number(datetime.date(2019, 5, 2), 3)
Z = national_number(datetime.date(2019, 3, 14), 4)  # fits p-1 (Zoë)
STAMP = "2026-01-05T08:00:00.000Z"
ENROLLMENTS = (
    "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
    "primary,beginDate,endDate\n"
)


def sync(path, capsys, *extra: str) -> tuple[int, dict]:
    try:
        call_command("sync", "oneroster", str(path), "--school-year", "2025-2026", "--json", *extra)
        code = 0
    except SystemExit as stop:
        code = stop.code
    return code, json.loads(capsys.readouterr().out)


def user(pupil: str, number: str, family: str = "Aerts", given: str = "Adam") -> str:
    """A delta's users row: the pupil with this national number."""
    short = pupil.replace("-", "")
    return (
        f"{pupil},active,{STAMP},true,{short},{{RRN:{number}}},{given},{family},"
        ",,,,,,01,,,,,,school-1,\n"
    )


def delta(tmp_path, name: str, users: str, enrollments: str = "") -> object:
    files = {
        "manifest.csv": manifest("delta", ("users", "enrollments")),
        "users.csv": USERS_12 + users,
        "enrollments.csv": ENROLLMENTS + enrollments,
    }
    return write_set(tmp_path / name, files)


def numbers() -> dict[str, str | None]:
    """Source id (or "hand" for a pupil no source named) → national number."""
    aliases = dict(
        SourceAlias.objects.filter(kind=SourceAlias.Kind.PUPIL).values_list(
            "sourced_id", "external_id"
        )
    )
    return {
        aliases.get(sourced_id, "hand"): number
        for sourced_id, number in Pupil.objects.values_list("sourced_id", "national_number")
    }


@pytest.fixture
def registry(tmp_path, capsys):
    """A OneRoster bulk set: p-1 without national number, p-2 with Y, p-3 with X."""
    files = base_set()
    files["users.csv"] = (
        files["users.csv"]
        .replace("p-2,,,true,p2,,", f"p-2,,,true,p2,{{RRN:{Y}}},")
        .replace("p-3,,,true,p3,,", f"p-3,,,true,p3,{{RRN:{X}}},")
    )
    code, report = sync(write_set(tmp_path / "bulk", files), capsys)
    assert code == 0 and report["counts"]["created"] == 3
    assert numbers() == {"p-1": None, "p-2": Y, "p-3": X}
    return tmp_path


def test_two_pupils_who_swap_numbers_in_a_delta_both_get_the_new_ones(registry, capsys):
    path = delta(
        registry,
        "swap",
        user("p-2", X) + user("p-3", Y, "Maes", "Lotte"),
        f"e-2,active,{STAMP},class-1a,school-1,p-2,student,,,\n",
    )

    code, report = sync(path, capsys)

    assert code == 0 and report["applied"], report
    # Warnings only: the numbers now disagree with the birth dates the registry has.
    assert {f["severity"] for f in report["findings"]} == {"warning"}
    assert report["counts"]["updated"] == 2 and report["counts"]["rejected"] == 0
    assert numbers() == {"p-1": None, "p-2": X, "p-3": Y}
    # The history has both changes, masked.
    changes = sorted(
        e.changes["national_number"]
        for e in AuditEntry.objects.filter(entity="pupil", action="update")
    )
    assert changes == sorted([[masked(Y), masked(X)], [masked(X), masked(Y)]])


def test_a_number_a_hand_entered_pupil_holds_is_a_finding_and_the_rest_is_applied(registry, capsys):
    school = Institution.objects.get(number="012345")
    Pupil.objects.create(
        institution=school, national_number=Z, family_name="Hand", given_name="Ingevoerd"
    )
    # p-1 now has a number: the one the hand-entered pupil holds. p-3 changes name alone.
    path = delta(
        registry,
        "taken",
        user("p-1", Z, "Peeters", "Zoë") + user("p-3", X, "Maes-Claes", "Lotte"),
        f"e-1,active,{STAMP},class-1a,school-1,p-1,student,,,\n",
    )

    code, report = sync(path, capsys)

    assert code == 0 and report["applied"]
    assert [f["code"] for f in report["findings"]] == ["PUPIL_NATIONAL_NUMBER_TAKEN"]
    finding = report["findings"][0]
    assert finding["national_number_masked"] == masked(Z)
    assert Z not in json.dumps(report)
    assert "Ingevoerd Hand" in finding["message"] and finding["severity"] == "error"
    assert report["counts"]["rejected"] == 1 and report["counts"]["updated"] == 1
    assert numbers() == {"p-1": None, "p-2": Y, "p-3": X, "hand": Z}
    assert Pupil.objects.get(national_number=X).family_name == "Maes-Claes"


def test_a_new_source_id_with_the_number_of_a_hand_entered_pupil_adopts_them(registry, capsys):
    school = Institution.objects.get(number="012345")
    Pupil.objects.create(
        institution=school, national_number=Z, family_name="Nieuw", given_name="Noor"
    )
    path = delta(
        registry,
        "adopt",
        user("p-9", Z, "Nieuw", "Noor"),
        f"e-9,active,{STAMP},class-1a,school-1,p-9,student,,,\n",
    )

    code, report = sync(path, capsys)

    assert code == 0 and report["findings"] == []
    assert numbers() == {"p-1": None, "p-2": Y, "p-3": X, "p-9": Z}
    assert Pupil.objects.count() == 4


def test_one_number_on_two_new_people_of_a_set_rejects_both(registry, capsys):
    path = delta(
        registry,
        "twice",
        user("p-8", Z, "Acht", "Anna") + user("p-9", Z, "Negen", "Bert"),
        f"e-8,active,{STAMP},class-1a,school-1,p-8,student,,,\n"
        f"e-9,active,{STAMP},class-1a,school-1,p-9,student,,,\n",
    )

    code, report = sync(path, capsys)

    assert code == 0
    codes = [f["code"] for f in report["findings"]]
    assert codes == ["PUPIL_NATIONAL_NUMBER_DUPLICATE"] * 2
    assert report["counts"]["rejected"] == 2 and Pupil.objects.count() == 3
