"""The summer rule: in an institution's blackout period no pupil leaves, except with --force.

Over the summer the packages close one school year and build the next: an export of July may
lack pupils who are not leaving at all. So between two days of the year (default 1 July to 31
August, `SCHOOLBRUG_LEAVER_BLACKOUT`; an institution may set its own period on its SIS link) a
pupil the plan would move to the leavers is held instead. The rest of the plan is applied; the
held pupil gets a finding (`PUPIL_LEAVING_HELD`), counts as deferred, and is remembered
(`HeldLeaver`): the first sync after the period moves them, also when it is a delta that does
not name them again. With --force they leave at once.

The day is the sync's day in Belgium (Europe/Brussels), whatever zone the server keeps. A
period may run over New Year (15/12-15/1); both days belong to it.

Pure, like the planner: nothing here reads or writes the database.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from schoolbrug.sources.findings import make_finding
from schoolbrug.sources.records import Snapshot

from .plan import Plan, PupilAction, PupilActionKind

BELGIUM = ZoneInfo("Europe/Brussels")
NONE = "geen"  # an institution's choice: no blackout period at all
MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip
_PERIOD = re.compile(r"\s*(\d{1,2})\s*/\s*(\d{1,2})\s*[-–]\s*(\d{1,2})\s*/\s*(\d{1,2})\s*")
FORMAT_HINT = "Schrijf de periode als dag/maand-dag/maand, bijvoorbeeld 1/7-31/8, of 'geen'."


@dataclass(frozen=True, slots=True)
class Period:
    start: tuple[int, int]  # (month, day)
    end: tuple[int, int]

    def contains(self, day: datetime.date) -> bool:
        today = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= today <= self.end
        return today >= self.start or today <= self.end  # over New Year

    def __str__(self) -> str:
        """As the school writes it: `1/7-31/8`."""
        return f"{self.start[1]}/{self.start[0]}-{self.end[1]}/{self.end[0]}"

    def in_words(self) -> str:
        """`1 juli tot en met 31 augustus`, for findings."""
        (start_month, start_day), (end_month, end_day) = self.start, self.end
        return f"{start_day} {MONTHS[start_month - 1]} tot en met {end_day} {MONTHS[end_month - 1]}"


def parse_period(text: str) -> Period | None:
    """`1/7-31/8` → Period; `geen` → None. Raises ValueError (Dutch) for anything else."""
    if text.strip().lower() == NONE:
        return None
    match = _PERIOD.fullmatch(text)
    if not match:
        raise ValueError(f"'{text}' is geen periode. {FORMAT_HINT}")
    start_day, start_month, end_day, end_month = (int(g) for g in match.groups())
    for day, month in ((start_day, start_month), (end_day, end_month)):
        try:
            datetime.date(2000, month, day)  # a leap year: 29/2 is a day of the year
        except ValueError:
            raise ValueError(f"{day}/{month} is geen dag van het jaar. {FORMAT_HINT}") from None
    return Period((start_month, start_day), (end_month, end_day))


def normalised(text: str) -> str:
    """What an institution stores: "" (the default), `geen`, or the period as `1/7-31/8`."""
    if not text.strip():
        return ""
    period = parse_period(text)
    return NONE if period is None else str(period)


def period_for(institution_setting: str | None) -> Period | None:
    """The institution's period: its own, none, or (empty) the project's default."""
    return _parse_cached(institution_setting or settings.SCHOOLBRUG_LEAVER_BLACKOUT)


@lru_cache(maxsize=64)
def _parse_cached(text: str) -> Period | None:
    return parse_period(text) if text.strip() else None


def check_setting(app_configs=None, **kwargs) -> list:
    """Django system check: the project's default period must be readable."""
    from django.core.checks import Error

    try:
        _parse_cached(settings.SCHOOLBRUG_LEAVER_BLACKOUT)
    except ValueError as error:
        return [
            Error(
                f"SCHOOLBRUG_LEAVER_BLACKOUT: {error}",
                hint="Set it like 1/7-31/8 (day/month-day/month), or empty for no period.",
                id="schoolbrug.sync.E001",
            )
        ]
    return []


def sync_day(now: datetime.datetime | None = None) -> datetime.date:
    """Today in Belgium: the day a sync's blackout period is read for."""
    return (now or timezone.now()).astimezone(BELGIUM).date()


def hold_leavers(plan: Plan, snapshot: Snapshot, period: Period) -> None:
    """Turn the plan's leavers into held pupils (deferred, with a finding), in place."""
    held = []
    for position, action in enumerate(plan.pupil_actions):
        if action.kind is not PupilActionKind.LEAVE:
            continue
        state, record = action.state, action.record
        plan.pupil_actions[position] = PupilAction(PupilActionKind.DEFER, record, state)
        held.append(state.pk)
        plan.findings.append(
            make_finding(
                "PUPIL_LEAVING_HELD",
                file=snapshot.files.get("pupils", "") if record else "",
                line=record.line if record else None,
                national_number=state.national_number or "",
                class_code=state.class_code or "",
                pupil_name=f"{state.values.given_name} {state.values.family_name}",
                value=period.in_words(),
            )
        )
    plan.counts[PupilActionKind.LEAVE] -= len(held)
    plan.counts[PupilActionKind.DEFER] += len(held)
    plan.held_leavers = frozenset(held)
    # Held in their class, so in its subclasses too (the planner had them leave both).
    plan.subclasses.leaves = [
        leave for leave in plan.subclasses.leaves if leave.pupil_pk not in plan.held_leavers
    ]
