"""The public page of a LOP, rendered once per version and kept in each worker's memory.

It is the page everyone opens the minute enrolment opens, so a parent's request costs one
indexed query (the LOP by its slug, with its `version`) and the bytes of the page. Every save
or delete of an offer, a LOP school, an administrative group, or the registry's institution
or site a school is named after moves the version of the LOP(s) concerned in the same
transaction (`connect()` below, and `bump_all` after the bulk list load), so no
worker ever serves a page older than the data: the next request after a change renders it
again. Only pages for parents (no log-in) are kept: a logged-in page holds the
person's name and a CSRF token.
"""

from __future__ import annotations

import gzip
import re
import threading

from django.db import connection
from django.db.models import F
from django.db.models.signals import post_delete, post_save

from .models import AdministrativeGroup, Lop, LopSchool, Offer

_pages: dict[int, tuple[tuple, Kept]] = {}
BETWEEN_TAGS = re.compile(rb">\s+<")
_lock = threading.Lock()
KEPT = 64  # LOPs per worker; more are rendered on each request


KEY_FIELDS = ("id", "version", "name", "region", "double_quota", "current_year_start", "slug")


def lop_by_slug(slug: str) -> Lop | None:
    """The LOP row the page depends on, in one plain statement: the ORM's query building was
    half of a kept page's cost (bench/enrolment_bench.py)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(KEY_FIELDS)} FROM {Lop._meta.db_table} WHERE slug = %s", [slug]
        )
        row = cursor.fetchone()
    return None if row is None else Lop(**dict(zip(KEY_FIELDS, row, strict=True)))


def key_of(lop: Lop) -> tuple:
    """What the page depends on of the LOP row itself, and the version of the rest."""
    return (lop.version, lop.name, lop.region, lop.double_quota, lop.current_year_start)


class Kept:
    """A page as kept: the HTML with the template's indentation folded (a run of white space
    between two tags becomes one space, which the browser shows the same), and gzipped once
    for the phones and browsers that accept it (all of them: a tenth of the bytes)."""

    __slots__ = ("plain", "gzipped", "content_type")

    def __init__(self, content: bytes, content_type: str):
        self.plain = BETWEEN_TAGS.sub(b"> <", content)
        self.gzipped = gzip.compress(self.plain, compresslevel=6)
        self.content_type = content_type


def get(lop: Lop) -> Kept | None:
    found = _pages.get(lop.pk)
    if found is None or found[0] != key_of(lop):
        return None
    return found[1]


def put(lop: Lop, content: bytes, content_type: str) -> Kept:
    kept = Kept(content, content_type)
    with _lock:
        if len(_pages) >= KEPT and lop.pk not in _pages:
            _pages.pop(next(iter(_pages)))
        _pages[lop.pk] = (key_of(lop), kept)
    return kept


def clear() -> None:
    _pages.clear()


def bump(lop_ids) -> None:
    Lop.objects.filter(pk__in=lop_ids).update(version=F("version") + 1)


def bump_all() -> None:
    Lop.objects.update(version=F("version") + 1)


def _offer_changed(sender, instance, **kwargs) -> None:
    bump(LopSchool.objects.filter(pk=instance.school_id).values("lop_id"))


def _school_changed(sender, instance, **kwargs) -> None:
    bump([instance.lop_id])


def _group_changed(sender, instance, **kwargs) -> None:
    bump_all()


def _institution_changed(sender, instance, **kwargs) -> None:
    # The page names a school by its institution's name when the LOP gave it none.
    bump(LopSchool.objects.filter(institution_id=instance.pk).values("lop_id"))


def _institutions_saved(sender, pks, **kwargs) -> None:
    bump(LopSchool.objects.filter(institution_id__in=pks).values("lop_id"))


def _site_changed(sender, instance, **kwargs) -> None:
    # ... or by its site's name, and shows the site's street and city.
    bump(LopSchool.objects.filter(site_id=instance.pk).values("lop_id"))


def connect() -> None:
    from schoolbrug.registry.models import Institution, Site
    from schoolbrug.registry.signals import institutions_saved

    institutions_saved.connect(_institutions_saved, dispatch_uid="enrolment-public-bulk")

    for model, receiver in (
        (Offer, _offer_changed),
        (LopSchool, _school_changed),
        (AdministrativeGroup, _group_changed),
        (Institution, _institution_changed),
        (Site, _site_changed),
    ):
        uid = f"enrolment-public-{model.__name__}"
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}-delete")
