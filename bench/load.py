"""A small HTTP load generator (not a test): N connections in threads, each sending GETs
from a list of paths for a number of seconds, one new TCP connection per request (gunicorn's
sync workers close after each response). Prints nothing; returns the figures.

    from bench.load import run_load
    figures = run_load("127.0.0.1", 8000, paths, headers, seconds=20, concurrency=8)
"""

from __future__ import annotations

import http.client
import itertools
import random
import threading
import time


def run_load(
    host: str,
    port: int,
    paths: list[str],
    headers: dict[str, str],
    *,
    seconds: float,
    concurrency: int,
) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    counter = itertools.count()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        mine, bad = [], []
        while time.perf_counter() < deadline:
            path = paths[rng.randrange(len(paths))]
            connection = http.client.HTTPConnection(host, port, timeout=30)
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    bad.append(f"{response.status} {path}")
            except OSError as error:
                bad.append(f"{error} {path}")
            finally:
                connection.close()
            mine.append(time.perf_counter() - started)
            next(counter)
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:3],
        "requests_per_s": len(latencies) / wall,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "max_ms": latencies[-1] * 1000 if latencies else 0.0,
    }
