"""The Celery app for background work: `celery -A schoolbrug.celery worker`.

Configured from Django's settings under the CELERY_ namespace (CELERY_BROKER_URL from the
environment). Without a broker nothing needs Celery: `schoolbrug.links.tasks.enqueue` then runs
the task in the process that asks for it.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbrug.settings")

app = Celery("schoolbrug")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # Task arguments are ids and paths, never personal data; JSON keeps it that way.
    task_serializer="json",
    accept_content=["json"],
    # The upload record holds the outcome; no result backend is needed or read.
    task_ignore_result=True,
    # A sync is all or nothing and may be run again: acknowledge after the work, so that a
    # worker that dies mid-sync leaves the task for another one.
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
)
app.autodiscover_tasks(["schoolbrug.links"])
app.autodiscover_tasks(["schoolbrug.platform"], related_name="delivery")
