"""National numbers a plan would give twice: decided before anything is written.

The registry holds a national number once per institution (a unique constraint). A plan that
broke it failed at the write, and with it the run of every institution after it. The planner
has the registry's state, so it decides here, purely, which pupils may not take their new
number: the dry run shows it, and the rest of the institution is applied.

* A pupil (new, or known with another number) whose number another pupil of the institution
  holds and keeps after the plan is refused: `PUPIL_NATIONAL_NUMBER_TAKEN`. A pupil keeps
  their number unless the plan gives them another one; rejected, deferred, unchanged and
  leaving pupils keep theirs.
* Two pupils who would both take the same free number are both refused:
  `PUPIL_NATIONAL_NUMBER_DUPLICATE` (a OneRoster set, keyed on its own ids, may carry one
  number on two people; WISA and Informat sets are checked for that by validation).
* Numbers that change hands within the plan are allowed: two pupils who swap numbers (a source
  that corrects two numbers entered crosswise), or a chain of changes. The source is the
  master and its correction ends unique; apply clears the numbers that change before it
  writes the new ones, so no moment holds one twice.

A refusal can free nothing but can take a number back (a refused pupil keeps their old one),
so the rule is applied until nothing more is refused.
"""

from __future__ import annotations

from collections.abc import Mapping

from .state import PupilState

TAKEN = "PUPIL_NATIONAL_NUMBER_TAKEN"
DUPLICATE = "PUPIL_NATIONAL_NUMBER_DUPLICATE"


# A planned action that gives a pupil a national number they do not hold yet: (its position
# in the plan, the number, the pk of the registry pupil it changes or None for a new pupil).
# Plain tuples: a region's first night makes one for every pupil.
NumberChange = tuple[int, str, "int | None"]


def refused_numbers(
    changes: list[NumberChange], holders: Mapping[str, PupilState]
) -> dict[int, str]:
    """Position of each action that may not take its number → the finding code why.

    `holders`: national number → the registry pupil who holds it now.
    """
    contested = _contested(changes, holders)
    if not contested:
        return {}
    changing = {pk: position for position, _, pk in changes if pk is not None}
    refused: dict[int, str] = {}
    while True:
        before = len(refused)
        for number, positions in contested.items():
            wanting = [p for p in positions if p not in refused]
            if not wanting:
                continue
            holder = holders.get(number)
            keeps = holder is not None and (
                holder.pk not in changing or changing[holder.pk] in refused
            )
            if keeps or len(wanting) > 1:
                for position in wanting:
                    refused[position] = TAKEN if keeps else DUPLICATE
        if len(refused) == before:
            return refused


def _contested(
    changes: list[NumberChange], holders: Mapping[str, PupilState]
) -> dict[str, list[int]]:
    """Numbers someone holds now or more than one change wants, with the changes wanting them.

    A first night creates every pupil of a region: this pass stays one set lookup a pupil.
    """
    wanted: set[str] = set()
    suspects: set[str] = set()
    for _, number, _ in changes:
        if number in holders or number in wanted:
            suspects.add(number)
        wanted.add(number)
    contested: dict[str, list[int]] = {}
    if suspects:
        for position, number, _ in changes:
            if number in suspects:
                contested.setdefault(number, []).append(position)
    return contested
