"""The automatic change log: every save, delete and many-to-many change of an audited model
(`audited.AUDITED`) becomes an `AuditEntry`, in the same transaction, with the actor and
reason of the current context (`context.py`) and the fields that changed as
{"field": [old, new]}.

The old values are read in pre_save with one query by primary key: only hand edits and the
few commands that save models pass here (the sync writes in bulk and sends no signals), so
reading the row again costs nothing that counts, and it is right even for an instance that
was loaded long ago. Secrets are never written (only "gewijzigd"/"gewist"), national
numbers only masked.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from schoolbrug.sources.findings import mask_national_number

from .audited import ALWAYS_IGNORED, AUDITED, Audited, derived_id
from .context import current
from .models import AuditEntry

log = logging.getLogger("schoolbrug.audit")

SECRET_SET = "gewijzigd"
SECRET_CLEARED = "gewist"
RECENT_KEPT = 256
_BEFORE = "_schoolbrug_audit_before"  # instance attribute: pre_save/pre_delete → post_*
_M2M_BEFORE = "_schoolbrug_audit_m2m"

_specs: dict[type[models.Model], Audited] = {}
# through model → [(model that holds the field, field name)]
_through: dict[type[models.Model], list[tuple[type[models.Model], str]]] = {}


def connect() -> None:
    """Connect the receivers for every audited model (from AuditConfig.ready)."""
    for spec in AUDITED:
        model = apps.get_model(spec.model)
        _specs[model] = spec
        uid = f"audit-{spec.model}"
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"{uid}-pre-save")
        post_save.connect(_after_save, sender=model, dispatch_uid=f"{uid}-post-save")
        pre_delete.connect(_before_delete, sender=model, dispatch_uid=f"{uid}-pre-delete")
        post_delete.connect(_after_delete, sender=model, dispatch_uid=f"{uid}-post-delete")
        for name in spec.many:
            through = model._meta.get_field(name).remote_field.through
            _through.setdefault(through, []).append((model, name))
            m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"{uid}-m2m-{name}")


def spec_for(model: type[models.Model]) -> Audited | None:
    return _specs.get(model)


@functools.cache
def logged_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    """The concrete fields the log compares: all but the primary key and the ignored."""
    spec = _specs[model]
    skip = ALWAYS_IGNORED | set(spec.ignore)
    return tuple(f for f in model._meta.concrete_fields if not f.primary_key and f.name not in skip)


# --- values -------------------------------------------------------------------------------


def _snapshot(model, instance, fields=None) -> dict[str, Any]:
    return {f.name: getattr(instance, f.attname) for f in fields or logged_fields(model)}


def _stored(model, pk, using) -> dict[str, Any] | None:
    fields = logged_fields(model)
    row = model._base_manager.using(using).filter(pk=pk).values(*(f.attname for f in fields))
    found = row.first()
    return None if found is None else {f.name: found[f.attname] for f in fields}


def _many(instance, name: str) -> list[str]:
    if instance.pk is None:
        return []
    # select_related(): a related object's name often reads its own foreign keys (a
    # permission's content type), and a group may hold many.
    return sorted(str(obj) for obj in getattr(instance, name).all().select_related())


def plain(value: Any) -> Any:
    """A value as JSON holds it and a person reads it."""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M" if not value.second else "%H:%M:%S")
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, tuple | set | frozenset):
        return [plain(v) for v in (sorted(value) if not isinstance(value, tuple) else value)]
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


def _shown(model, spec: Audited, name: str, value: Any, using=None) -> Any:
    if value is None:
        return None
    if name in spec.masked:
        return mask_national_number(str(value)) if value else value
    field = model._meta.get_field(name)
    if field.many_to_one or field.one_to_one:
        related = field.related_model._base_manager.using(using).filter(pk=value).first()
        return str(related) if related is not None else plain(value)
    return plain(value)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def diff(model, old: dict | None, new: dict | None, using=None) -> dict[str, list]:
    """{field: [old, new]} of what differs, shown: secrets as a word, numbers masked. A new
    entity lists its values that are not empty; a deleted one its last values."""
    spec = _specs[model]
    changes: dict[str, list] = {}
    for name in new if new is not None else old:
        before = None if old is None else old.get(name)
        after = None if new is None else new.get(name)
        if before == after or (old is None and _empty(after)) or (new is None and _empty(before)):
            continue
        if name in spec.secret:
            if new is not None:
                changes[name] = [None, SECRET_SET if after else SECRET_CLEARED]
        elif name in spec.many:
            changes[name] = [before, after]
        else:
            changes[name] = [
                _shown(model, spec, name, before, using),
                _shown(model, spec, name, after, using),
            ]
    return changes


def changed_fields(before: models.Model | None, after: models.Model) -> dict[str, list]:
    """What saving `after` over `before` would log (nothing is written)."""
    model = type(after)
    old = None if before is None else _snapshot(model, before)
    return diff(model, old, _snapshot(model, after))


# --- entries ------------------------------------------------------------------------------


def _follow(instance, path: str) -> str:
    value = instance
    try:
        for part in path.split("."):
            value = getattr(value, part)
    except (ObjectDoesNotExist, AttributeError):
        return ""
    return str(value or "")


def _institution_number(model, spec: Audited, instance) -> str:
    path = spec.institution
    if path is None:
        path = "institution.number" if _has_field(model, "institution") else ""
    return _follow(instance, path) if path else ""


def _has_field(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.get_fields())


def audit_id(instance) -> uuid.UUID:
    """The id under which the log records this entity."""
    model = type(instance)
    spec = _specs[model]
    if spec.audit_id is not None:
        return spec.audit_id(instance)
    sourced_id = getattr(instance, "sourced_id", None)
    return sourced_id or derived_id(model._meta.label_lower, instance.pk)


def _entry(model, instance, kind: str, changes: dict, where=None, warn=True) -> AuditEntry:
    spec = _specs[model]
    context = current()
    if warn and not context.known:
        log.warning("audit: %s %s outside any audit context", kind, model._meta.label)
    number, entity_id = where or (_institution_number(model, spec, instance), audit_id(instance))
    return AuditEntry(
        at=timezone.now(),
        actor=context.actor_name(),
        reason=context.reason_text(),
        institution_number=number,
        entity=spec.entity,
        entity_sourced_id=entity_id,
        action=spec.action(kind, changes) if spec.action else kind,
        changes=changes,
    )


def _write(model, instance, kind: str, changes: dict, using, where=None) -> None:
    entry = _entry(model, instance, kind, changes, where)
    entry.save(using=using)
    if kind != "delete":
        recent = current().recent
        recent[(model._meta.label, instance.pk)] = (entry.pk, kind)
        if len(recent) > RECENT_KEPT:  # a long command: only the last saves can be joined
            recent.pop(next(iter(recent)))


def record_bulk(
    model: type[models.Model],
    pairs: Iterable[tuple[models.Model | None, models.Model]],
    *,
    sync_run_id: int | None = None,
    institution_number: str | None = None,
) -> int:
    """Entries for rows written in bulk (no signals): `(before, after)` per row, before None
    for a new row, both holding the logged fields. One insert; returns how many. A sync's
    writer names its run and institution (its entries are the run's)."""
    entries = []
    for before, after in pairs:
        old = None if before is None else _snapshot(model, before)
        changes = diff(model, old, _snapshot(model, after))
        if changes or before is None:
            kind = "create" if before is None else "update"
            entry = _entry(model, after, kind, changes, warn=False)
            entry.sync_run_id = sync_run_id
            if institution_number is not None:
                entry.institution_number = institution_number
            entries.append(entry)
    if entries and not current().known:
        log.warning("audit: %d %s outside any audit context", len(entries), model._meta.label)
    AuditEntry.objects.bulk_create(entries, batch_size=500)
    return len(entries)


# --- receivers ----------------------------------------------------------------------------


def _before_save(sender, instance, raw=False, using=None, update_fields=None, **_) -> None:
    fields = logged_fields(sender)
    if update_fields is not None:
        fields = tuple(f for f in fields if f.name in update_fields or f.attname in update_fields)
        if not fields:  # only ignored fields (a log-in's last_login): nothing to log
            instance.__dict__[_BEFORE] = ("skip", None)
            return
    old = None if instance.pk is None else _stored(sender, instance.pk, using)
    if old is not None:
        old = {f.name: old[f.name] for f in fields}
    instance.__dict__[_BEFORE] = (fields, old)


def _after_save(sender, instance, created, using=None, **_) -> None:
    fields, old = instance.__dict__.pop(_BEFORE, (None, None))
    if fields == "skip":
        return
    if created or old is None:
        new = _snapshot(sender, instance)
        _write(sender, instance, "create", diff(sender, None, new, using), using)
        return
    changes = diff(sender, old, _snapshot(sender, instance, fields), using)
    if changes:
        _write(sender, instance, "update", changes, using)
    else:
        current().recent.pop((sender._meta.label, instance.pk), None)


def _before_delete(sender, instance, using=None, **_) -> None:
    spec = _specs[sender]
    old = _snapshot(sender, instance)
    old.update({name: _many(instance, name) for name in spec.many})
    # Where the entity was, read now: a cascade may remove its institution next.
    where = (_institution_number(sender, spec, instance), audit_id(instance))
    instance.__dict__[_BEFORE] = (old, where)


def _after_delete(sender, instance, using=None, **_) -> None:
    old, where = instance.__dict__.pop(_BEFORE, (None, None))
    if old is None:
        return
    _write(sender, instance, "delete", diff(sender, old, None, using), using, where)
    current().recent.pop((sender._meta.label, instance.pk), None)


def _owners(model, name: str, instance, reverse: bool, pk_set, action: str) -> list:
    """The objects whose field `name` this change touches (several from the other side)."""
    if not reverse:
        return [instance]
    if action == "pre_clear":
        return list(model._base_manager.filter(**{name: instance}))
    return list(model._base_manager.filter(pk__in=pk_set or ()))


def _m2m_changed(sender, instance, action, reverse, pk_set, using=None, **_) -> None:
    stage, _sep, what = action.partition("_")
    for model, name in _through.get(sender, ()):
        key = (sender, name, what)
        if stage == "pre":
            owners = _owners(model, name, instance, reverse, pk_set, action)
            stash = instance.__dict__.setdefault(_M2M_BEFORE, {})
            stash[key] = [(owner, _many(owner, name)) for owner in owners]
        elif stage == "post":
            for owner, before in instance.__dict__.get(_M2M_BEFORE, {}).pop(key, []):
                after = _many(owner, name)
                if before != after:
                    _record_many(model, owner, name, before, after, using)


def _record_many(model, owner, name: str, before: list, after: list, using) -> None:
    """Join the entry this context just wrote for `owner` (its save), or write one."""
    recent = current().recent.get((model._meta.label, owner.pk))
    entry = AuditEntry.objects.using(using).filter(pk=recent[0]).first() if recent else None
    if entry is None:  # none, or rolled back with its transaction
        _write(model, owner, "update", {name: [before, after]}, using)
        return
    changes = dict(entry.changes)
    old = changes[name][0] if name in changes else (None if recent[1] == "create" else before)
    if old == after or (old is None and not after):
        changes.pop(name, None)
    else:
        changes[name] = [old, after]
    AuditEntry.objects.using(using).filter(pk=entry.pk).update(changes=changes)
