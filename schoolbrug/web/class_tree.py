"""Classes shown as a tree: every subclass right under its parent class, indented."""

from __future__ import annotations

from collections.abc import Iterable

from schoolbrug.registry.models import SchoolClass

# What a <select> option puts before a subclass (an <option> cannot be padded with CSS).
INDENT = "\u00a0\u00a0\u00a0\u00a0"


def as_tree(classes: Iterable[SchoolClass]) -> list[SchoolClass]:
    """The classes in their given order with each subclass moved under its parent (however
    deep), each with `depth` (0 for a class) and `indent` for a <select> option. A subclass
    whose parent is not among `classes` stays where it is, as a class of its own."""
    classes = list(classes)
    present = {c.pk for c in classes}
    children: dict[int, list[SchoolClass]] = {}
    roots = []
    for school_class in classes:
        if school_class.parent_id in present and school_class.parent_id != school_class.pk:
            children.setdefault(school_class.parent_id, []).append(school_class)
        else:
            roots.append(school_class)
    ordered: list[SchoolClass] = []
    seen: set[int] = set()

    def place(school_class: SchoolClass, depth: int) -> None:
        if school_class.pk in seen:  # a cycle in bad data: show each class once
            return
        seen.add(school_class.pk)
        school_class.depth = depth
        school_class.indent = INDENT * depth + ("↳ " if depth else "")
        ordered.append(school_class)
        for child in children.get(school_class.pk, []):
            place(child, depth + 1)

    for root in roots:
        place(root, 0)
    # Classes only reachable through a cycle: shown flat at the end rather than lost.
    for school_class in classes:
        if school_class.pk not in seen:
            place(school_class, 0)
    return ordered
