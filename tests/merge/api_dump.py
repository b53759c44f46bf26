"""What the rostering API answers an app, body by body: `dump(...)` in this process, or
`python -m tests.merge.api_dump CLIENT_ID SECRET PATH...` against the database that
DATABASE_URL names (the other side of a merge, before it), printing JSON."""

from __future__ import annotations

import base64
import json
import os
import sys

API = "/ims/oneroster/rostering/v1p2"


def dump(client_id: str, secret: str, paths: list[str]) -> dict[str, list]:
    from django.test import Client

    client = Client()
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    response = client.post(
        "/oauth/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}"
    )
    assert response.status_code == 200, response.content
    bearer = f"Bearer {response.json()['access_token']}"
    answers = {}
    for path in paths:
        answer = client.get(f"{API}{path}", HTTP_AUTHORIZATION=bearer)
        answers[path] = [answer.status_code, answer.content.decode()]
    return answers


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbrug.settings")
    import django
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()
    print(json.dumps(dump(sys.argv[1], sys.argv[2], sys.argv[3:])))
