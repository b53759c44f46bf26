"""A new model cannot forget the audit log: every concrete model of every installed app is
either followed by the change log or exempt with a reason, every many-to-many field of a
followed model is followed (or ignored on purpose), and users read each in Dutch."""

from __future__ import annotations

from django.apps import apps

from schoolbrug.audit import changes
from schoolbrug.audit.audited import ALWAYS_IGNORED, AUDITED, EXEMPT
from schoolbrug.audit.presenters import ENTITY_LABELS, FIELD_LABELS


def test_every_model_is_audited_or_exempt_with_a_reason():
    audited = {spec.model for spec in AUDITED}
    models = {model._meta.label for model in apps.get_models()}
    forgotten = sorted(models - audited - set(EXEMPT))
    assert not forgotten, f"add to audit.audited.AUDITED, or to EXEMPT with why: {forgotten}"
    assert not audited & set(EXEMPT), "a model is either audited or exempt"
    assert not (audited | set(EXEMPT)) - models, "audit.audited names a model that is gone"
    assert all(reason.strip() for reason in EXEMPT.values())


def test_the_models_that_carry_rights_are_audited():
    audited = {spec.model for spec in AUDITED}
    assert {
        "registry.Staff",
        "registry.Assignment",
        "registry.Teaching",
        "registry.Institution",
        "sharing.Sharing",
        "sharing.App",
        "sharing.AppGrant",
        "oauth2_provider.Application",
        "links.SourceLink",
        "auth.User",
        "auth.Group",
    } <= audited


def test_every_many_to_many_field_of_an_audited_model_is_followed_or_ignored():
    for spec in AUDITED:
        model = apps.get_model(spec.model)
        forward = {f.name for f in model._meta.many_to_many}
        assert forward <= set(spec.many) | set(spec.ignore), (spec.model, forward)
        assert set(spec.many) <= forward, (spec.model, spec.many)


def test_the_named_fields_exist():
    """A typo in `secret` would log a secret in clear: every named field must exist."""
    for spec in AUDITED:
        model = apps.get_model(spec.model)
        names = {f.name for f in model._meta.get_fields()}
        for group in (spec.ignore, spec.secret, spec.masked, spec.many):
            assert set(group) <= names, (spec.model, set(group) - names)


def test_secrets_and_national_numbers_are_named_wherever_they_are():
    for model, fields in (
        ("auth.User", {"password"}),
        ("oauth2_provider.Application", {"client_secret"}),
        ("links.SourceLink", {"token_hash", "informat_client_secret"}),
    ):
        (spec,) = [s for s in AUDITED if s.model == model]
        assert fields <= set(spec.secret), model
    (pupil,) = [s for s in AUDITED if s.model == "registry.Pupil"]
    assert "national_number" in pupil.masked


def test_every_entity_and_field_the_log_writes_has_a_dutch_label():
    entities = {spec.entity for spec in AUDITED}
    assert not entities - set(ENTITY_LABELS), entities - set(ENTITY_LABELS)
    missing = set()
    for spec in AUDITED:
        model = apps.get_model(spec.model)
        names = {f.name for f in changes.logged_fields(model)} | set(spec.many)
        missing |= {f"{spec.model}.{n}" for n in names - set(FIELD_LABELS) - ALWAYS_IGNORED}
    assert not missing, f"add to audit.presenters.FIELD_LABELS: {sorted(missing)}"
