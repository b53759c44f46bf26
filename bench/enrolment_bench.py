"""Public LOP page benchmark (not a test): the page of a LOP of 150 schools on PostgreSQL,
served by gunicorn with 2 worker processes, load from a second process on loopback; then a
change by a school admin, which must be on the page at the next request.

    uv run python bench/enrolment_bench.py [--database sb_enrolment] [--seconds 20]

Fills the database with a LOP of 150 schools (the types in a region's proportions, 8 to 12
programmes each for both school years, double quota, AN at a third of the primary schools),
serves it, warms each worker, measures requests/s and latency percentiles, and checks that a
saved change is visible at once.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api_bench import (  # noqa: E402
    _cpu_per_request,
    _cpu_seconds,
    _free_port,
    _in_second_process,
    _machine_speed,
    _wait_for,
)

print = functools.partial(print, flush=True)  # noqa: A001
ROOT = Path(__file__).resolve().parent.parent
SLUG = "bench"
SCHOOLS = 150


def fill(database: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from schoolbrug.audit.context import acting
    from schoolbrug.enrolment.models import (
        NEWCOMERS_CODE,
        AdministrativeGroup,
        Lop,
        LopSchool,
        Offer,
        SchoolType,
        Year,
    )
    from schoolbrug.registry.models import Institution

    rng = random.Random(2026)
    with acting("bench", "bench fill"):
        Lop.objects.filter(slug=SLUG).delete()
        lop = Lop.objects.create(
            name="LOP Bench", slug=SLUG, double_quota=True, current_year_start=2026
        )
        forms = ("GSO", "ASO", "BSO", "TSO", "KSO")
        groups = [
            AdministrativeGroup.objects.get_or_create(
                code=80000 + n,
                defaults={
                    "name": f"Opleiding {n}",
                    "form": forms[n % 5],
                    "stage": ("Eerste graad", "Tweede graad", "Derde graad")[n % 3],
                    "year": str(1 + n % 2),
                },
            )[0]
            for n in range(40)
        ]
        newcomers = AdministrativeGroup.objects.get(code=NEWCOMERS_CODE)
        types = [SchoolType.BAO] * 90 + [SchoolType.SO] * 40 + [SchoolType.BUBAO] * 8
        types += [SchoolType.BUSO] * 6 + [SchoolType.FIRST_GRADE] * 6
        offers = []
        for n, school_type in enumerate(types[:SCHOOLS]):
            institution, _ = Institution.objects.get_or_create(
                number=f"9{n:05d}", defaults={"name": f"Benchschool {n}"}
            )
            school = LopSchool.objects.create(
                lop=lop, institution=institution, school_type=school_type
            )
            chosen = rng.sample(groups, rng.randint(8, 12))
            if school_type == SchoolType.BAO and n % 3 == 0:
                chosen.append(newcomers)
            for year in Year.values:
                for group in chosen:
                    capacity = rng.choice((24, 28, 48, 56))
                    free = rng.randint(0, capacity // 3)
                    offers.append(
                        Offer(
                            school=school,
                            year=year,
                            group=group,
                            capacity=capacity,
                            free_places=free,
                            free_places_indicator=free // 3,
                        )
                    )
        Offer.objects.bulk_create(offers)
        Lop.objects.filter(pk=lop.pk).update(version=1)
    print(f"LOP of {SCHOOLS} schools, {len(offers)} offers in {database}")


def get(port: int, path: str) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def change_is_visible(port: int) -> str:
    from schoolbrug.audit.context import acting
    from schoolbrug.enrolment import editing
    from schoolbrug.enrolment.models import LopSchool, Offer
    from schoolbrug.roles.models import RoleGrant

    offer = Offer.objects.filter(school__lop__slug=SLUG, year="next").order_by("pk").first()
    school = LopSchool.objects.get(pk=offer.school_id)
    new = 1000 + (offer.capacity or 0)
    admin = RoleGrant.objects.filter(lop_school=school).first()
    user = admin.user if admin else None
    if user is None:
        from django.contrib.auth import get_user_model

        user, _ = get_user_model().objects.get_or_create(
            username="bench-expert", defaults={"email": "bench@lop.invalid"}
        )
        RoleGrant.objects.get_or_create(user=user, role="lop_expert", lop=school.lop)
    status, before = get(port, f"/aanmelden/{SLUG}/")  # kept in that worker
    with acting("bench", "bench change"):
        editing.save_offers(user, school, {offer.pk: {"capacity": str(new)}})
    seen = []
    for _ in range(4):  # both workers, each had the old page
        status, body = get(port, f"/aanmelden/{SLUG}/")
        seen.append(status == 200 and re.search(rf">{new}<".encode(), body) is not None)
    return "yes, on every request after the save" if all(seen) else f"NO: {seen}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="sb_enrolment")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbrug.settings")
    fill(args.database)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "schoolbrug.wsgi", "-w", str(args.workers),
         "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ, "SCHOOLBRUG_ALLOWED_HOSTS": "127.0.0.1"},
    )  # fmt: skip
    try:
        _wait_for(port)
        status, body = get(port, f"/aanmelden/{SLUG}/")
        print(f"page: HTTP {status}, {len(body):,} bytes (without gzip)")
        # as every phone and browser asks: the page is kept gzipped (public_cache.py)
        headers = {"Host": "127.0.0.1", "Accept-Encoding": "gzip, deflate, br"}
        paths = [f"/aanmelden/{SLUG}/"]
        _in_second_process(port, paths, headers, args, seconds=3)  # warm both workers
        time.sleep(1)
        speed = _machine_speed()
        before = _cpu_seconds(server.pid)
        figures = _in_second_process(port, paths, headers, args, seconds=args.seconds)
        workers, database = _cpu_per_request(before, _cpu_seconds(server.pid), figures["requests"])
        print(
            f"public page, {SCHOOLS} schools: {figures['requests_per_s']:.0f} req/s  "
            f"p50 {figures['p50_ms']:.1f} ms  p99 {figures['p99_ms']:.1f} ms  "
            f"max {figures['max_ms']:.0f} ms  errors {figures['errors']}  "
            f"({args.workers} gunicorn workers, {args.concurrency} connections, "
            f"{args.seconds:.0f} s, {os.cpu_count()} cores)"
        )
        print(
            f"CPU/request: workers {workers:.2f} ms, PostgreSQL {database:.2f} ms "
            f"(machine: {speed:.0f} ms for api_bench's fixed loop; load average "
            f"{os.getloadavg()[0]:.1f})"
        )
        print(f"a school admin's change visible at once: {change_is_visible(port)}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
