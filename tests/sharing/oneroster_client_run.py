# /// script
# requires-python = ">=3.12"
# dependencies = ["timeback-oneroster==0.4.0"]
# ///
"""Reads our rostering API with a real OneRoster 1.2 client, timeback-oneroster (PyPI), and
prints what the client parsed as JSON. Run by tests/sharing/test_real_client.py in its own
Python 3.12 environment (`uv run --script`): the client needs Python 3.12, the project 3.11.

    oneroster_client_run.py BASE_URL TOKEN_URL CLIENT_ID CLIENT_SECRET USER_ID SCHOOL_ID CLASS_ID

The client fetches its own token (client credentials, HTTP Basic) from TOKEN_URL and pages
with limit/offset, following the Link and X-Total-Count headers.
"""

from __future__ import annotations

import asyncio
import json
import sys

from timeback_oneroster import NotFoundError, OneRosterClient


def dump(items) -> list[dict]:
    return [item.model_dump(mode="json", by_alias=True, exclude_none=True) for item in items]


async def main(base_url, token_url, client_id, secret, user_id, school_id, class_id) -> dict:
    client = OneRosterClient(
        base_url=base_url, auth_url=token_url, client_id=client_id, client_secret=secret
    )
    async with client:
        out = {
            "orgs": dump(await client.orgs.list_all(limit=2)),
            "schools": dump(await client.schools.list_all()),
            "academicSessions": dump(await client.academic_sessions.list_all()),
            "classes": dump(await client.classes.list_all(limit=2)),
            "users": dump(await client.users.list_all(limit=2)),
            "students": dump(await client.students.list_all(limit=3)),
            "active_students": dump(await client.students.list_all(where={"status": "active"})),
            "teachers": dump(await client.teachers.list_all()),
            "enrollments": dump(await client.enrollments.list_all(limit=2)),
            "user": dump([await client.users.get(user_id)])[0],
            "user_classes": dump(await client.users(user_id).classes()),
            "school_classes": dump(await client.schools(school_id).classes()),
            "school_students": dump(await client.schools(school_id).students()),
            "class_students": dump(await client.classes(class_id).students()),
            "first_page": {},
        }
        page = await client.users.list(limit=2)
        out["first_page"] = {"count": len(page.data), "total": page.total, "more": page.has_more}
        try:
            await client.users.get("00000000-0000-0000-0000-000000000000")
            out["unknown_user"] = "found"
        except NotFoundError:
            out["unknown_user"] = "not found"
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(*sys.argv[1:8]))))
