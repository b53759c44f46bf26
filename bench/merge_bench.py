"""Merge benchmark (not a test): two generated Schoolbrug databases on PostgreSQL, then the
merge's plan and the whole `execute` of the one into the other, timed step by step (checks,
read-only flag with its settle wait, backup, fold, report, then the id maps) and end to end
(issue 23: under 2 minutes for 300,000 pupils on each side). Execute's backup goes under
$SCHOOLBRUG_VAR_DIR/merge-backups/ (as large as the receiving database).

    uv run python bench/merge_bench.py                       # sb_merge_a ← sb_merge_b
    uv run python bench/merge_bench.py sb_a sb_b --pupils 50000
    uv run python bench/merge_bench.py --reuse               # the databases of an earlier run

Each database is a school group of its own, as a sync would have left it: ~300 schools in
communities of ~10 under 3 boards, this school year's classes of ~25, every pupil enrolled
with a class number, a WISA id (SourceAlias), a structured payment reference and the audit
entry of their creation, the staff (a director per school, ~1 teacher per 12 pupils) with
their assignments and teaching links, a sync run per school and a user per director.

What the two have in common, so that the plan finds and the fold resolves it:
- pupils enrolled on both sides (a child who changed schools between the groups): the same
  national number, name and birth date (`--same-pupils`, 1 %);
- pupils without a national number with the same name and birth date as one on the other
  side: candidates a person must decide (`--candidates`; the bench decides "different");
- teachers working in both groups: the same e-mail (`--same-staff`);
- payment references that the moving side's pupils hold and the receiving side's too
  (`--reference-collisions`; random ones collide too, about n²/10¹⁰ of them);
- directors' user names taken on the other side by someone else (`--user-collisions`).
Institution numbers never overlap (a plan refuses that).

Rows go in with COPY (psycopg 3), the two databases filled by two processes at once; ids are
given, sequences set after. The database is created anew and migrated with the project's
migrations (the moving one is a copy of the migrated empty one: CREATE DATABASE ... TEMPLATE).
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import os
import random
import subprocess
import sys
import time
import uuid
from multiprocessing import get_context
from pathlib import Path

import orjson
import psycopg
from stdnum.be import ogm_vcs

print = functools.partial(print, flush=True)  # noqa: A001 - figures appear as they come
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.api_bench import _machine_speed  # noqa: E402 - one measure for every bench

HOST = "postgres://postgres@127.0.0.1:5432"
PUPILS_PER_CLASS = 25
SCHOOLS_PER_COMMUNITY = 10
BOARDS = 3
START_YEAR = 2026  # the school year of the generated data
FAMILY = [
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De Smet",
    "Dubois",
    "Lambert",
    "Dupont",
    "Martens",
    "Vermeulen",
    "Hermans",
    "Pauwels",
    "Aerts",
    "Michiels",
    "Desmet",
    "Van Damme",
    "Smets",
    "Coppens",
    "Leclercq",
    "Declercq",
    "Verstraete",
    "Stevens",
    "Cools",
    "Segers",
    "Bogaerts",
]
GIVEN = [
    "Noah",
    "Liam",
    "Louis",
    "Arthur",
    "Jules",
    "Adam",
    "Lucas",
    "Victor",
    "Finn",
    "Mats",
    "Olivia",
    "Emma",
    "Louise",
    "Mila",
    "Alice",
    "Ella",
    "Nora",
    "Elena",
    "Marie",
    "Lina",
    "Juliette",
    "Fien",
    "Lotte",
    "Zoë",
    "Ines",
    "Yara",
    "Wout",
    "Sara",
    "Lars",
    "Jana",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("receiving", nargs="?", default="sb_merge_a")
    parser.add_argument("moving", nargs="?", default="sb_merge_b")
    parser.add_argument("--pupils", type=int, default=300_000, help="per database")
    parser.add_argument("--schools", type=int, default=300, help="per database")
    parser.add_argument("--same-pupils", type=float, default=0.01, help="share of the moving")
    parser.add_argument("--candidates", type=int, default=40)
    parser.add_argument("--same-staff", type=int, default=300)
    parser.add_argument("--reference-collisions", type=int, default=500)
    parser.add_argument("--user-collisions", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="keep the filled databases")
    parser.add_argument("--seed", type=int, default=23)
    args = parser.parse_args()
    if args.receiving == args.moving:
        parser.error("the receiving and the moving database must differ")

    print(
        f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
        f"{_machine_speed():.0f} ms for sum(range(10**7))"
    )
    if args.reuse:  # databases of an earlier run, brought to this code's migrations
        for name in (args.receiving, args.moving):
            _migrate(name)
    else:
        started = time.perf_counter()
        _create(args.receiving, args.moving)
        print(f"create and migrate: {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        with get_context("spawn").Pool(2) as pool:
            figures = pool.starmap(fill, [(args, "receiving"), (args, "moving")])
        took = time.perf_counter() - started
        for side, (name, counts, seconds, phases) in zip(
            ("receiving", "moving"), figures, strict=True
        ):
            rows = sum(counts.values())
            print(f"{side} {name}: {rows:,} rows in {seconds:.1f} s ({rows / seconds:,.0f}/s)")
            print("  " + ", ".join(f"{phase} {took:.1f} s" for phase, took in phases.items()))
            for table, count in counts.items():
                print(f"  {table:<32} {count:>9,}")
        print(f"generated both (two processes): {took:.1f} s")
    merge(args)


# --- generating --------------------------------------------------------------------------


def _psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)


def _create(receiving: str, moving: str) -> None:
    for name in (receiving, moving):
        _psql(f"DROP DATABASE IF EXISTS {name}")
    _psql(f"CREATE DATABASE {receiving}")
    _migrate(receiving)
    _psql(f"CREATE DATABASE {moving} TEMPLATE {receiving}")


def _migrate(name: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "schoolbrug.cli", "migrate", "-v", "0"],
        check=True,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"{HOST}/{name}"},
    )


def national_number(born: datetime.date, sequence: int) -> str:
    first9 = f"{born:%y%m%d}{sequence:03d}"
    base = int(("2" if born.year >= 2000 else "") + first9)
    return f"{first9}{97 - base % 97:02d}"


def reference(rng: random.Random) -> str:
    base = f"{rng.randrange(1, 10**10):010d}"
    return base + ogm_vcs.calc_check_digits(base)


class Tables:
    """Rows per table, written with COPY: columns named once per table; ids given."""

    def __init__(self, connection):
        self.connection = connection
        self.counts: dict[str, int] = {}
        self.seconds = 0.0  # in COPY (a generator's rows are made inside it too)

    def copy(self, table: str, columns: list[str], rows) -> None:
        started = time.perf_counter()
        count = 0
        with self.connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            if "id" in columns:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
        self.counts[table] = self.counts.get(table, 0) + count
        self.seconds += time.perf_counter() - started


def _shared(args) -> dict:
    """What both sides derive alike (same seed): the receiving side's pupils and staff that
    the moving side has too, and its references and user names that the moving side takes."""
    rng = random.Random(args.seed)
    per_side = args.pupils
    same = rng.sample(range(per_side), int(per_side * args.same_pupils) + args.candidates)
    same_pupils = same[: len(same) - args.candidates]
    candidates = same[len(same) - args.candidates :]
    staff_count = per_side // 12
    return {
        "same_pupils": same_pupils,
        "candidates": candidates,
        "same_staff": rng.sample(range(staff_count), args.same_staff),
        "reference_collisions": rng.sample(range(per_side), args.reference_collisions),
        "user_collisions": rng.sample(range(args.schools), args.user_collisions),
    }


def people(seed: int, side_no: int, count: int) -> list[tuple]:
    """(family, given, gender, birth date, national number) of each pupil of a side, the same
    in any process (the moving side's process replays the receiving side's). A national
    number's sequence is counted per birth date, in a range of its own per side (1-498,
    499-996), so no two pupils share one unless the bench makes them the same person."""
    rng = random.Random(seed * 1_000_003 + side_no)
    per_day: dict[datetime.date, int] = {}
    first_day = datetime.date(2008, 9, 1)
    made = []
    for _ in range(count):
        born = first_day + datetime.timedelta(days=rng.randrange(15 * 365))
        sequence = per_day[born] = per_day.get(born, 0) + 1
        made.append(
            (rng.choice(FAMILY), rng.choice(GIVEN), rng.choice("MF"), born,
             national_number(born, sequence + side_no * 498))
        )  # fmt: skip
    return made


def references(seed: int, side_no: int, count: int, forced: dict[int, str]) -> list[str]:
    """Each pupil's payment reference, distinct within the side; `forced` ones (taken from
    the receiving side on purpose) as given."""
    rng = random.Random(seed * 1_000_033 + side_no)
    taken = set(forced.values())
    made = []
    for index in range(count):
        if index in forced:
            made.append(forced[index])
            continue
        while (ref := reference(rng)) in taken:
            pass
        taken.add(ref)
        made.append(ref)
    return made


def fill(args, side: str) -> tuple[str, dict, float]:
    started = time.perf_counter()
    name = args.receiving if side == "receiving" else args.moving
    side_no = 0 if side == "receiving" else 1
    rng = random.Random(args.seed * 7 + side_no)
    shared = _shared(args)
    now = datetime.datetime(2026, 9, 1, 8, 0, tzinfo=datetime.UTC)
    with psycopg.connect(f"{HOST}/{name}") as connection:
        tables = Tables(connection)
        # Ids of their own per side (and clear of any row a migration made).
        base = 100_000 + side_no * 10_000_000

        def ids(count: int) -> range:
            return range(base, base + count)

        # Organisation ---------------------------------------------------------------
        board_ids = list(ids(BOARDS))
        tables.copy(
            "registry_board",
            ["id", "sourced_id", "created_at", "updated_at", "number", "name"],
            (
                (pk, uuid.uuid4(), now, now, f"{side_no + 1}{i:04d}", f"Scholengroep {side} {i}")
                for i, pk in enumerate(board_ids)
            ),
        )
        community_count = -(-args.schools // SCHOOLS_PER_COMMUNITY)
        community_ids = list(ids(community_count))
        tables.copy(
            "registry_community",
            ["id", "sourced_id", "created_at", "updated_at", "number", "name"],
            (
                (pk, uuid.uuid4(), now, now, f"SG{side_no + 1}{i:03d}", f"Scholengemeenschap {i}")
                for i, pk in enumerate(community_ids)
            ),
        )
        school_ids = list(ids(args.schools))
        numbers = [f"{(side_no + 1) * 100000 + i * 7:06d}" for i in range(args.schools)]
        tables.copy(
            "registry_institution",
            ["id", "sourced_id", "created_at", "updated_at", "number", "name", "level",
             "board_id", "community_id", "contact_source", "country"],
            (
                (pk, uuid.uuid4(), now, now, numbers[i], f"School {numbers[i]}",
                 "secondary" if i % 3 == 0 else "primary",
                 board_ids[i % BOARDS], community_ids[i // SCHOOLS_PER_COMMUNITY],
                 "parents", "BE")
                for i, pk in enumerate(school_ids)
            ),
        )  # fmt: skip
        (year_id,) = ids(1)
        tables.copy(
            "registry_schoolyear",
            ["id", "sourced_id", "created_at", "updated_at", "start_year"],
            [(year_id, uuid.uuid4(), now, now, START_YEAR)],
        )

        # Classes: each school's pupils in classes of 25 -----------------------------
        school_of_pupil = sorted(rng.randrange(args.schools) for _ in range(args.pupils))
        class_rows, class_of_pupil, class_number = [], [], []
        class_pk = base
        current: tuple[int, int] | None = None
        for school in school_of_pupil:
            if current is None or current[0] != school or class_number[-1] >= PUPILS_PER_CLASS:
                seq = 0 if current is None or current[0] != school else current[1] + 1
                current = (school, seq)
                year = seq % 6 + 1
                class_rows.append(
                    (class_pk, uuid.uuid4(), now, now, school_ids[school], year_id,
                     f"{year}{chr(65 + seq // 6)}", "", year, "[]", "LO", "", False, True)
                )  # fmt: skip
                class_pk += 1
                class_number.append(0)
            class_number[-1] += 1
            class_of_pupil.append((class_rows[-1][0], class_number[-1]))
        tables.copy(
            "registry_schoolclass",
            ["id", "sourced_id", "created_at", "updated_at", "institution_id", "school_year_id",
             "code", "stage", "year", "years", "curriculum", "kindergarten_level",
             "is_leavers", "is_active"],
            class_rows,
        )  # fmt: skip

        # Pupils, enrolments, aliases, audit ------------------------------------------
        mine = people(args.seed, side_no, args.pupils)
        refs = references(args.seed, 0, args.pupils, {})
        if side_no:
            theirs = people(args.seed, 0, args.pupils)
            for index in shared["same_pupils"]:
                mine[index] = theirs[index]  # the same child, enrolled on both sides
            for index in shared["candidates"]:
                mine[index] = (*theirs[index][:4], None)  # no national number on this side
            forced = {i: refs[i] for i in shared["reference_collisions"]}
            refs = references(args.seed, 1, args.pupils, forced)
        pupil_rows, enrolment_rows, alias_rows, audit_rows = [], [], [], []
        for index, (family, given, gender, born, nn) in enumerate(mine):
            pk = base + index
            ref = refs[index]
            school = school_of_pupil[index]
            sourced_id = uuid.uuid4()
            pupil_rows.append(
                (pk, sourced_id, now, now, school_ids[school], nn, family, given, gender, born,
                 "", "", "", "{}", "{}", "{}", "", "wisa", False, ref)
            )  # fmt: skip
            class_id, number = class_of_pupil[index]
            enrolment_rows.append((pk, uuid.uuid4(), now, now, pk, class_id, year_id, number))
            alias_rows.append(
                (pk, "wisa", numbers[school], "pupil", f"W{side_no}{index:07d}", sourced_id, False)
            )
            audit_rows.append(
                (pk, now, "secretariaat", "synchronisatie (wisa)", base + school,
                 numbers[school], "pupil", sourced_id, "create",
                 orjson.dumps({"class": [None, "?"], "structured_reference": [None, ref]}).decode())
            )  # fmt: skip
        tables.copy(
            "sync_syncrun",
            ["id", "started_at", "finished_at", "started_by", "source", "institution_number",
             "source_hash", "options", "status", "counts", "findings"],
            (
                (base + i, now, now, "secretariaat", "wisa", numbers[i], "", "{}", "applied",
                 "{}", "[]")
                for i in range(args.schools)
            ),
        )  # fmt: skip
        tables.copy(
            "registry_pupil",
            ["id", "sourced_id", "created_at", "updated_at", "institution_id", "national_number",
             "family_name", "given_name", "gender", "birth_date", "registration_number",
             "email", "phone", "contacts", "address", "care_record", "eckid", "origin",
             "is_leaver", "structured_reference"],
            pupil_rows,
        )  # fmt: skip
        tables.copy(
            "registry_enrolment",
            ["id", "sourced_id", "created_at", "updated_at", "pupil_id", "school_class_id",
             "school_year_id", "class_number"],
            enrolment_rows,
        )  # fmt: skip
        tables.copy(
            "registry_sourcealias",
            ["id", "source", "scope", "kind", "external_id", "sourced_id", "outward"],
            alias_rows,
        )
        tables.copy(
            "audit_auditentry",
            ["id", "at", "actor", "reason", "sync_run_id", "institution_number", "entity",
             "entity_sourced_id", "action", "changes"],
            audit_rows,
        )  # fmt: skip

        # Staff, assignments, teaching, users -----------------------------------------
        classes_of: dict[int, list[int]] = {}
        for row in class_rows:
            classes_of.setdefault(row[4], []).append(row[0])
        staff_count = args.pupils // 12
        same_staff = set(shared["same_staff"])
        staff_rows, assignment_rows, teaching_rows = [], [], []
        for index in range(staff_count):
            pk = base + index
            if side_no and index in same_staff:
                email = f"leerkracht{index}@groep0.be"  # works in both groups
            else:
                email = f"leerkracht{index}@groep{side_no}.be"
            staff_rows.append(
                (pk, uuid.uuid4(), now, now, email, GIVEN[index % 30], FAMILY[index % 30])
            )
            school = index % args.schools
            assignment_rows.append(
                (pk, uuid.uuid4(), now, now, pk, school_ids[school], "teacher",
                 datetime.date(2020, 9, 1), None, "staff_upload")
            )  # fmt: skip
            class_id = rng.choice(classes_of[school_ids[school]])
            teaching_rows.append((pk, uuid.uuid4(), pk, class_id, None, None, now))
        directors = []
        for school in range(args.schools):
            pk = base + staff_count + school
            email = f"directie.{numbers[school]}@groep{side_no}.be"
            directors.append((school, email))
            staff_rows.append((pk, uuid.uuid4(), now, now, email, "Dirk", f"Directeur{school}"))
            assignment_rows.append(
                (pk, uuid.uuid4(), now, now, pk, school_ids[school], "director",
                 datetime.date(2019, 9, 1), None, "staff_upload")
            )  # fmt: skip
        tables.copy(
            "registry_staff",
            ["id", "sourced_id", "created_at", "updated_at", "email", "given_name",
             "family_name"],
            staff_rows,
        )  # fmt: skip
        tables.copy(
            "registry_assignment",
            ["id", "sourced_id", "created_at", "updated_at", "staff_id", "institution_id",
             "role", "start_date", "end_date", "origin"],
            assignment_rows,
        )  # fmt: skip
        tables.copy(
            "registry_assignment_classes",
            [
                "id",
                "sourced_id",
                "assignment_id",
                "schoolclass_id",
                "start_date",
                "end_date",
                "updated_at",
            ],
            teaching_rows,
        )
        user_collisions = set(shared["user_collisions"])
        tables.copy(
            "auth_user",
            ["id", "password", "is_superuser", "username", "first_name", "last_name", "email",
             "is_staff", "is_active", "date_joined"],
            (
                (base + school, "!", False,
                 # a colliding one: the receiving side's director of school `school` has it
                 f"directie{school}" + ("-b" if side_no and school not in user_collisions
                                        else ""),
                 "Dirk", f"Directeur{school}", email, False, True, now)
                for school, email in directors
            ),
        )  # fmt: skip
        committing = time.perf_counter()
        connection.commit()  # the deferred foreign keys are checked here
        connection.autocommit = True
        committed = time.perf_counter()
        connection.execute("VACUUM ANALYZE")
        phases = {
            "rows made (Python)": committing - started - tables.seconds,
            "COPY": tables.seconds,
            "commit (foreign keys)": committed - committing,
            "VACUUM ANALYZE": time.perf_counter() - committed,
        }
    return name, tables.counts, time.perf_counter() - started, phases


# --- the merge ---------------------------------------------------------------------------


def merge(args) -> None:
    os.environ["DATABASE_URL"] = f"{HOST}/{args.receiving}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbrug.settings")
    os.environ.setdefault("SCHOOLBRUG_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from schoolbrug.merge import plan as plans

    source_url = f"{HOST}/{args.moving}"
    before = _counts(args.receiving), _counts(args.moving)
    central_admin = "directie.100000@groep0.be"

    started = time.perf_counter()
    plan = plans.make_plan(
        source_url, central_admin=central_admin, receiving_board=_first_board(args.receiving)
    )
    plan_seconds = time.perf_counter() - started
    collisions = plan["collisions"]
    print(
        f"plan: {plan_seconds:.1f} s — {len(plan['institutions'])} institutions, "
        f"{len(plan['same_people'])} same people, {len(plan['candidates'])} candidates, "
        + ", ".join(f"{key} {len(value)}" for key, value in collisions.items())
    )
    for candidate in plan["candidates"]:
        candidate["decision"] = "different"  # the bench's person decides
    plan = plans.seal(plan)

    run, steps, total = timed_execute(plan, source_url)
    report = json.loads(Path(run.report_path).read_text(encoding="utf-8"))
    fold_seconds = steps["fold"]
    after = _counts(args.receiving)
    print(
        f"fold: {fold_seconds:.1f} s; plan + fold {plan_seconds + fold_seconds:.1f} s "
        f"(load {os.getloadavg()[0]:.1f}, machine {_machine_speed():.0f} ms)"
    )
    print(f"  {'table':<32} {'receiving':>10} {'moving':>10} {'after':>10}")
    for table in sorted(set(before[0]) | set(after)):
        print(
            f"  {table:<32} {before[0].get(table, 0):>10,} {before[1].get(table, 0):>10,} "
            f"{after.get(table, 0):>10,}"
        )
    for phase, seconds in (report.get("timings") or {}).items():
        print(f"  fold phase {phase:<20} {seconds:.1f} s")
    print(
        f"execute end to end: {total:.1f} s (run {run.pk}, {run.state}; "
        f"load {os.getloadavg()[0]:.1f}, machine {_machine_speed():.0f} ms)"
    )
    for step, seconds in steps.items():
        print(f"  {step:<44} {seconds:>7.1f} s")
    other = total - sum(steps.values())
    print(f"  {'other (the run rows, between the steps)':<44} {other:>7.1f} s")
    print(f"plan + execute + id maps: {plan_seconds + total:.1f} s")


def _prepare_execute(plan: dict, alias: str) -> str:
    """What a person does before execute, untimed: a board admin of the receiving board to
    start it, every director's approval (each side's in its own database). Returns the
    starter's e-mail address."""
    from django.contrib.auth import get_user_model

    from schoolbrug.merge import approvals
    from schoolbrug.merge.models import MergeApproval
    from schoolbrug.registry.models import Board
    from schoolbrug.roles.models import RoleGrant

    starter = "bench.beheer@groep0.be"
    user = get_user_model().objects.filter(email=starter).first()
    if user is None:
        user = get_user_model().objects.create_user("bench.beheer", starter, None)
    board = Board.objects.get(sourced_id=plan["receiving_board"]["sourced_id"])
    RoleGrant.objects.get_or_create(user=user, role=RoleGrant.Role.BOARD_ADMIN, board=board)
    for side, using in (("receiving", "default"), ("moving", alias)):
        MergeApproval.objects.using(using).bulk_create(
            [
                MergeApproval(
                    digest=plan["digest"],
                    email=a.email,
                    institution_number=a.institution,
                    side=side,
                    via=MergeApproval.Via.CLI,
                )  # fmt: skip
                for a in approvals.approvers(plan)
                if a.side == side
            ],
            ignore_conflicts=True,
        )
    return starter


def timed_execute(plan: dict, source_url: str):
    """`execute` as `schoolbrug merge execute` runs it, each step timed where execute calls
    it (the module's functions wrapped, nothing else changed): checks (unique values read
    again, approvals, starter, approver list), the read-only flag (with its settle wait),
    waiting for syncs, the backup, the fold, the report; then the id maps (CSV and XLSX) a
    person asks for after.
    Returns the run, the seconds per step and the total."""
    from django.conf import settings

    from schoolbrug.audit.context import acting
    from schoolbrug.merge import backup, execute, fold, id_maps, readonly, source

    alias = source.connect(source_url)
    with acting("cli", "merge bench: a board admin and the approvals"):
        starter = _prepare_execute(plan, alias)
    steps: dict[str, float] = {}

    def timing(name: str, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                steps[name] = steps.get(name, 0.0) + time.perf_counter() - started

        return timed

    settle = settings.SCHOOLBRUG_MERGE_SETTLE_SECONDS
    wrapped = {
        (execute, "source_connect"): lambda: timing("connect the other database", source.connect),
        (execute, "check"): timing("checks (unique values, approvals, starter)", execute.check),
        (execute, "register"): timing("plan registered", execute.register),
        (readonly, "raise_flag"): timing(
            f"read-only flag up (settle {settle} s)", readonly.raise_flag
        ),
        (execute, "wait_for_syncs"): timing("wait for syncs", execute.wait_for_syncs),
        (backup, "take"): timing("backup", backup.take),
        (execute, "fold_apply"): lambda: timing("fold", fold.apply),
        (execute, "write_report"): timing("report written", execute.write_report),
        (readonly, "lower_flag"): timing("read-only flag down", readonly.lower_flag),
    }
    originals = {key: getattr(*key) for key in wrapped}
    for (module, name), replacement in wrapped.items():
        setattr(module, name, replacement)
    try:
        started = time.perf_counter()
        with acting(starter, "merge bench"):  # as `schoolbrug merge execute` logs it
            run = execute.execute(plan, starter=starter, source_url=source_url)
        report = json.loads(Path(run.report_path).read_text(encoding="utf-8"))
        folder = Path(run.report_path).parent
        timing("id maps (CSV)", id_maps.write_csv)(report, folder / f"nummers-{run.pk}.csv")
        timing("id maps (XLSX)", id_maps.write_xlsx)(report, folder / f"nummers-{run.pk}.xlsx")
        total = time.perf_counter() - started
    finally:
        for (module, name), original in originals.items():
            setattr(module, name, original)
    return run, steps, total


def _first_board(database: str) -> str:
    """The receiving side's first board: the one the moving schools join (execute's starter
    is its board admin)."""
    with psycopg.connect(f"{HOST}/{database}") as connection:
        row = connection.execute("SELECT number FROM registry_board ORDER BY id LIMIT 1").fetchone()
    return row[0]


def _counts(database: str) -> dict[str, int]:
    """Exact rows per table of the registry and the audit (the tables the bench fills)."""
    tables = [
        "registry_board",
        "registry_community",
        "registry_institution",
        "registry_schoolyear",
        "registry_schoolclass",
        "registry_pupil",
        "registry_enrolment",
        "registry_sourcealias",
        "registry_staff",
        "registry_assignment",
        "registry_assignment_classes",
        "registry_paymentreferencealias",
        "audit_auditentry",
        "sync_syncrun",
        "auth_user",
    ]
    with psycopg.connect(f"{HOST}/{database}") as connection, connection.cursor() as cursor:
        return {
            table: cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables
        }


if __name__ == "__main__":
    main()
