"""The console script on a new, empty SCHOOLBRUG_VAR_DIR, as a school's ICT coordinator
first runs it: the database is made by the first command that needs it, the sync's summary is
Dutch and names the pupils it could not sync, and stderr carries no English log lines."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from schoolbrug.sync.management.summary import text_summary
from schoolbrug.sync.report import SyncReport


def schoolbrug(var_dir, *args, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SCHOOLBRUG_"))}
    env["SCHOOLBRUG_VAR_DIR"] = str(var_dir)
    ran = subprocess.run(
        [sys.executable, "-m", "schoolbrug.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if check:
        assert ran.returncode == 0, ran.stderr
    return ran


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    out = tmp_path_factory.mktemp("region")
    schoolbrug(out / "var", "generate", "--pupils", "300", "--out", str(out / "export"))
    return out / "export" / "night1"


def test_a_fresh_database_is_made_by_the_first_command(tmp_path):
    ran = schoolbrug(tmp_path / "var", "runs")

    assert "no such table" not in ran.stderr and "Traceback" not in ran.stderr
    assert "nieuwe database" in ran.stderr
    assert ran.stdout.startswith("run\tbegonnen")
    # The second command finds it made, and says nothing about it.
    assert "nieuwe database" not in schoolbrug(tmp_path / "var", "runs").stderr


def test_the_sync_summary_is_dutch_and_names_the_rejected_pupils(tmp_path, region):
    var = tmp_path / "var"
    schoolbrug(var, "institutions", "load", str(region / "instellingen.csv"))

    ran = schoolbrug(var, "sync", "wisa", "--dir", str(region))

    first, *rest = ran.stdout.splitlines()
    assert re.fullmatch(r"\d{6}: toegepast, run \d+: \d+ nieuw, .*\d+ geweigerd", first)
    assert "created" not in ran.stdout and "rejected" not in ran.stdout
    assert "Niet gesynchroniseerd:" in ran.stdout
    # A pupil with their own finding: name, line, message and what to change.
    named = [line for line in rest if line.strip().startswith("- ") and "Tip:" in line]
    assert named and re.search(r"- .+ \(.+\), regel \d+: .+ Tip: .+", named[0])
    # Masked numbers only; no full national number (11 digits) anywhere.
    assert re.search(r"\d\d\.\d\d\.\d\d-\*\*\*\.\*\*", ran.stdout)
    assert not re.search(r"\d{11}", ran.stdout)
    assert ran.stderr == ""  # no English log lines


def test_log_lines_go_to_the_log_file_and_to_stderr_only_with_verbose(tmp_path, region):
    var = tmp_path / "var"
    wrong = str(region / "instellingen.csv")  # not a staff list: every column missing

    quiet = schoolbrug(var, "staff", "import", wrong, check=False)
    loud = schoolbrug(var, "staff", "-v", "2", "import", wrong, check=False)

    assert quiet.returncode == loud.returncode == 2
    # The person reads Dutch: each error with file, line and column; no log line.
    assert quiet.stderr.splitlines()[-1].startswith("Fout: instellingen.csv, regel 1, kolom ")
    assert all(
        line.startswith(("Fout:", "schoolbrug: nieuwe database"))
        for line in quiet.stderr.splitlines()
    )
    log = (var / "schoolbrug.log").read_text(encoding="utf-8")
    assert "WARNING schoolbrug.sync staff upload: bad input" in log
    assert "WARNING schoolbrug.sync staff upload: bad input" in loud.stderr


def test_the_summary_of_a_rejected_pupil_without_own_finding_names_the_class_reason():
    report = SyncReport(
        institution="012345",
        source="wisa",
        dry_run=True,
        applied=False,
        counts={"created": 1, "rejected": 1},
        findings=[
            {
                "severity": "error",
                "outcome": "reject",
                "message": "Klas 'K3 B' heeft geen vakkenpakket.",
                "hint": "Wijs de klas een vakkenpakket toe.",
                "line": 14,
                "pupil_name": "",
            }
        ],
        actions=[
            {"action": "rejected", "pupil": "Peeters 85073003328", "national_number": "", "line": 7}
        ],
    )

    text = text_summary(report)

    assert "proefdraai (niets gewijzigd)" in text and "1 nieuw" in text
    assert "Klas 'K3 B' heeft geen vakkenpakket. Tip: Wijs de klas een vakkenpakket toe." in text
    assert "- Peeters 85.07.30-***.** (geen rijksregisternummer), regel 7" in text
    assert "85073003328" not in text
