"""Each pupil's structured payment reference (issue 23): valid per python-stdnum's
`be.ogm_vcs`, unique per database, issued by Schoolbrug when the SIS gives none, audited, and
a payment carrying a pupil's former reference still finds them."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from stdnum.be import ogm_vcs

from schoolbrug.audit.context import acting
from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry import payment_references
from schoolbrug.registry.models import Institution, PaymentReferenceAlias, Pupil

pytestmark = pytest.mark.django_db


@pytest.fixture
def institution():
    return Institution.objects.create(number="012345", name="De Regenboog")


def make_pupil(institution, given="Jan", **extra) -> Pupil:
    return Pupil.objects.create(
        institution=institution, family_name="Peeters", given_name=given, **extra
    )


def test_a_new_reference_is_valid_and_not_taken_and_is_then_taken():
    taken: set[str] = set()
    drawn = [payment_references.new_reference(taken) for _ in range(2000)]
    assert all(ogm_vcs.is_valid(reference) and len(reference) == 12 for reference in drawn)
    assert len(set(drawn)) == 2000
    assert taken == set(drawn)


def test_a_drawn_reference_that_is_taken_is_drawn_again(monkeypatch):
    first, second = "010806817183", "000000000101"
    assert ogm_vcs.is_valid(first) and ogm_vcs.is_valid(second)
    draws = iter([first, first, second])
    monkeypatch.setattr(payment_references, "_draw", lambda: next(draws))
    taken = {first}
    assert payment_references.new_reference(taken) == second
    assert taken == {first, second}


def test_issue_skips_references_a_pupil_or_an_alias_holds(institution, monkeypatch):
    held_by_pupil, held_by_alias, free = "010806817183", "000000000101", "000000000202"
    jan = make_pupil(institution, structured_reference=held_by_pupil)
    PaymentReferenceAlias.objects.create(pupil=jan, structured_reference=held_by_alias)
    draws = iter([{held_by_pupil}, {held_by_alias}, {free}])
    monkeypatch.setattr(payment_references, "_fresh", lambda count, using: next(draws))
    assert payment_references.issue(1) == [free]


def test_issue_gives_as_many_distinct_references_as_asked():
    references = payment_references.issue(12_000)  # more than one lookup batch
    assert len(set(references)) == 12_000
    assert all(ogm_vcs.is_valid(reference) for reference in references)


def test_a_pupil_saved_by_hand_gets_a_reference_and_the_log_says_so(institution):
    with acting("secretariaat@regenboog.be", "web: leerling"):
        jan = make_pupil(institution)
    assert ogm_vcs.is_valid(jan.structured_reference)
    entry = AuditEntry.objects.get(entity="pupil", entity_sourced_id=jan.sourced_id)
    assert entry.changes["structured_reference"] == [None, jan.structured_reference]


def test_two_pupils_cannot_hold_the_same_reference(institution):
    jan = make_pupil(institution)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_pupil(institution, "Mila", structured_reference=jan.structured_reference)


def test_issue_missing_fills_only_pupils_without_one_in_bulk_and_audited(institution):
    other = Institution.objects.create(number="054321", name="Sint-Jozef")
    kept = make_pupil(institution)
    Pupil.objects.bulk_create(  # a bulk path that issues none (no save(), no signals)
        [Pupil(institution=institution, family_name="Maes", given_name=str(i)) for i in range(3)]
        + [Pupil(institution=other, family_name="Claes", given_name="Lotte")]
    )
    before = kept.structured_reference

    with acting("cli", "betaalreferenties"):
        assert payment_references.issue_missing([institution.pk]) == 3

    kept.refresh_from_db()
    assert kept.structured_reference == before
    mine = Pupil.objects.filter(institution=institution)
    assert all(ogm_vcs.is_valid(p.structured_reference) for p in mine)
    assert Pupil.objects.get(institution=other).structured_reference is None
    entries = AuditEntry.objects.filter(reason="betaalreferenties", institution_number="012345")
    assert {e.changes["structured_reference"][1] for e in entries} == {
        p.structured_reference for p in mine.exclude(pk=kept.pk)
    }
    assert payment_references.issue_missing() == 1  # the other school's, now
    assert payment_references.issue_missing() == 0


def test_match_finds_the_pupil_by_the_reference_as_written_on_a_transfer(institution):
    jan = make_pupil(institution)
    written = payment_references.formatted(jan.structured_reference)
    assert written.startswith("+++") and written.endswith("+++") and written.count("/") == 2
    assert payment_references.match(written) == jan
    assert payment_references.match(jan.structured_reference) == jan


def test_match_finds_the_pupil_by_a_former_reference(institution):
    jan = make_pupil(institution)
    old = payment_references.issue_one()
    PaymentReferenceAlias.objects.create(pupil=jan, structured_reference=old, reason="samenvoeging")
    assert payment_references.match(f"+++{ogm_vcs.format(old)}+++") == jan


def test_match_finds_no_one_for_an_unknown_or_invalid_reference(institution):
    jan = make_pupil(institution)
    wrong_check = jan.structured_reference[:10] + (
        "00" if jan.structured_reference[10:] != "00" else "01"
    )
    assert payment_references.match(wrong_check) is None
    assert payment_references.match("niet-een-mededeling") is None
    assert payment_references.match("") is None
    assert payment_references.match(payment_references.issue_one()) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("+++010/8068/17183+++", ""),
        ("010/8068/17180", "de controlegetallen (de laatste 2 cijfers) kloppen niet"),
        ("010/8068/171", "een gestructureerde mededeling heeft 12 cijfers"),
        ("01O/8068/17183", "alleen cijfers, met eventueel +++ en / ertussen"),
    ],
)
def test_why_a_reference_is_invalid_in_dutch(value, reason):
    assert payment_references.why_invalid(value) == reason


@pytest.mark.django_db(transaction=True)
def test_two_writers_at_once_never_issue_the_same_reference(institution, monkeypatch):
    """Syncs write in parallel on PostgreSQL (sync/parallel.py): references come from a
    sequence there, so two open transactions never pick the same one even when the random
    draw would (forced here). SQLite has one writer at a time: the second writer sees the
    first's references and passes over them."""
    made: dict[str, list[str]] = {}
    errors: list[BaseException] = []

    def writer(name: str, both_inside: threading.Barrier | None) -> None:
        try:
            with transaction.atomic():
                references = payment_references.issue(200)
                if both_inside is not None:
                    both_inside.wait(30)  # neither has committed yet
                Pupil.objects.bulk_create(
                    Pupil(
                        institution=institution,
                        family_name=name,
                        given_name=str(i),
                        structured_reference=reference,
                    )
                    for i, reference in enumerate(references)
                )
            made[name] = references
        except BaseException as error:  # what the test must not see
            errors.append(error)
        finally:
            connection.close()

    if connection.vendor == "postgresql":
        # Were references drawn at random, both writers would draw these same ones.
        same_draws = itertools.cycle(
            [payment_references._with_check_digits(10**9 + i) for i in range(300)]
        )
        monkeypatch.setattr(payment_references, "_draw", lambda: next(same_draws))
        both_inside = threading.Barrier(2)
        threads = [threading.Thread(target=writer, args=(n, both_inside)) for n in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        writer("a", None)
        first = list(made["a"])
        draws = iter([set(first[:50]), *({payment_references._draw()} for _ in range(10**4))])
        monkeypatch.setattr(payment_references, "_fresh", lambda count, using: next(draws))
        writer("b", None)

    assert not errors, errors
    everything = made["a"] + made["b"]
    assert len(everything) == 400 and len(set(everything)) == 400
    assert all(ogm_vcs.is_valid(reference) for reference in everything)


def test_two_databases_do_not_count_from_the_same_start():
    """A merge meets the other database's references: were both counted from 1, nearly
    every moving pupil's would collide. PostgreSQL's sequence starts at a random point of the
    10-digit range and wraps round; SQLite draws each reference at random."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT start_value, max_value, cycle FROM pg_sequences WHERE sequencename = %s",
                [payment_references.SEQUENCE],
            )
            start, last, cycles = cursor.fetchone()
        assert start > 1 and last == 10**10 - 1 and cycles
    else:
        bases = sorted(int(r[:10]) for r in payment_references.issue(1000))
        assert bases[-1] - bases[0] > 10**9  # spread over the range, not counted up
