from schoolbrug.sources.findings import RULES, Outcome, make_finding, mask_national_number


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
