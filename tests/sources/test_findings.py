import re

import pytest
from django.utils import translation

from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.findings import (
    RULES,
    Finding,
    Outcome,
    Severity,
    finding_title,
    make_finding,
    mask_national_number,
    mask_national_numbers_in,
)


def test_mask_keeps_only_the_birth_date_part():
    assert mask_national_number("85073003328") == "85.07.30-***.**"
    assert mask_national_number("85.07.30-033.28") == "85.07.30-***.**"
    assert mask_national_number("") == ""


def test_a_finding_never_carries_the_full_number():
    finding = make_finding("PUPIL_NATIONAL_NUMBER_INVALID", national_number="85073003329", line=4)
    assert "85073003329" not in str(finding.as_dict())
    assert "033" not in finding.log_text()
    assert finding.outcome is Outcome.REJECT


def test_every_rule_speaks_dutch_and_english():
    for code, rule in RULES.items():
        assert rule.message and rule.hint and rule.message_en, code


def test_every_code_has_its_own_short_dutch_title():
    titles = [rule.title for rule in RULES.values()]
    for code, rule in RULES.items():
        # A few words of Dutch, not the code itself, not the long message.
        assert rule.title and rule.title != code and "_" not in rule.title, code
        assert len(rule.title) <= 60 and rule.title != rule.message, code
        assert finding_title(code) == rule.title
    assert len(set(titles)) == len(titles), "two codes share a title"


def test_a_dutch_schools_titles_say_groep():
    # Titles are translated like the messages (registry/language.py): "groep" in the
    # Netherlands, "klas" in Flanders.
    with translation.override("nl-nl"):
        assert finding_title("PUPIL_NO_CLASS_NUMBER") == "Geen groepsnummer"
        assert finding_title("CLASS_UNKNOWN") == "Onbekende groep"
    with translation.override("nl-be"):
        assert finding_title("PUPIL_NO_CLASS_NUMBER") == "Geen klasnummer"


def test_an_unknown_code_shows_as_itself():
    # A report stored by an older version may hold a code that no rule knows any more.
    assert finding_title("SOME_OLD_CODE") == "SOME_OLD_CODE"


# A valid national number (born 30/7/1985) and a BIS number (month + 40), each written as a
# school's package may write it.
NN = "85073003328"
BIS = "85473003317"


@pytest.mark.parametrize(
    "text",
    [
        NN,
        "85.07.30-033.28",
        "85 07 30 033 28",
        "850730-033.28",
        "85.07.30 - 033.28",
        f"Peeters {NN}",
        f"x{NN}y",
        f"{NN}1",  # a longer run of digits that holds one
        f"12 {NN}",
        BIS,
    ],
)
def test_every_valid_national_number_in_a_text_is_masked(text):
    masked = mask_national_numbers_in(text)
    assert "***.**" in masked
    digits = re.sub(r"[^0-9]", "", masked)
    assert NN[6:] not in digits and BIS[6:] not in digits


@pytest.mark.parametrize(
    "text",
    [
        "85073003329",  # check digits wrong
        "0475 12 34 56",  # a phone number
        "+32 9 123 45 67",
        "30/07/2015",
        "W123456",
        "",
        "Zoë Peeters",
    ],
)
def test_other_numbers_stay_as_they_are(text):
    assert mask_national_numbers_in(text) is text


def test_every_text_of_a_finding_is_masked_however_it_is_made():
    finding = make_finding(
        "PUPIL_BIRTH_DATE_MISSING",
        file="leerlingen.csv",
        line=7,
        field=f"GEBOORTEDATUM {NN}",
        class_code=NN,
        pupil_name="Zoë 85.07.30-033.28",
        value=NN,
    )
    direct = Finding(
        "PUPIL_GENDER_MISSING", Severity.ERROR, Outcome.REJECT, f"m {NN}", f"h {NN}", f"f{NN}"
    )
    for made in (finding, direct):
        text = str(made.as_dict()) + made.log_text()
        assert "033" not in re.sub(r"[^0-9]", "", text.replace("85.07.30", "")), text
    assert finding.message == "De geboortedatum ontbreekt of is onleesbaar (85.07.30-***.**)."
    assert finding.pupil_name == "Zoë 85.07.30-***.**"


def test_a_bad_input_error_masks_its_texts():
    error = BadInput(f"kolom {NN} onbekend", f"column {NN} unknown", file="x.csv", field=NN)
    text = error.user_text() + error.log_text() + str(error.as_dict())
    assert NN not in text and "85.07.30-***.**" in text
