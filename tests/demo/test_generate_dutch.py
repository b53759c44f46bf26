"""`schoolbrug generate --country nl`: Dutch schools as EDEXML files (BRIN codes, groep 1–8,
combined groups, teachers), valid and importable; the demo includes one."""

import io

import pytest
from django.core.management import call_command

from schoolbrug.demo.management.commands.demo import Command as Demo
from schoolbrug.edexml.reader import parse_edexml
from schoolbrug.edexml.schema import read_edexml
from schoolbrug.registry.models import Institution, Staff, SubclassMembership


def test_generate_nl_writes_dutch_schools_as_edexml(tmp_path):
    call_command("generate", "--pupils", "600", "--out", str(tmp_path), "--country", "nl",
                 stdout=io.StringIO())  # fmt: skip
    files = sorted(tmp_path.glob("*.xml"))
    assert len(files) == 3 and (tmp_path / "instellingen.csv").exists()
    for path in files:
        read_edexml(path)  # valid, or BadInput
        snapshot = parse_edexml(path)
        assert snapshot.country == "NL" and snapshot.institution_number == path.stem
        assert len(path.stem) == 6 and path.stem[2:4].isalpha()
        jaargroepen = {p.raw_gender and p.class_code[:1] for p in snapshot.pupils}
        assert {"1", "3", "8"} <= jaargroepen  # groep 1/2 … 8
        kindergarten = [c for c in snapshot.classes if c.stage == "NVT"]
        assert kindergarten and all(c.years == (2, 3) for c in kindergarten)
        assert any(p.extra_class_codes for p in snapshot.pupils)
        assert snapshot.staff and all(s.email and s.class_codes for s in snapshot.staff)
        assert all(p.eckid for p in snapshot.pupils)
    assert sum(len(parse_edexml(p).pupils) for p in files) == 600


@pytest.mark.django_db
def test_the_demo_includes_a_dutch_school(tmp_path):
    demo = Demo(stdout=io.StringIO())
    demo._sync_dutch_school(tmp_path, seed=2026)
    (school,) = Institution.objects.filter(country="NL")
    assert school.pupils.count() == 230
    assert SubclassMembership.objects.filter(pupil__institution=school).exists()
    assert Staff.objects.exists()
