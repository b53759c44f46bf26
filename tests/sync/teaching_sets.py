"""OneRoster sets of one school in the current school year with two teachers, for the tests of
teaching links (sync, export, API): who teaches which class, in a bulk set or a delta."""

from __future__ import annotations

import io
import json
from pathlib import Path

from django.core.management import call_command
from django.utils import timezone

from schoolbrug.registry.models import SchoolYear
from tests.sources.test_oneroster import USERS_12, manifest, write_set

SCHOOL = "012345"
ELS, BART = "els@delinde.be", "bart@delinde.be"
# Els teaches 1A and 1B, Bart 1A: the first bulk set.
FIRST = {"t-1": ["class-1a", "class-1b"], "t-2": ["class-1a"]}
FILES = ("academicSessions", "orgs", "courses", "classes", "users", "roles", "enrollments")
ENROLLMENTS = (
    "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
    "primary,beginDate,endDate\n"
)


def school_year() -> SchoolYear:
    return SchoolYear.objects.get(start_year=SchoolYear.start_year_for(timezone.localdate()))


def year_option() -> list[str]:
    start = SchoolYear.start_year_for(timezone.localdate())
    return ["--school-year", f"{start}-{start + 1}"]


def bulk_set(folder: Path, teaching: dict[str, list[str]]) -> Path:
    start = SchoolYear.start_year_for(timezone.localdate())
    enrollments = ENROLLMENTS + (
        "e-p1,,,class-1a,school-1,p-1,student,,,\ne-p2,,,class-1b,school-1,p-2,student,,,\n"
    )
    for teacher, classes in teaching.items():
        enrollments += "".join(
            f"e-{teacher}-{klass},,,{klass},school-1,{teacher},teacher,,,\n" for klass in classes
        )
    return write_set(
        folder,
        {
            "manifest.csv": manifest(files=FILES),
            "enrollments.csv": enrollments,
            "academicSessions.csv": (
                "sourcedId,status,dateLastModified,title,type,startDate,endDate,"
                "parentSourcedId,schoolYear\n"
                f"year-1,,,{start}-{start + 1},schoolYear,{start}-09-01,{start + 1}-08-31,,"
                f"{start + 1}\n"
            ),
            "orgs.csv": (
                "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
                f"school-1,,,Basisschool De Linde,school,{SCHOOL},\n"
            ),
            "courses.csv": (
                "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,"
                "orgSourcedId,subjects,subjectCodes\n"
                "course-1,,,year-1,Wiskunde L1,WIS1,01,school-1,,\n"
            ),
            "classes.csv": (
                "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,"
                "classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n"
                "class-1a,,,1A,01,course-1,1A,homeroom,,school-1,year-1,,,\n"
                "class-1b,,,1B,01,course-1,1B,homeroom,,school-1,year-1,,,\n"
            ),
            "users.csv": USERS_12
            + (
                f"t-1,,,true,els,,Els,Teerlinck,,,{ELS},,,,,,,,,,school-1,\n"
                f"t-2,,,true,bart,,Bart,Aerts,,,{BART},,,,,,,,,,school-1,\n"
                "p-1,,,true,p1,,Zoë,Peeters,,,,,,,01,,,,,,school-1,\n"
                "p-2,,,true,p2,,Adam,Aerts,,,,,,,01,,,,,,school-1,\n"
            ),
            "roles.csv": (
                "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,"
                "endDate,orgSourcedId,userProfileSourcedId\n"
                "r-t1,,,t-1,primary,teacher,,,school-1,\n"
                "r-t2,,,t-2,primary,teacher,,,school-1,\n"
                "r-p1,,,p-1,primary,student,,,school-1,\n"
                "r-p2,,,p-2,primary,student,,,school-1,\n"
            ),
        },
    )


def delta_set(folder: Path, ended: dict[str, list[str]], added=None) -> Path:
    """A delta of enrollments alone (the rest came in the bulk set): `ended` tobedeleted,
    `added` active."""
    stamp = timezone.now().strftime("%Y-%m-%dT%H:%M:%S.000Z")
    rows = ENROLLMENTS
    for status, teaching in (("tobedeleted", ended), ("active", added or {})):
        for teacher, classes in teaching.items():
            rows += "".join(
                f"e-{teacher}-{klass},{status},{stamp},{klass},school-1,{teacher},teacher,,,\n"
                for klass in classes
            )
    return write_set(
        folder, {"manifest.csv": manifest("delta", ("enrollments",)), "enrollments.csv": rows}
    )


def sync(path: Path) -> dict:
    """`schoolbrug sync oneroster PATH` into the current school year: its JSON report."""
    out = io.StringIO()
    call_command("sync", "oneroster", str(path), *year_option(), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["applied"] and not report["stopped"], report
    return report
