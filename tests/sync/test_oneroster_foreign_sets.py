"""Issue 18: what real consumers and strict validators trip on, with the real sets others wrote
(shared/oneroster/samples): a delta whose org has no number (7), classes without grades (8)."""

from __future__ import annotations

import json
import shutil

import pytest
from django.core.management import call_command

from schoolbrug.registry.models import Enrolment, Institution, Pupil
from tests.sources.test_oneroster import SAMPLES

pytestmark = pytest.mark.django_db

SCHOOL_YEAR = ["--school-year", "2023-2024"]


@pytest.fixture
def samples():
    if not SAMPLES.is_dir():
        pytest.skip(f"OneRoster sample sets not found at {SAMPLES.resolve()} (outside the repo)")
    return SAMPLES


def sync(path, capsys, *extra: str) -> dict:
    call_command("sync", "oneroster", str(path), *SCHOOL_YEAR, "--json", *extra)
    return json.loads(capsys.readouterr().out)


def test_moodle_delta_whose_org_has_no_number_is_read_by_its_sourced_id(
    samples,
    capsys,
    tmp_path,
):
    report = sync(samples / "moodle-1.2" / "delta-valid", capsys)

    assert report["applied"], report
    institution = Institution.objects.get()
    assert (institution.number, institution.name) == ("ORG_1", "Gotham High School")
    enrolment = Enrolment.objects.select_related("pupil", "school_class").get()
    assert (enrolment.pupil.given_name, enrolment.school_class.code) == ("Bruce", "Basic Detection")
    # The class has no grades (optional in 1.2): synced with its year unknown, and a warning.
    assert enrolment.school_class.year is None
    assert [(f["code"], f["severity"], f["outcome"]) for f in report["findings"]] == [
        ("CLASS_YEAR_UNKNOWN", "warning", "")
    ]
    # Read again, by the same sourcedId: nothing changes.
    again = sync(samples / "moodle-1.2" / "delta-valid", capsys)
    assert again["counts"]["created"] == again["counts"]["updated"] == 0, again
    assert Pupil.objects.count() == 1

    # A later delta without orgs.csv names the school by that sourcedId only: it is found.
    later = tmp_path / "later"
    shutil.copytree(samples / "moodle-1.2" / "delta-valid", later)
    (later / "orgs.csv").unlink()
    manifest = (later / "manifest.csv").read_text()
    (later / "manifest.csv").write_text(manifest.replace("file.orgs,delta", "file.orgs,absent"))
    users = (later / "users.csv").read_text()
    (later / "users.csv").write_text(users.replace(",Bruce,Wayne,", ",Bruce,Wayne-Kane,"))
    report = sync(later, capsys, "--force")  # one pupil of one: 100% changed
    assert report["institution"] == "ORG_1" and report["counts"]["updated"] == 1, report
    assert Pupil.objects.get().family_name == "Wayne-Kane"
    assert Institution.objects.count() == 1


def test_a_sis_class_without_year_still_rejects_its_pupils():
    """The OneRoster tolerance is OneRoster's: WISA's rule stays."""
    from schoolbrug.sources.validate import validate
    from tests.factories import klass, pupil, snapshot

    for source, code in (("wisa", "CLASS_YEAR_MISSING"), ("oneroster", "CLASS_YEAR_UNKNOWN")):
        result = validate(
            snapshot([pupil(1, "1A")], classes=[klass("1A", year=None)], source=source)
        )
        assert [f.code for f in result.findings] == [code]
        assert bool(result.rejected) == (source == "wisa"), source
