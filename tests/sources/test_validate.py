"""Validation scenarios, one per rule of seed 000."""

import datetime

import pytest
from stdnum.be import ssn

from schoolbrug.sources import validate as validate_module
from schoolbrug.sources.findings import RULES, Outcome, Severity
from schoolbrug.sources.records import ClassRecord, PupilRecord, Snapshot
from schoolbrug.sources.validate import class_problems, validate

BIRTH = datetime.date(2016, 3, 14)


def national_number(birth: datetime.date, sequence: int, *, bis: int = 0) -> str:
    """Valid check digits: 97 - first nine digits mod 97, with a "2" before them from 2000."""
    first9 = f"{birth:%y}{birth.month + bis:02d}{birth:%d}{sequence:03d}"
    base = int(("2" if birth.year >= 2000 else "") + first9)
    return f"{first9}{97 - base % 97:02d}"


def pupil(sequence: int = 2, class_code: str = "1A", class_number: int | None = 1, **fields):
    birth = fields.pop("birth_date", BIRTH)
    return PupilRecord(
        line=fields.pop("line", sequence + 1),
        source_id=fields.pop("source_id", f"W{sequence}"),
        class_code=class_code,
        class_number=class_number,
        family_name=fields.pop("family_name", "Peeters"),
        given_name=fields.pop("given_name", "Zoë"),
        gender=fields.pop("gender", "M" if sequence % 2 else "F"),
        birth_date=birth,
        national_number=fields.pop("national_number", national_number(birth or BIRTH, sequence)),
        **fields,
    )


def klass(code: str = "1A", year: int | None = 1, curriculum: str = "LO", **fields):
    return ClassRecord(code=code, year=year, curriculum=curriculum, **fields)


def snapshot(pupils, classes=None, **fields) -> Snapshot:
    if classes is None:
        classes = [klass(code) for code in sorted({p.class_code for p in pupils if p.class_code})]
    return Snapshot(
        source=fields.pop("source", "wisa"),
        institution_number="012345",
        classes=classes,
        pupils=list(pupils),
        files={"pupils": "leerlingen.csv", "classes": "klassen.csv"},
        **fields,
    )


def codes(result) -> list[str]:
    return [f.code for f in result.findings]


def test_a_valid_pupil_is_accepted_without_findings():
    zoe = pupil()
    result = validate(snapshot([zoe]))
    assert (result.accepted, result.deferred, result.rejected, result.findings) == (
        [zoe],
        [],
        [],
        [],
    )
    assert list(result.classes) == ["1A"]


# --- class number ----------------------------------------------------------------------


def test_a_pupil_without_class_number_waits_until_the_sis_gives_one():
    waiting = pupil(class_number=None)
    result = validate(snapshot([waiting, pupil(3)]))
    assert result.deferred == [waiting]
    assert len(result.accepted) == 1
    [finding] = result.findings
    assert (finding.code, finding.outcome, finding.line) == ("PUPIL_NO_CLASS_NUMBER", "defer", 3)


# --- the national number is the key ----------------------------------------------------


def test_a_pupil_without_national_number_is_not_synced():
    result = validate(snapshot([pupil(national_number="")]))
    assert codes(result) == ["PUPIL_NATIONAL_NUMBER_MISSING"]
    assert len(result.rejected) == 1


@pytest.mark.parametrize(
    "number",
    [
        national_number(BIRTH, 2)[:-1] + "0",  # a check digit wrong
        national_number(BIRTH, 2)[:-1],  # ten digits
        "16031400284x",
        "1603140028A",
    ],
)
def test_a_national_number_failing_its_check_digits_is_rejected(number):
    result = validate(snapshot([pupil(national_number=number)]))
    assert codes(result) == ["PUPIL_NATIONAL_NUMBER_INVALID"]
    assert len(result.rejected) == 1


def test_bis_numbers_and_numbers_from_before_2000_are_valid():
    bis_with_gender = national_number(BIRTH, 3, bis=40)
    bis_without_gender = national_number(BIRTH, 4, bis=20)
    old = national_number(datetime.date(1985, 7, 30), 33)
    pupils = [
        pupil(3, national_number=bis_with_gender),
        pupil(4, national_number=bis_without_gender, gender="M"),  # gender not in the number
        pupil(33, national_number=old, birth_date=datetime.date(1985, 7, 30)),
    ]
    assert old == "85073003328"
    result = validate(snapshot(pupils))
    assert result.findings == []
    assert result.accepted == pupils


def test_the_check_agrees_with_stdnum_ssn_for_every_month_code():
    numbers = []
    for month in range(0, 61):
        for year in ("85", "16"):
            first9 = f"{year}{month:02d}14003"
            base = int(("2" if year == "16" else "") + first9)
            numbers.append(f"{first9}{97 - base % 97:02d}")
    pupils = [pupil(3, national_number=n, line=i) for i, n in enumerate(numbers)]
    result = validate(snapshot(pupils))
    invalid = {f.line for f in result.findings if f.code == "PUPIL_NATIONAL_NUMBER_INVALID"}
    assert invalid == {i for i, n in enumerate(numbers) if not ssn.is_valid(n)}
    assert 0 < len(invalid) < len(numbers)


def test_the_same_national_number_twice_rejects_both_pupils():
    number = national_number(BIRTH, 2)
    twins = [pupil(2), pupil(4, national_number=number, source_id="W9", line=9)]
    result = validate(snapshot([*twins, pupil(6)]))
    assert result.rejected == twins
    assert codes(result) == ["PUPIL_NATIONAL_NUMBER_DUPLICATE"] * 2
    assert [f.line for f in result.findings] == [3, 9]
    assert len(result.accepted) == 1


def test_known_numbers_skip_the_slow_checksum(monkeypatch):
    calls = []

    def counting(number):
        calls.append(number)
        return True

    monkeypatch.setattr(validate_module.nn, "is_valid", counting)
    stored, new, stored_waiting = pupil(2), pupil(4), pupil(6, class_number=None)
    known = frozenset({stored.national_number, stored_waiting.national_number})
    result = validate(snapshot([stored, new, stored_waiting]), known)
    assert calls == [new.national_number]
    assert result.accepted == [stored, new]
    assert result.deferred == [stored_waiting]


def test_a_known_number_must_still_be_eleven_digits():
    strange = pupil(national_number="12345")
    result = validate(snapshot([strange]), frozenset({"12345"}))
    assert codes(result) == ["PUPIL_NATIONAL_NUMBER_INVALID"]


# --- OneRoster: keyed on the source id -------------------------------------------------


def test_oneroster_pupils_need_no_national_number_but_a_unique_source_id():
    without = pupil(2, national_number="", source_id="u1")
    invalid = pupil(4, national_number="16031400499", source_id="u2")
    twice = [pupil(6, source_id="u3"), pupil(8, source_id="u3")]
    result = validate(snapshot([without, invalid, *twice], key="source_id", source="oneroster"))
    assert result.accepted == [without]
    assert result.rejected == [invalid, *twice]
    assert codes(result) == ["PUPIL_NATIONAL_NUMBER_INVALID"] + ["PUPIL_SOURCE_ID_DUPLICATE"] * 2


# --- required fields -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code", "value"),
    [
        ({"family_name": ""}, "PUPIL_FAMILY_NAME_MISSING", ""),
        ({"given_name": ""}, "PUPIL_GIVEN_NAME_MISSING", ""),
        ({"gender": "", "raw_gender": "?"}, "PUPIL_GENDER_MISSING", "(?)"),
        ({"gender": ""}, "PUPIL_GENDER_MISSING", "(leeg)"),
        ({"birth_date": None, "raw_birth_date": "31/02/2016"}, "PUPIL_BIRTH_DATE_MISSING", "31/02"),
        ({"birth_date": None}, "PUPIL_BIRTH_DATE_MISSING", "(leeg)"),
    ],
)
def test_a_pupil_missing_a_required_field_is_rejected(fields, code, value):
    result = validate(snapshot([pupil(**fields)]))
    [finding] = result.findings
    assert finding.code == code
    assert value in finding.message
    assert len(result.rejected) == 1


def test_a_pupil_without_class_is_rejected():
    result = validate(snapshot([pupil(class_code="", class_number=None)], classes=[klass()]))
    assert codes(result) == ["PUPIL_CLASS_MISSING"]
    assert len(result.rejected) == 1


def test_a_pupil_with_many_problems_hears_them_all_but_has_one_outcome():
    messy = pupil(class_number=None, family_name="", national_number="")
    result = validate(snapshot([messy]))
    assert codes(result) == [
        "PUPIL_NATIONAL_NUMBER_MISSING",
        "PUPIL_FAMILY_NAME_MISSING",
        "PUPIL_NO_CLASS_NUMBER",
    ]
    assert (result.rejected, result.deferred) == ([messy], [])  # reject beats defer


# --- contradictions: warnings only -----------------------------------------------------


@pytest.mark.parametrize(
    "birth",
    [
        datetime.date(2016, 3, 15),  # another day
        datetime.date(2016, 4, 14),  # another month
        datetime.date(2017, 3, 14),  # another year
        datetime.date(1916, 3, 14),  # same yymmdd, other century
    ],
)
def test_a_birth_date_contradicting_the_national_number_is_a_warning(birth):
    number = national_number(BIRTH, 2)
    contradicting = pupil(national_number=number, birth_date=birth)
    result = validate(snapshot([contradicting]))
    [finding] = result.findings
    assert finding.code == "PUPIL_BIRTH_DATE_CONTRADICTS_NATIONAL_NUMBER"
    assert finding.severity == Severity.WARNING
    assert result.accepted == [contradicting]


@pytest.mark.parametrize(
    "email", ["zoe.peeters", "zoe@", "zoe peeters@example.be", "zoe@example", "a@b@example.be"]
)
def test_a_malformed_email_is_a_warning_that_names_the_column_but_not_the_address(email):
    zoe = pupil(email=email)
    result = validate(snapshot([zoe], columns={"email": "EMAIL"}))
    [finding] = result.findings
    assert (finding.code, finding.severity, finding.outcome) == (
        "PUPIL_EMAIL_INVALID",
        Severity.WARNING,
        Outcome.NONE,
    )
    assert (finding.file, finding.line, finding.field) == ("leerlingen.csv", 3, "EMAIL")
    assert email not in str(finding.as_dict()) and email not in finding.log_text()
    assert result.accepted == [zoe]


@pytest.mark.parametrize("email", ["zoe.peeters@school.be", "o'brien+klas@sub.example.co.uk"])
def test_a_wellformed_email_says_nothing(email):
    assert validate(snapshot([pupil(email=email)])).findings == []


def test_a_gender_contradicting_the_national_number_is_a_warning():
    boy_number = national_number(BIRTH, 3)  # odd sequence: male
    result = validate(snapshot([pupil(national_number=boy_number, gender="F")]))
    assert codes(result) == ["PUPIL_GENDER_CONTRADICTS_NATIONAL_NUMBER"]
    assert len(result.accepted) == 1


def test_gender_x_and_bis_numbers_are_not_compared():
    pupils = [
        pupil(3, gender="X"),
        pupil(5, national_number=national_number(BIRTH, 5, bis=40), gender="F"),
        pupil(7, national_number=national_number(BIRTH, 7, bis=20), gender="F"),
    ]
    assert validate(snapshot(pupils)).findings == []


def test_a_bis_number_with_another_birth_date_is_still_a_warning():
    number = national_number(BIRTH, 5, bis=40)
    result = validate(
        snapshot([pupil(5, national_number=number, birth_date=datetime.date(2016, 3, 1))])
    )
    assert codes(result) == ["PUPIL_BIRTH_DATE_CONTRADICTS_NATIONAL_NUMBER"]


def test_a_number_with_unknown_month_or_day_says_nothing_about_them():
    first9 = "160000002"
    unknown_month = first9 + f"{97 - int('2' + first9) % 97:02d}"
    first9 = "160300004"
    unknown_day = first9 + f"{97 - int('2' + first9) % 97:02d}"
    pupils = [pupil(2, national_number=unknown_month), pupil(4, national_number=unknown_day)]
    assert validate(snapshot(pupils)).findings == []
    wrong_year = pupil(2, national_number=unknown_month, birth_date=datetime.date(2015, 3, 14))
    assert codes(validate(snapshot([wrong_year]))) == [
        "PUPIL_BIRTH_DATE_CONTRADICTS_NATIONAL_NUMBER"
    ]


# --- classes ---------------------------------------------------------------------------


def test_pupils_of_a_class_missing_from_the_classes_file_are_rejected_with_one_finding():
    strays = [pupil(2, "1 A"), pupil(4, "1 A", line=7), pupil(6, "2B")]
    result = validate(snapshot([*strays, pupil(8)], classes=[klass("1A"), klass("2B")]))
    assert result.rejected == strays[:2]
    [finding] = result.findings
    assert (finding.code, finding.class_code, finding.line, finding.field) == (
        "CLASS_UNKNOWN",
        "1 A",
        3,
        "class_code",
    )
    assert "'1 A'" in finding.message
    assert result.rejected_classes == {"1 A": 2}


@pytest.mark.parametrize(
    ("record", "code"),
    [
        (klass(year=None), "CLASS_YEAR_MISSING"),
        (klass(curriculum=""), "CLASS_CURRICULUM_MISSING"),
        (klass(curriculum="  "), "CLASS_CURRICULUM_MISSING"),
        (klass(stage="NVT", year=4), "CLASS_KINDERGARTEN_INVALID"),
        (klass(stage="NVT", year=2, years=(2, 5)), "CLASS_KINDERGARTEN_INVALID"),
        (klass(stage="", year=0), "CLASS_KINDERGARTEN_INVALID"),
        (klass(stage="NVT", year=None), "CLASS_YEAR_MISSING"),
    ],
)
def test_an_invalid_class_rejects_its_pupils_with_one_finding(record, code):
    record.line = 5
    pupils = [pupil(2), pupil(4), pupil(6)]
    result = validate(snapshot(pupils, classes=[record]))
    assert result.rejected == pupils
    assert codes(result) == [code]
    finding = result.findings[0]
    assert (finding.file, finding.line, finding.class_code, finding.pupil_name) == (
        "klassen.csv",
        5,
        "1A",
        "",
    )
    assert result.classes == {}
    assert result.rejected_classes == {"1A": 3}


def test_a_class_without_year_and_curriculum_hears_both():
    assert [code for code, _ in class_problems(klass(year=None, curriculum=""))] == [
        "CLASS_YEAR_MISSING",
        "CLASS_CURRICULUM_MISSING",
    ]


def test_a_duplicated_class_code_rejects_its_pupils_with_one_finding():
    classes = [klass("1A", line=2), klass("1A", line=3), klass("1A", line=4), klass("1B", line=5)]
    kept = pupil(4, "1B")
    result = validate(snapshot([pupil(2), kept], classes=classes))
    assert result.accepted == [kept]
    assert codes(result) == ["CLASS_DUPLICATE"]
    assert result.findings[0].line == 3
    assert list(result.classes) == ["1B"]


def test_kindergarten_classes_with_nvt_and_year_0_to_3_are_valid():
    classes = [klass(f"K{year}", stage="NVT", year=year, curriculum="KO") for year in range(4)]
    classes.append(klass("K12", stage="nvt", year=1, years=(1, 2), curriculum="KO"))
    pupils = [pupil(2 * i + 2, c.code) for i, c in enumerate(classes)]
    result = validate(snapshot(pupils, classes=classes))
    assert result.findings == []
    assert [c.kindergarten_level for c in result.classes.values()] == ["K0", "K1", "K2", "K3", "K1"]


def test_a_multi_grade_class_is_valid():
    result = validate(snapshot([pupil()], classes=[klass(year=1, years=(1, 2))]))
    assert result.findings == []


def test_without_a_classes_file_every_class_is_known():
    pupils = [pupil(2, "1A"), pupil(4, "3 C")]
    result = validate(snapshot(pupils, classes=[ClassRecord("1A")], classes_known=False))
    assert result.accepted == pupils
    assert list(result.classes) == ["1A", "3 C"]


def test_a_pupil_in_an_invalid_class_without_class_number_is_rejected_not_deferred():
    waiting = pupil(class_number=None, class_code="9Z")
    result = validate(snapshot([waiting], classes=[klass()]))
    assert (result.rejected, result.deferred) == ([waiting], [])
    assert codes(result) == ["CLASS_UNKNOWN", "PUPIL_NO_CLASS_NUMBER"]


# --- what a finding carries ------------------------------------------------------------


def test_a_pupil_finding_names_file_line_column_class_and_pupil_but_not_the_number():
    number = national_number(BIRTH, 2)
    bad = pupil(2, national_number=number[:-1] + ("0" if number[-1] != "0" else "1"), line=14)
    result = validate(snapshot([bad], columns={"national_number": "RIJKSREGISTERNR"}))
    [finding] = result.findings
    assert (finding.file, finding.line, finding.field) == ("leerlingen.csv", 14, "RIJKSREGISTERNR")
    assert finding.class_code == "1A"
    assert finding.pupil_name == "Zoë Peeters"
    assert finding.national_number_masked == "16.03.14-***.**"
    assert number[6:9] not in str(finding.as_dict())


def test_every_code_validation_emits_is_a_known_rule():
    pupils = [
        pupil(2, national_number=""),
        pupil(4, class_code="", class_number=None),
        pupil(6, class_number=None, gender="", birth_date=None, family_name="", given_name=""),
        pupil(8, "9Z"),
    ]
    result = validate(snapshot(pupils, classes=[klass()]))
    for finding in result.findings:
        rule = RULES[finding.code]
        assert (finding.severity, finding.outcome) == (rule.severity, rule.outcome)
    assert {f.outcome for f in result.findings} <= {Outcome.REJECT, Outcome.DEFER}


def test_outcomes_are_exclusive_and_complete():
    pupils = [pupil(i * 2 + 2, class_number=None if i % 3 == 0 else 1) for i in range(30)]
    pupils.append(pupil(90, national_number=""))
    result = validate(snapshot(pupils))
    outcome_ids = [id(p) for p in result.accepted + result.deferred + result.rejected]
    assert sorted(outcome_ids) == sorted(id(p) for p in pupils)


def test_a_oneroster_pupil_without_demographics_is_accepted():
    from tests.factories import pupil, snapshot

    record = pupil(1, national_number="", gender="", birth=None, source_id="u-1")
    result = validate(snapshot([record], key="source_id", source="oneroster"))
    assert result.accepted == [record] and result.findings == []


@pytest.mark.parametrize("number", [100, 3003, 85073003328])
def test_a_class_number_outside_1_to_99_rejects_the_pupil(number):
    record = pupil(2, class_number=number)
    result = validate(snapshot([record]))
    assert result.rejected == [record]
    (finding,) = result.findings
    assert (finding.code, finding.field, finding.outcome) == (
        "PUPIL_CLASS_NUMBER_INVALID",
        "class_number",
        Outcome.REJECT,
    )
    assert "tussen 1 en 99" in finding.message
    assert "85073003328" not in str(finding.as_dict())


def test_class_number_99_is_fine_and_a_made_up_position_may_pass_it():
    assert validate(snapshot([pupil(2, class_number=99)])).accepted
    # OneRoster has no class numbers: the parser numbers a class of 150 pupils 1..150.
    record = pupil(2, class_number=150, source_id="u-2")
    generated = snapshot([record], key="source_id", class_numbers_generated=True)
    assert validate(generated).accepted == [record]


@pytest.mark.parametrize("field", ["family_name", "given_name"])
def test_a_name_holding_a_national_number_rejects_the_pupil_and_is_masked(field):
    number = national_number(BIRTH, 2)
    dotted = f"{number[:2]}.{number[2:4]}.{number[4:6]}-{number[6:9]}.{number[9:]}"
    record = pupil(2, **{field: dotted})
    result = validate(snapshot([record]))
    assert result.rejected == [record]
    (finding,) = result.findings
    assert finding.code == "PUPIL_NAME_HOLDS_NATIONAL_NUMBER"
    assert finding.field == field
    text = str(finding.as_dict()) + finding.log_text()
    assert number[6:9] not in text.replace("16.03.14", "")
    assert "16.03.14-***.**" in finding.message and "16.03.14-***.**" in finding.pupil_name


def test_a_name_with_other_digits_is_no_national_number():
    assert validate(snapshot([pupil(2, family_name="Peeters 2de van 11111111112")])).accepted
