"""A small HTTP load generator (not a test): N connections in threads, each sending GETs
from a list of paths for a number of seconds, one new TCP connection per request (gunicorn's
sync workers close after each response). Prints nothing; returns the figures.

It shares the machine's two cores with the server, so it does as little as it can: each
request is written once as bytes and an answer is checked for its status and its whole body
(Content-Length), not parsed further. http.client spent 0.45 ms of CPU per request on
headers the benchmark never reads, a tenth of what a page of 100 costs the whole machine.

    from bench.load import run_load
    figures = run_load("127.0.0.1", 8000, paths, headers, seconds=20, concurrency=8)
"""

from __future__ import annotations

import random
import socket
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
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items() if name != "Host")
    requests = {
        path: (
            f"GET {path} HTTP/1.1\r\nHost: {headers.get('Host', host)}\r\n{extra}"
            "Connection: close\r\n\r\n"
        ).encode()
        for path in set(paths)
    }

    def client(seed: int) -> None:
        rng = random.Random(seed)
        mine, bad = [], []
        while time.perf_counter() < deadline:
            path = paths[rng.randrange(len(paths))]
            started = time.perf_counter()
            try:
                status, complete = _get(host, port, requests[path])
                if status != 200 or not complete:
                    bad.append(f"{status}{'' if complete else ' (cut short)'} {path}")
            except OSError as error:
                bad.append(f"{error} {path}")
            mine.append(time.perf_counter() - started)
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


def _get(host: str, port: int, request: bytes) -> tuple[int, bool]:
    """(status, whether the body is as long as Content-Length says) of one request."""
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(262144):
            chunks.append(chunk)
    answer = b"".join(chunks)
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head[9:12] or 0)
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line[:15].lower() == b"content-length:"
        ),
        None,
    )
    return status, length is None or len(body) == length
