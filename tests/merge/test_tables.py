"""Every table of every installed app has a merge rule: a new model without one fails here
(and `fold.apply` refuses to run) until someone decides to fold it, join it or skip it."""

from __future__ import annotations

from schoolbrug.merge import tables
from schoolbrug.merge.folder import write_order


def test_every_model_has_a_rule():
    assert tables.missing_rules() == []


def test_a_model_without_a_rule_is_found(monkeypatch):
    rules = dict(tables.RULES)
    del rules["platform.LicenceSeat"]
    monkeypatch.setattr(tables, "RULES", rules)
    assert tables.missing_rules() == ["platform.LicenceSeat"]


def test_rules_name_real_models_and_fields():
    labels = {m._meta.label for m in tables.all_models()}
    assert set(tables.RULES) <= labels, set(tables.RULES) - labels
    for model in tables.all_models():
        rule = tables.rule_for(model)
        if rule.action == tables.SKIP:
            assert len(rule.reason) > 20, model._meta.label  # a reason a person can read
            continue
        named = [*rule.join_on, *rule.drop_if_joined, *rule.set_values]
        if rule.rename:
            named.append(rule.rename[1])
        for name in named:
            model._meta.get_field(name)  # raises for a name that is not a field


def test_folded_tables_have_a_write_order_without_cycles():
    folded = {
        m._meta.label: m for m in tables.all_models() if tables.rule_for(m).action == tables.FOLD
    }
    order = write_order(folded)
    assert order.index("registry.Institution") < order.index("registry.Pupil")
    assert order.index("registry.Pupil") < order.index("registry.Enrolment")
    assert order.index("auth.User") < order.index("roles.RoleGrant")
