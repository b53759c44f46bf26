"""Counts and bookmarks of a new data version are computed once for all workers, through
the shared cache (a real Redis), and never answered with an earlier version's figures."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

from schoolbrug.oneroster.rest import counts, kept
from schoolbrug.registry.models import Enrolment, Pupil
from schoolbrug.sharing import access, consent

# A database number no other test uses (the Celery test uses 15).
REDIS = "redis://127.0.0.1:6379/13"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared_cache(settings):
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 6379), timeout=1):
        client = redis.Redis.from_url(REDIS)
        client.flushdb()
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS,
                "KEY_PREFIX": "schoolbrug",
            }
        }
        kept.forget_local()
        yield client
        client.flushdb()
        kept.forget_local()
        return
    pytest.skip("Redis does not answer on 127.0.0.1:6379")


# Each worker process: Django with the shared cache, and a computation that takes a while and
# notes in Redis that it ran.
WORKER = """
import sys, time
import django
django.setup()
import redis
from schoolbrug.oneroster.rest.kept import kept

start, url = float(sys.argv[1]), sys.argv[2]
client = redis.Redis.from_url(url)

def compute():
    client.incr("computed")
    time.sleep(1.0)
    return 4321

while time.time() < start:
    time.sleep(0.005)
print(kept("count:the-same-key", compute))
"""


def test_two_worker_processes_compute_a_value_once(shared_cache):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "schoolbrug.settings",
        "SCHOOLBRUG_CACHE_URL": REDIS,
    }
    start = time.time() + 3  # both processes have started Django by then
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(start), REDIS],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=60) for worker in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    assert [out.strip() for out, _ in outputs] == ["4321", "4321"]
    assert int(shared_cache.get("computed")) == 1


@pytest.mark.django_db(transaction=True)
def test_the_first_requests_after_a_change_count_once_and_never_the_old_figure(
    schools, app, api, shared_cache, monkeypatch
):
    a = schools.a
    consent.activate(a.institution, schools.director)
    access.grant(app.app, a.institution, [], by=schools.director)

    def total() -> int:
        response = api.get("/students", limit=1)
        assert response.status_code == 200
        return int(response.headers["X-Total-Count"])

    assert total() == 4
    counted = []
    scalar = counts.sql.scalar

    def slow_count(*args, **kwargs):  # as the region's 4.5 s, shorter
        counted.append(1)
        time.sleep(0.5)
        return scalar(*args, **kwargs)

    monkeypatch.setattr(counts.sql, "scalar", slow_count)
    new = Pupil.objects.create(institution=a.institution, family_name="Nieuw", given_name="Bo")
    Enrolment.objects.create(pupil=new, school_class=a.classes["1A"], school_year=a.school_year)

    totals = []
    requests = [threading.Thread(target=lambda: totals.append(total())) for _ in range(3)]
    for request in requests:
        request.start()
    for request in requests:
        request.join(30)
    assert totals == [5, 5, 5]
    assert len(counted) == 1
    kept.forget_local()  # another worker: the count is in the shared cache
    assert total() == 5
    assert len(counted) == 1


@pytest.mark.django_db(transaction=True)
def test_without_its_cache_the_api_still_counts(schools, app, api, settings, caplog, monkeypatch):
    a = schools.a
    consent.activate(a.institution, schools.director)
    access.grant(app.app, a.institution, [], by=schools.director)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    kept.forget_local()
    monkeypatch.setattr(kept, "_warned_at", 0.0)
    with caplog.at_level(logging.WARNING, logger="schoolbrug.api"):
        response = api.get("/students", limit=1)
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "4"
    assert "cache get failed (ConnectionError)" in caplog.text
    assert caplog.text.count("cache") == 1  # once a minute, not per operation
