"""The ids a set is written with: a record that came from a OneRoster source under that
source's sourcedId, any other under ours (registry/outward.py decides, for the API too).

The export builds its rows with our ids (what it joins and derives by); the writer passes
each row through `OutwardCells` last, the one place ids leave: every id column, each id of a
list (termSourcedIds), a pupil's username (their id), and a role's id, which is made of its
user's and org's ids as they are written."""

from __future__ import annotations

from schoolbrug.registry.outward import OutwardIds

ID_COLUMNS = (
    "sourcedId",
    "parentSourcedId",
    "courseSourcedId",
    "schoolSourcedId",
    "userSourcedId",
    "classSourcedId",
    "orgSourcedId",
    "primaryOrgSourcedId",
    "schoolYearSourcedId",
)
LIST_COLUMNS = ("termSourcedIds", "agentSourcedIds", "orgSourcedIds")


class OutwardCells:
    def __init__(self, ids: OutwardIds) -> None:
        self.ids = ids.mapping

    def __call__(self, file: str, cells: dict[str, str]) -> dict[str, str]:
        ids = self.ids
        if not ids:
            return cells
        cells = dict(cells)
        for column in ID_COLUMNS:
            value = cells.get(column)
            if value and value in ids:
                cells[column] = ids[value]
        for column in LIST_COLUMNS:
            if cells.get(column):
                cells[column] = ",".join(ids.get(v, v) for v in cells[column].split(","))
        if file == "users":
            username = cells.get("username")
            if username and username in ids:  # a pupil's username is their id
                cells["username"] = ids[username]
        elif file == "roles":
            cells["sourcedId"] = f"{cells['userSourcedId']}.{cells['orgSourcedId']}"
        return cells
