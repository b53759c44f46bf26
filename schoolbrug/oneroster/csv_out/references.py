"""`--with-references`: a delta whose rows stand on their own.

A delta names only the rows that changed; its enrollments, roles, users and classes point to
orgs, classes, courses and academic sessions that came in an earlier set. A strict validator
that reads "all rows" flags every such reference. With references, each row the delta left out
as unchanged is held, and at the end the ones that a written row names (and, in turn, what
those name) are written too, unchanged: with their own status and dateLastModified."""

from __future__ import annotations

import datetime

# The files whose rows others point to, and which column of which file points where.
REFERENCED = ("orgs", "academicSessions", "courses", "classes")
POINTERS = {
    "orgs": (("parentSourcedId", "orgs"),),
    "academicSessions": (("parentSourcedId", "academicSessions"),),
    "courses": (("schoolYearSourcedId", "academicSessions"), ("orgSourcedId", "orgs")),
    "classes": (
        ("courseSourcedId", "courses"),
        ("schoolSourcedId", "orgs"),
        ("termSourcedIds", "academicSessions"),
    ),
    "users": (("primaryOrgSourcedId", "orgs"),),
    "roles": (("orgSourcedId", "orgs"),),
    "enrollments": (("classSourcedId", "classes"), ("schoolSourcedId", "orgs")),
}


class References:
    """What a delta's written rows point to, and the unchanged rows that could fill it."""

    def __init__(self) -> None:
        self.written: dict[str, set[str]] = {file: set() for file in REFERENCED}
        self.wanted: dict[str, set[str]] = {file: set() for file in REFERENCED}
        # file → sourcedId → (dateLastModified, status, cells) of a row left out as unchanged
        self.held: dict[str, dict[str, tuple]] = {file: {} for file in REFERENCED}

    def hold(self, file: str, modified: datetime.datetime | None, status: str, cells) -> None:
        if file in self.held and modified is not None:
            self.held[file].setdefault(cells["sourcedId"], (modified, status, cells))

    def wrote(self, file: str, cells: dict[str, str]) -> None:
        if file in self.written:
            self.written[file].add(cells["sourcedId"])
        for column, target in POINTERS.get(file, ()):
            for sourced_id in cells.get(column, "").split(","):
                if sourced_id:
                    self.wanted[target].add(sourced_id)

    def missing(self):
        """(file, modified, status, cells) of each held row a written row names, until none is
        left (a class written here names its course, which names its school year)."""
        while True:
            found = [
                (file, *self.held[file][sourced_id])
                for file in REFERENCED
                for sourced_id in sorted(self.wanted[file] - self.written[file])
                if sourced_id in self.held[file]
            ]
            if not found:
                return
            for file, modified, status, cells in found:
                self.wrote(file, cells)  # before yielding: never twice
                yield file, modified, status, cells
