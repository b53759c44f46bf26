"""Roles granted by hand, and the per-user mark of the last visit to the start page.

School roles (director, ICT coordinator, secretariat, care team, teacher) are never stored
here: they follow from the staff upload's assignments (`permissions.py`). Only the roles
no administration package knows are granted (site admin, board admin, and the enrolment site's
LOP expert and school admin), by a site admin in the portal, and every grant
ends: `ends_at` may be set at the grant, and ending it early sets it to the moment it ended.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class RoleGrantQuerySet(models.QuerySet):
    def current(self, at=None) -> RoleGrantQuerySet:
        """Grants that count at `at` (now): begun, not ended, of an active account."""
        at = at or timezone.now()
        return self.filter(starts_at__lte=at, user__is_active=True).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=at)
        )


class RoleGrant(models.Model):
    class Role(models.TextChoices):
        SITE_ADMIN = "site_admin", "sitebeheerder"
        BOARD_ADMIN = "board_admin", "bestuursbeheerder"
        # The enrolment site of a LOP (enrolment/): the expert keeps all of one LOP right, a
        # school admin edits one school's offer within the rights the LOP set (one grant per
        # school; a person may hold several).
        LOP_EXPERT = "lop_expert", "LOP-deskundige"
        SCHOOL_ADMIN = "school_admin", "schoolbeheerder"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_grants"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    # The board whose every institution a board admin sees; empty for a site admin.
    board = models.ForeignKey(
        "registry.Board", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The LOP of a LOP expert or school admin; the school of a school admin.
    lop = models.ForeignKey(
        "enrolment.Lop", null=True, blank=True, on_delete=models.CASCADE, related_name="grants"
    )
    lop_school = models.ForeignKey(
        "enrolment.LopSchool",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="grants",
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RoleGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="roles_board_admin_has_board",
                condition=(Q(role="board_admin", board__isnull=False))
                | (Q(role="site_admin", board__isnull=True))
                | Q(role__in=["lop_expert", "school_admin"]),
            ),
            models.CheckConstraint(
                name="roles_lop_roles_have_their_lop",
                condition=Q(
                    role="lop_expert",
                    lop__isnull=False,
                    lop_school__isnull=True,
                    board__isnull=True,
                )
                | Q(
                    role="school_admin",
                    lop__isnull=False,
                    lop_school__isnull=False,
                    board__isnull=True,
                )
                | Q(
                    role__in=["site_admin", "board_admin"],
                    lop__isnull=True,
                    lop_school__isnull=True,
                ),
            ),
        ]

    def __str__(self) -> str:
        place = self.lop_school or self.lop or self.board
        where = f" ({place})" if place is not None else ""
        return f"{self.user} {self.get_role_display()}{where}"


class StartPageVisit(models.Model):
    """When a person last opened their start page: the class-number changes shown there are
    those since the visit before (`web/start_page.py`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="start_page_visit"
    )
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} {self.seen_at:%Y-%m-%d %H:%M}"
