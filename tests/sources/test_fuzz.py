"""Fuzzing the readers of the exports schools send: whatever bytes arrive, WISA, Informat
and OneRoster reading ends in a snapshot or in BadInput (exit 2, a Dutch message), never in
another exception (a traceback, an upload run that failed as an internal fault).

Inputs: byte soups; real files mutated (bytes flipped, inserted, deleted, slices repeated,
the end cut off), from the generator's WISA region, a small Informat response and the
OneRoster sets others wrote (../shared); and zips of those sets, mutated and truncated.

Reproducible: `derandomize` makes every run try the same examples (CI), no example database
is written. SCHOOLBRUG_FUZZ_EXAMPLES=5000 SCHOOLBRUG_FUZZ_RANDOM=1 explores further locally;
a failure prints the input that caused it.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import tempfile
import zipfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schoolbrug.demo.generate import generate_region, write_region
from schoolbrug.oneroster.csv_in.reader import parse_oneroster
from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.informat import parse_informat
from schoolbrug.sources.records import Snapshot
from schoolbrug.sources.wisa import parse_wisa

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "oneroster" / "samples"

FUZZ = settings(
    max_examples=int(os.environ.get("SCHOOLBRUG_FUZZ_EXAMPLES", "150")),
    deadline=None,
    derandomize=os.environ.get("SCHOOLBRUG_FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Bytes that mean something to a CSV, JSON or zip reader.
SPECIAL = [
    b"\r", b"\n", b"\r\n", b"\x00", b"\xff", b"\xfe", b"\x80", b"\xef\xbb\xbf", b'"', b'""',
    b";", b",", b"{", b"[", b"}", b"]", b":", b"\\", b"-", b"0", b"9" * 30, b"[" * 3000,
    b"\xc3", b"PK\x03\x04", b"\t", b" ",
]  # fmt: skip

mutation = st.tuples(
    st.sampled_from(["flip", "insert", "delete", "repeat", "cut"]),
    st.integers(min_value=0, max_value=2**20),
    st.integers(min_value=1, max_value=64),
    st.one_of(st.sampled_from(SPECIAL), st.binary(min_size=1, max_size=8)),
)
mutations = st.lists(mutation, min_size=1, max_size=6)


def mutate(data: bytes, changes) -> bytes:
    for kind, at, length, piece in changes:
        position = at % (len(data) + 1)
        if kind == "flip" and data:
            position %= len(data)
            data = data[:position] + bytes([data[position] ^ piece[0] or 1]) + data[position + 1 :]
        elif kind == "insert":
            data = data[:position] + piece + data[position:]
        elif kind == "delete":
            data = data[:position] + data[position + length :]
        elif kind == "repeat":
            data = data[:position] + data[position : position + length] * 3 + data[position:]
        elif kind == "cut":
            data = data[:position]
    return data


def outcome(read) -> str:
    """'snapshot' or 'bad input'; any other exception fails the test."""
    try:
        result = read()
    except BadInput as error:
        assert error.reason_nl and error.reason_en
        return "bad input"
    snapshots = result if isinstance(result, list) else [result]
    assert all(isinstance(s, Snapshot) for s in snapshots)
    return "snapshot"


# --- WISA ---------------------------------------------------------------------------------


@cache
def wisa_seeds() -> tuple[tuple[bytes, bytes], ...]:
    """One UTF-8 (BOM, `;`) and one Windows-1252 (`,`) institution of the generator."""
    region = generate_region(700, seed=16)
    with tempfile.TemporaryDirectory() as folder:
        write_region(region, Path(folder))
        schools = sorted(p for p in Path(folder).iterdir() if p.is_dir())
        picked = {}
        for school in schools:
            pupils = (school / "leerlingen.csv").read_bytes()
            picked.setdefault(pupils.startswith(b"\xef\xbb\xbf"), school)
        assert len(picked) == 2, "the generator writes both encodings"
        return tuple(
            (
                b"\r\n".join((s / "leerlingen.csv").read_bytes().split(b"\r\n")[:12]),
                (s / "klassen.csv").read_bytes(),
            )
            for s in picked.values()
        )


def read_wisa(pupils: bytes, classes: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "leerlingen.csv").write_bytes(pupils)
        (Path(folder) / "klassen.csv").write_bytes(classes)
        return outcome(
            lambda: parse_wisa(
                Path(folder) / "leerlingen.csv", Path(folder) / "klassen.csv", "012345"
            )
        )


def test_the_wisa_seeds_are_read():
    assert {read_wisa(*seed) for seed in wisa_seeds()} == {"snapshot"}


@FUZZ
@given(seed=st.integers(0, 1), which=st.sampled_from(["pupils", "classes", "both"]), m=mutations)
def test_a_mutated_wisa_export_is_read_or_bad_input(seed, which, m):
    pupils, classes = wisa_seeds()[seed]
    read_wisa(
        mutate(pupils, m) if which != "classes" else pupils,
        mutate(classes, m) if which != "pupils" else classes,
    )


@FUZZ
@given(pupils=st.binary(max_size=3000), classes=st.binary(max_size=500))
def test_wisa_byte_soup_is_read_or_bad_input(pupils, classes):
    read_wisa(pupils, classes)


# --- Informat ----------------------------------------------------------------------------


def informat_seed() -> bytes:
    registration = {"classCode": "1A", "classNumber": 3, "startDate": "2025-09-01"}
    pupils = [
        {
            "personId": f"p{n}",
            "lastName": "Peeters",
            "firstName": "Zoë",
            "dateOfBirth": "2016-03-14",
            "sex": "V",
            "nationalRegistrationNo": "16.03.14-002.84",
            "instituteNo": "012345",
            "address": {"street": "Kerkstraat", "number": "1", "city": "Gent"},
            "relations": [{"role": "mother", "email": "moeder@example.be"}],
            "classRegistrations": [registration],
        }
        for n in range(3)
    ]
    return json.dumps({"pupils": pupils}, ensure_ascii=False, indent=1).encode()


def read_informat(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "leerlingen.json"
        path.write_bytes(data)
        return outcome(lambda: parse_informat(path, "012345", today=datetime.date(2026, 1, 5)))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=30,
)


def test_the_informat_seed_is_read():
    assert read_informat(informat_seed()) == "snapshot"


@FUZZ
@given(m=mutations)
def test_a_mutated_informat_response_is_read_or_bad_input(m):
    read_informat(mutate(informat_seed(), m))


@FUZZ
@given(
    data=st.one_of(
        st.binary(max_size=3000),
        json_values.map(lambda value: json.dumps(value).encode()),
        st.lists(json_values, max_size=5).map(lambda v: json.dumps({"pupils": v}).encode()),
        st.integers(10, 100_000).map(lambda depth: b"[" * depth + b"]" * depth),
        st.integers(10, 100_000).map(lambda depth: b'[{"address": ' + b"[" * depth),
    )
)
def test_informat_byte_soup_and_odd_json_are_read_or_bad_input(data):
    read_informat(data)


# --- OneRoster ---------------------------------------------------------------------------


@cache
def oneroster_seeds() -> tuple[dict[str, bytes], ...]:
    """The sets others wrote: each a folder of CSV files."""
    folders = sorted({path.parent for path in SAMPLES.rglob("manifest.csv")})
    return tuple(
        {p.name: p.read_bytes() for p in sorted(f.iterdir()) if p.suffix == ".csv"} for f in folders
    )


@pytest.fixture(scope="module")
def sets() -> tuple[dict[str, bytes], ...]:
    if not SAMPLES.is_dir():
        pytest.skip(f"OneRoster sample sets not found at {SAMPLES.resolve()} (outside the repo)")
    return oneroster_seeds()


def read_oneroster(files: dict[str, bytes], as_zip: bytes | None = None) -> str:
    with tempfile.TemporaryDirectory() as folder:
        if as_zip is not None:
            path = Path(folder) / "export.zip"
            path.write_bytes(as_zip)
        else:
            path = Path(folder) / "set"
            path.mkdir()
            for name, data in files.items():
                (path / name).write_bytes(data)
        return outcome(lambda: parse_oneroster(path))


def zipped(files: dict[str, bytes], method: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_the_oneroster_seeds_are_read(sets):
    assert len(sets) >= 3
    assert {read_oneroster(files) for files in sets} <= {"snapshot", "bad input"}
    assert read_oneroster(sets[0]) == "snapshot"


@FUZZ
@given(data=st.data(), m=mutations)
def test_a_mutated_oneroster_set_is_read_or_bad_input(sets, data, m):
    files = dict(data.draw(st.sampled_from(sets)))
    name = data.draw(st.sampled_from(sorted(files)))
    files[name] = mutate(files[name], m)
    read_oneroster(files)


@FUZZ
@given(data=st.data(), m=mutations)
def test_a_damaged_or_truncated_oneroster_zip_is_read_or_bad_input(sets, data, m):
    files = data.draw(st.sampled_from(sets))
    method = data.draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    read_oneroster({}, as_zip=mutate(zipped(files, method), m))


@FUZZ
@given(soup=st.dictionaries(st.sampled_from(["manifest.csv", "orgs.csv", "users.csv",
       "classes.csv", "enrollments.csv"]), st.binary(max_size=800), min_size=1))  # fmt: skip
def test_oneroster_byte_soup_is_read_or_bad_input(soup):
    read_oneroster(soup)
