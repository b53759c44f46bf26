"""Pupil log-in benchmark (not a test): the PIN and picture log-ins of a region's pupils,
served by gunicorn with 2 worker processes on PostgreSQL, load from a second process on
loopback. Issue 21's target: ≥ 500 log-ins/s with p99 under 100 ms at nine in the morning.

    uv run python bench/platform_bench.py                    # fill, serve, measure
    uv run python bench/platform_bench.py --reuse            # the database of an earlier run

Fills the database (default `sb_platform_bench`) with `--schools` schools of 8 classes of 25
pupils, half the classes logging in with a PIN and half with pictures (bulk statements; the
PINs encrypted as in production), then sends each log-in as a browser does: a POST with the
CSRF cookie and token and the device cookie of a tablet set up for the class (class codes) to
the pupil's login URL, answered by a redirect to their products page and a signed session
cookie. A log-in counts when it gets that redirect; anything else is an
error. Also measures linking 1,000 pupils to a child licence in one action.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api_bench import _cpu_per_request, _cpu_seconds  # noqa: E402
from bench.load import _get  # noqa: E402

print = functools.partial(print, flush=True)  # noqa: A001 - figures appear as they come
ROOT = Path(__file__).resolve().parent.parent
CLASSES_PER_SCHOOL = 8
PUPILS_PER_CLASS = 25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--database", default="sb_platform_bench")
    parser.add_argument("--reuse", action="store_true", help="keep the filled database")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbrug.settings")
    if not args.reuse:
        for sql in (f"DROP DATABASE IF EXISTS {args.database}", f"CREATE DATABASE {args.database}"):
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    # Also on --reuse: a database filled before a new migration.
    subprocess.run(
        [sys.executable, "-m", "schoolbrug.cli", "migrate", "-v", "0"], check=True, cwd=ROOT
    )
    import django

    django.setup()
    if not args.reuse:
        fill(args.schools)
    logins = answers()
    print(f"{len(logins)} pupils in {args.schools} schools; linking 1,000 pupils to a licence:")
    print(f"  {link_thousand():.0f} ms")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "schoolbrug.wsgi", "-w", str(args.workers),
         "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ, "SCHOOLBRUG_ALLOWED_HOSTS": "127.0.0.1"},
    )  # fmt: skip
    try:
        _wait_for(port)
        print(
            f"gunicorn {args.workers} sync workers, {args.concurrency} connections from a "
            f"second process, {args.seconds:.0f} s, {os.cpu_count()} cores"
        )
        _in_second_process(port, logins, args, seconds=min(3.0, args.seconds))  # warm
        load_before = os.getloadavg()[0]
        before = _cpu_seconds(server.pid)
        figures = _in_second_process(port, logins, args, seconds=args.seconds)
        workers, database = _cpu_per_request(before, _cpu_seconds(server.pid), figures["requests"])
        print(
            f"log-ins (PIN and pictures) {figures['requests_per_s']:7.0f} /s  "
            f"p50 {figures['p50_ms']:6.1f} ms  p99 {figures['p99_ms']:6.1f} ms  "
            f"max {figures['max_ms']:6.0f} ms  errors {figures['errors']}"
            + (f" {figures['first_errors']}" if figures["errors"] else "")
        )
        print(
            f"CPU per log-in: workers {workers:.2f} ms, PostgreSQL {database:.2f} ms, "
            f"load generator {figures['loader_cpu_ms']:.2f} ms; load average before "
            f"{load_before:.1f} (other processes on the machine)"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def fill(schools: int) -> None:
    """Schools, classes, pupils, enrolments and logins with bulk statements."""
    import datetime

    from schoolbrug.audit.context import acting
    from schoolbrug.platform.models import ClassLogin, LoginMethod, PupilLogin
    from schoolbrug.platform.pictures import NAMES
    from schoolbrug.platform.pupil_login import new_pin
    from schoolbrug.registry.models import (
        Enrolment,
        Institution,
        Pupil,
        SchoolClass,
        SchoolYear,
    )

    started = time.perf_counter()
    rng = random.Random(21)
    with acting("bench", "platform bench"):
        year, _ = SchoolYear.objects.get_or_create(
            start_year=SchoolYear.start_year_for(datetime.date.today())
        )
        institutions = Institution.objects.bulk_create(
            [Institution(number=f"9{n:05d}", name=f"Benchschool {n}") for n in range(schools)]
        )
        classes = SchoolClass.objects.bulk_create(
            [
                SchoolClass(institution=i, school_year=year, code=f"{c + 1}A", year=c + 1)
                for i in institutions
                for c in range(CLASSES_PER_SCHOOL)
            ]
        )
        ClassLogin.objects.bulk_create(
            [
                ClassLogin(
                    school_class=c,
                    method=LoginMethod.PIN if n % 2 == 0 else LoginMethod.PICTURES,
                )
                for n, c in enumerate(classes)
            ]
        )
        pupils = Pupil.objects.bulk_create(
            [
                Pupil(institution_id=c.institution_id, family_name=f"B{n}", given_name="Kim")
                for c in classes
                for n in range(PUPILS_PER_CLASS)
            ],
            batch_size=5000,
        )
        Enrolment.objects.bulk_create(
            [
                Enrolment(
                    pupil=p,
                    school_class=classes[n // PUPILS_PER_CLASS],
                    school_year=year,
                    class_number=n % PUPILS_PER_CLASS + 1,
                )
                for n, p in enumerate(pupils)
            ],
            batch_size=5000,
        )
        PupilLogin.objects.bulk_create(
            [PupilLogin(pupil=p, pin=new_pin(), picture=rng.choice(NAMES)) for p in pupils],
            batch_size=5000,
        )
    print(f"filled {len(pupils)} pupils in {time.perf_counter() - started:.1f} s")


def answers() -> list[tuple[str, bytes, str]]:
    """(path, form body, device cookie) of every pupil's right answer: each tablet was set up
    for its class (the signed cookie "Dit toestel instellen voor deze klas" gives)."""
    from django.core import signing

    from schoolbrug.platform import class_codes
    from schoolbrug.platform.models import ClassLogin, PupilLogin

    token = TOKEN
    signer = signing.get_cookie_signer(salt=class_codes.COOKIE + class_codes.SALT)
    devices = {
        class_id: signer.sign(f"{pk}.{version}")
        for class_id, pk, version in ClassLogin.objects.filter(
            school_class__institution__number__startswith="9"
        ).values_list("school_class__sourced_id", "school_class_id", "code_version")
    }
    rows = PupilLogin.objects.filter(pupil__institution__number__startswith="9").values_list(
        "pupil__institution__number",
        "pupil__enrolments__school_class__sourced_id",
        "pupil__sourced_id",
        "pupil__enrolments__school_class__platform_login__method",
        "pin",
        "picture",
    )
    found = []
    for number, class_id, pupil_id, method, pin, picture in rows.iterator():  # pin: decrypted
        field = f"pin={pin}" if method == "pin" else f"plaatje={picture}"
        found.append(
            (
                f"/leerplatform/{number}/{class_id}/{pupil_id}/",
                f"csrfmiddlewaretoken={token}&{field}".encode(),
                f"{class_codes.COOKIE}={devices[class_id]}",
            )
        )
    return found


# One CSRF secret for the whole run, as one browser would keep it (cookie and form field);
# passed to the load process (a spawned process imports this module again).
TOKEN = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32))


def link_thousand() -> float:
    from schoolbrug.audit.context import acting
    from schoolbrug.platform import licences
    from schoolbrug.platform.models import Licence, Product
    from schoolbrug.registry.models import Institution, Pupil

    institution = Institution.objects.filter(number__startswith="9").order_by("number").first()
    product, _ = Product.objects.get_or_create(code="BENCH", defaults={"name": "Bench"})
    licence = Licence.objects.create(
        institution=institution, product=product, kind="child", seats=1000
    )
    pupils = list(Pupil.objects.filter(institution=institution)[:1000])
    more = list(
        Pupil.objects.filter(institution__number__startswith="9").exclude(institution=institution)[
            : 1000 - len(pupils)
        ]
    )
    # Seats are for the licence's own school: move the extra pupils' school for this run.
    Pupil.objects.filter(pk__in=[p.pk for p in more]).update(institution=institution)
    pupils = list(Pupil.objects.filter(pk__in=[p.pk for p in pupils + more]))
    started = time.perf_counter()
    with acting("bench", "platform bench"):
        licences.link_pupils(licence, pupils)
    elapsed = (time.perf_counter() - started) * 1000
    licence.seat_links.all().delete()
    licence.delete()
    return elapsed


def run_posts(port: int, logins, token: str, seconds: float, concurrency: int) -> dict:
    latencies, errors = [], []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    requests = [
        (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: csrftoken={token}; {device}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        + body
        for path, body, device in logins
    ]

    def client(seed: int) -> None:
        rng = random.Random(seed)
        mine, bad = [], []
        while time.perf_counter() < deadline:
            request = requests[rng.randrange(len(requests))]
            started = time.perf_counter()
            try:
                status, _ = _get("127.0.0.1", port, request)
                if status != 302:
                    bad.append(str(status))
            except OSError as error:
                bad.append(str(error))
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    started = time.perf_counter()
    cpu_started = time.process_time()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    loader_cpu = time.process_time() - cpu_started
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "loader_cpu_ms": loader_cpu / max(len(latencies), 1) * 1000,
        "requests": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:3],
        "requests_per_s": len(latencies) / wall,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "max_ms": latencies[-1] * 1000 if latencies else 0.0,
    }


def _in_second_process(port: int, logins, args, seconds: float) -> dict:
    with get_context("spawn").Pool(1) as pool:
        return pool.apply(run_posts, (port, logins, TOKEN, seconds, args.concurrency))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int) -> None:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


if __name__ == "__main__":
    main()
