"""OneRoster API benchmark (not a test): the users endpoint over 1.2 M pupils on PostgreSQL,
served by gunicorn with 2 worker processes, load from a second process on loopback.

    uv run python bench/api_bench.py                 # generate, sync, serve, measure
    uv run python bench/api_bench.py --reuse         # the database of an earlier run

Fills the database `schoolbrug_apibench` with a generated region through the real sync (as
bench/sync_bench.py does), lets every institution share class information with one app that
they all granted all classes (the most rows: the app sees all 1.2 M pupils), then measures
requests/s and latency percentiles per scenario: pages of 100 near the start, pages of 100
anywhere, an incremental `dateLastModified>` page, one school's pupils, and pages of 5000.
Then the same pages for an app that only 50 schools granted (its pupils spread over the
table), the common case of an app in use at some schools.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import run_load  # noqa: E402

print = functools.partial(print, flush=True)  # noqa: A001 - figures appear as they come
ROOT = Path(__file__).resolve().parent.parent
DATABASE = "schoolbrug_apibench"
URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
API = "/ims/oneroster/rostering/v1p2"


def main() -> None:
    global DATABASE, URL
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pupils", type=int, default=1_200_000)
    parser.add_argument("--reuse", action="store_true", help="keep the filled database")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default=DATABASE, help="PostgreSQL database to fill")
    args = parser.parse_args()
    DATABASE, URL = args.database, URL.replace(DATABASE, args.database)
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbrug.settings")
    if not args.reuse:
        fill(args.pupils)
    tokens, samples = prepare()
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
            f"second process, {args.seconds:.0f} s per scenario, {os.cpu_count()} cores"
        )
        for title, (app, paths) in scenarios(samples).items():
            headers = {"Authorization": f"Bearer {tokens[app]}", "Host": "127.0.0.1"}
            # Warm: each worker counts a collection once per data version (counts.py); a
            # consumer paging through meets that once, not per page.
            _in_second_process(port, paths, headers, args, seconds=min(5.0, args.seconds))
            speed = _machine_speed()
            before = _cpu_seconds(server.pid)
            figures = _in_second_process(port, paths, headers, args, seconds=args.seconds)
            workers, database = _cpu_per_request(
                before, _cpu_seconds(server.pid), figures["requests"]
            )
            print(
                f"{title:<48} {figures['requests_per_s']:7.0f} req/s  "
                f"p50 {figures['p50_ms']:6.1f} ms  p99 {figures['p99_ms']:6.1f} ms  "
                f"max {figures['max_ms']:6.0f} ms  errors {figures['errors']}  "
                f"CPU/request: workers {workers:.2f} ms, PostgreSQL {database:.2f} ms  "
                f"(machine: {speed:.0f} ms)"
                + (f" {figures['first_errors']}" if figures["errors"] else "")
            )
        print(
            "CPU/request: CPU time of the gunicorn workers and of all PostgreSQL processes "
            "per answered request. machine: CPU time of a fixed pure-Python loop just before "
            "the scenario (median of 5); on a shared virtual machine it varies by 2x from "
            "minute to minute, and requests/s with it, while CPU/request varies much less."
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def fill(pupils: int) -> None:
    for sql in (f"DROP DATABASE IF EXISTS {DATABASE}", f"CREATE DATABASE {DATABASE}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    data = Path(tempfile.gettempdir()) / f"schoolbrug-bench-{pupils}"
    if not (data / "night1").exists():
        subprocess.run(
            [sys.executable, "-m", "schoolbrug.cli", "generate", "--pupils", str(pupils),
             "--out", str(data)],
            check=True,
            cwd=ROOT,
        )  # fmt: skip
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "sync_bench.py"), "--worker-fill", str(data)],
        check=True,
        cwd=ROOT,
    )


def prepare() -> tuple[dict[str, str], dict]:
    """Every institution shares and grants the bench app all classes; 50 of them (spread
    over the region) grant a second app too. Returns a token per app and sample ids for
    the scenarios."""
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    from schoolbrug.registry.models import Enrolment, Institution
    from schoolbrug.sharing import access, generation
    from schoolbrug.sharing.models import App, AppGrant, ProtocolVersion, Sharing

    now = timezone.now()
    protocol = ProtocolVersion.current()
    sharing_done = set(
        Sharing.objects.filter(deactivated_at__isnull=True).values_list("institution_id", flat=True)
    )
    institutions = list(Institution.objects.order_by("pk").values_list("pk", flat=True))
    Sharing.objects.bulk_create(
        Sharing(institution_id=pk, protocol=protocol, activated_at=now, activated_by="bench")
        for pk in institutions
        if pk not in sharing_done
    )
    tokens = {}
    for name, granting in (
        ("all", institutions),
        ("fifty", institutions[:: len(institutions) // 50][:50]),
    ):
        app = App.objects.filter(name=f"bench-{name}").first()
        app = app or access.create_app(f"bench-{name}")[0]
        granted = set(AppGrant.objects.filter(app=app).values_list("institution_id", flat=True))
        AppGrant.objects.bulk_create(
            AppGrant(app=app, institution_id=pk, granted_at=now, granted_by="bench")
            for pk in granting
            if pk not in granted
        )
        tokens[name] = AccessToken.objects.create(
            application=app.application,
            token=f"bench-{random.getrandbits(64):x}",
            expires=now + datetime.timedelta(hours=2),
            scope="https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly",
        ).token
    generation.bump()  # bulk writes send no signals
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    schools = Institution.objects.order_by("number").values_list("sourced_id", flat=True)
    school = schools[len(schools) // 2]  # the same school every run
    return tokens, {
        "total": Enrolment.objects.count(),
        "school": school,
        "since": (now - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def scenarios(samples: dict) -> dict[str, tuple[str, list[str]]]:
    """title -> (the app whose token asks, the paths it asks, one at random per request)."""
    rng = random.Random(7)
    total = samples["total"]

    def pages(limit: int, upto: int) -> list[str]:
        return [
            f"{API}/users?limit={limit}&offset={rng.randrange(0, max(1, upto), limit)}"
            for _ in range(500)
        ]

    return {
        "users, page of 100, first 100 pages": ("all", pages(100, 10_000)),
        f"users, page of 100, anywhere in {total:,}": ("all", pages(100, total)),
        "users, dateLastModified> last hour, page of 100": (
            "all",
            [f"{API}/users?limit=100&filter=dateLastModified%3E'{samples['since']}'"],
        ),
        "one school's students, page of 100": (
            "all",
            [f"{API}/schools/{samples['school']}/students?limit=100"],
        ),
        "users, page of 5000, first 20 pages": ("all", pages(5000, 100_000)),
        # About 17,000 pupils: the pages of an app that 50 schools granted.
        "50 schools' app: users, page of 100, all pages": ("fifty", pages(100, 17_000)),
        "50 schools' app: users, page of 5000": ("fifty", pages(5000, 17_000)),
    }


def _in_second_process(port: int, paths, headers, args, seconds: float) -> dict:
    with get_context("spawn").Pool(1) as pool:
        return pool.apply(
            run_load,
            ("127.0.0.1", port, paths, headers),
            {"seconds": seconds, "concurrency": args.concurrency},
        )


def _cpu_seconds(server: int) -> dict[int, tuple[str, float]]:
    """pid -> ("workers" for gunicorn `server` and its workers, "database" for PostgreSQL,
    CPU seconds so far), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        pid, parent = int(entry.name), int(fields[1])
        kind = "workers" if server in (pid, parent) else "database"
        if kind == "workers" or name.startswith("postgres"):
            found[pid] = (kind, (int(fields[11]) + int(fields[12])) / tick)
    return found


def _cpu_per_request(before: dict, after: dict, requests: int) -> tuple[float, float]:
    """ms of CPU per request of the workers and of PostgreSQL between two _cpu_seconds
    (a process that ended in between is not counted: PostgreSQL's own short-lived ones)."""
    spent = {"workers": 0.0, "database": 0.0}
    for pid, (kind, seconds) in after.items():
        earlier = before.get(pid)
        spent[kind] += seconds - (earlier[1] if earlier and earlier[0] == kind else 0.0)
    return spent["workers"] / requests * 1000, spent["database"] / requests * 1000


def _machine_speed() -> float:
    """ms of CPU for sum(range(10**7)): how fast the machine is right now."""
    times = []
    for _ in range(5):
        started = time.process_time()
        sum(range(10**7))
        times.append((time.process_time() - started) * 1000)
    return sorted(times)[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


if __name__ == "__main__":
    main()
