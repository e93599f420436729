"""Users and their role grants on unit subtrees (DESIGN §3)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from steerdesk.core.models import ScopedModel
from steerdesk.core.scope import Role


class User(AbstractUser):
    """A SteerDesk account. Optionally linked to the Person it belongs to."""

    person = models.OneToOneField(
        "orgs.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
    )
    home_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("home unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("The unit whose administrators manage this account."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class RoleGrant(ScopedModel):
    """A role held by a user over a unit and its whole subtree (admin, secretary, member, viewer)."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="grants")
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="grants"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        ordering = ["unit_path", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "unit"], name="accounts_one_grant_per_user_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.unit}"
