"""Reading a plan file for the approve and execute steps: m1core's `plan.read_plan` checks its
format and digest (a Dutch MergeRefused for a broken or inconsistently edited file)."""

from __future__ import annotations

import importlib
from pathlib import Path


def read(path: str | Path) -> dict:
    return importlib.import_module("schoolbrug.merge.plan").read_plan(path)
