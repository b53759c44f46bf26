"""Which planned national numbers may be written: the pure rule, case by case."""

from types import SimpleNamespace

from schoolbrug.sync.national_numbers import DUPLICATE, TAKEN, refused_numbers

A, B, C = SimpleNamespace(pk=1), SimpleNamespace(pk=2), SimpleNamespace(pk=3)


def test_a_swap_and_a_chain_are_allowed():
    holders = {"x": A, "y": B, "z": C}
    # A x→y, B y→z, C z→x: a ring of three; and a new pupil takes nothing held.
    changes = [(0, "y", 1), (1, "z", 2), (2, "x", 3), (3, "w", None)]
    assert refused_numbers(changes, holders) == {}


def test_a_number_someone_keeps_is_refused_and_the_refusal_travels_back_a_chain():
    holders = {"x": A, "y": B, "z": C}
    # A x→y, B y→z, but C keeps z: B is refused, keeps y, so A is refused too.
    changes = [(0, "y", 1), (1, "z", 2)]
    assert refused_numbers(changes, holders) == {0: TAKEN, 1: TAKEN}


def test_two_wanting_one_free_number_are_both_refused_and_what_they_free_stays_held():
    holders = {"x": A}
    # A x→q and a new pupil q: both refused; so A keeps x, and the new pupil wanting x too.
    changes = [(0, "q", 1), (1, "q", None), (2, "x", None)]
    assert refused_numbers(changes, holders) == {0: DUPLICATE, 1: DUPLICATE, 2: TAKEN}
