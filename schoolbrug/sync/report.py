"""The sync report: the JSON contract users' scripts read, and what the web page shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from schoolbrug.sources.findings import mask_national_number, mask_national_numbers_in

from .plan import Plan, PupilAction

EXIT_DONE = 0
EXIT_BAD_INPUT = 2
EXIT_STOPPED = 3
EXIT_FAILED = 4  # an error in Schoolbrug or the database: nothing written for that institution
EXIT_BUSY = 5  # another sync of the institution ran and did not finish in time: refused


@dataclass(slots=True)
class SyncReport:
    institution: str
    source: str
    dry_run: bool
    applied: bool
    counts: dict[str, int]
    findings: list[dict]
    run_id: int | None = None
    stopped: bool = False
    stop_reason: str = ""
    class_counts: dict[str, int] = field(default_factory=dict)
    actions: list[dict] = field(default_factory=list)
    error: dict | None = None  # a bad input: file, line, field, message
    failed: bool = False  # not synced: an error in Schoolbrug or the database (see message)
    busy: bool = False  # not synced: another sync of the institution held it (see message)
    message: str = ""  # Dutch, for the school: why a failed or busy run changed nothing

    @property
    def exit_code(self) -> int:
        if self.error:
            return EXIT_BAD_INPUT
        if self.busy:
            return EXIT_BUSY
        if self.failed:
            return EXIT_FAILED
        return EXIT_STOPPED if self.stopped else EXIT_DONE

    def as_dict(self) -> dict:
        data = {
            "run_id": self.run_id,
            "institution": self.institution,
            "source": self.source,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "stopped": self.stopped,
            "stop_reason": self.stop_reason,
            "counts": self.counts,
            "class_counts": self.class_counts,
            "findings": self.findings,
            "actions": self.actions,
        }
        if self.error:
            data["error"] = self.error
        if self.failed or self.busy:
            data["failed" if self.failed else "busy"] = True
            data["message"] = self.message
        return data


def describe_actions(plan: Plan) -> list[dict]:
    """Each planned change in words a secretary can check, without a full national number."""
    left: dict[int, list[str]] = {}
    for leave in plan.subclasses.leaves:
        left.setdefault(leave.pupil_pk, []).append(leave.subclass_code)
    described = []
    for action in plan.pupil_actions:
        row = _describe(action)
        if action.state is not None and action.state.pk in left:
            row["subclasses_left"] = sorted(left[action.state.pk])
        described.append(row)
    return described


def _describe(action: PupilAction) -> dict:
    record, state = action.record, action.state
    nn = record.national_number if record else (state.national_number or "")
    name = f"{record.family_name} {record.given_name}" if record else ""
    if not name and state is not None:
        name = f"{state.values.family_name} {state.values.given_name}"
    # A rejected pupil's name or class may be a shifted column holding a national number.
    masked = mask_national_numbers_in
    return {
        "action": action.kind.value,
        "pupil": masked(name),
        "national_number": mask_national_number(nn or ""),
        "sourced_id": str(state.sourced_id) if state else None,
        "line": record.line if record else None,
        "class_from": masked(state.class_code) if state else None,
        "class_to": masked(action.class_code),
        "changed": sorted(action.changes),
        "login_affecting": action.login_affecting,
        "adopted": action.adopt,
    }


def class_counts(plan: Plan) -> dict[str, int]:
    counts: dict[str, int] = {}
    for action in plan.class_actions:
        counts[action.kind.value] = counts.get(action.kind.value, 0) + 1
    # The school's own subclasses (sync/subclasses.py): renamed for a new class of the SIS,
    # and memberships ended because the pupil left the class.
    if plan.subclasses.renames:
        counts["subclasses_renamed"] = len(plan.subclasses.renames)
    if plan.subclasses.leaves:
        counts["subclass_members_left"] = len(plan.subclasses.leaves)
    return counts
