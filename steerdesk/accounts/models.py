"""Users and their role grants on unit subtrees (DESIGN §3)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from steerdesk.core.models import ScopedModel
from steerdesk.core.scope import Role


class User(AbstractUser):
    """A SteerDesk account. Optionally linked to the Person it belongs to.

    The full name is typed once and stored split the Western way Django expects: `last_name` holds the family
    and middle names, `first_name` the given name (`Nguyễn Thị Minh Khai` → `Nguyễn Thị Minh` / `Khai`), so
    `get_full_name()` gives the name back in Vietnamese order and `get_short_name()` the name people are
    addressed by.
    """

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
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_(
            "Applied each time you log in; the switch in the top bar changes it for this browser only."
        ),
    )
    # Optimistic locking and "who changed it" like every other editable object (DESIGN §5).
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        "self",
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        return " ".join(part for part in (self.last_name, self.first_name) if part).strip()

    @property
    def unit_path(self) -> str:
        """The home unit's path: audit entries about this account are filed under it (core.audit)."""
        return self.home_unit.path if self.home_unit_id else ""


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
