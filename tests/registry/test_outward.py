"""registry/outward.py's rule on its own: which alias is a record's outward id, per namespace,
and that `refresh_outward`, the batch lookup, the export's load and `inward` agree."""

from __future__ import annotations

import uuid

import pytest

from schoolbrug.registry.models import SourceAlias
from schoolbrug.registry.outward import OutwardIds, inward, outward_ids, refresh_outward

pytestmark = pytest.mark.django_db


def alias(kind: str, external: str, record: uuid.UUID, scope: str = "", source="oneroster"):
    return SourceAlias.objects.create(
        source=source, scope=scope, kind=kind, external_id=external, sourced_id=record
    )


def shown(*records: uuid.UUID) -> dict[uuid.UUID, str]:
    """What each reader says the records' outward ids are (all must agree)."""
    batch = outward_ids(records)
    everything = OutwardIds.load()
    result = {}
    for record in records:
        assert batch.get(str(record), str(record)) == everything[record]
        result[record] = everything[record]
    return result


def test_the_first_claim_of_an_id_in_its_namespace_wins_and_a_deletion_passes_it_on():
    mary, maria, teacher, klass = (uuid.uuid4() for _ in range(4))
    first = alias("pupil", "1001", mary, scope="000001")
    alias("pupil", "1001", maria, scope="000002")  # another school's SIS counts from 1 too
    alias("class", "1001", klass, scope="000002")  # another namespace: no clash
    alias("staff", "t1", teacher)
    refresh_outward()

    assert shown(mary, maria, klass, teacher) == {
        mary: "1001", maria: str(maria), klass: "1001", teacher: "t1"
    }  # fmt: skip
    assert inward("1001", "users") == mary
    assert inward("1001", "classes") == klass
    assert inward(str(maria), "users") == maria  # ours still answers
    assert inward("nobody", "users") is None

    first.delete()
    assert refresh_outward() == 1
    assert shown(mary, maria) == {mary: str(mary), maria: "1001"}
    assert inward("1001", "users") == maria
    assert refresh_outward() == 0  # nothing left to change


def test_pupils_and_staff_share_one_namespace_and_a_record_keeps_its_first_id():
    teacher, pupil = uuid.uuid4(), uuid.uuid4()
    alias("staff", "u7", teacher)
    alias("pupil", "u7", pupil, scope="000001")  # the users namespace holds both
    alias("pupil", "u8", pupil, scope="000002")  # the same pupil in a later set
    alias("pupil", "w1", pupil, scope="000001", source="wisa")  # not OneRoster: no say
    refresh_outward()

    # The pupil's first OneRoster alias (u7) is taken: it falls back to ours, and its later
    # alias gives it no other id (one rule, whatever order the sets came in).
    assert shown(teacher, pupil) == {teacher: "u7", pupil: str(pupil)}
    assert inward("u8", "users") is None
    assert inward("w1", "users") is None
