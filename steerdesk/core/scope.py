"""The unit-scope rule (DESIGN §3), implemented once.

A user sees
1. rows whose unit path lies in the subtree of a unit where they hold a grant; plus
2. rows addressed to such a unit through a relation row that carries the addressee's unit path; minus
3. restricted rows they are not named on.
Superusers see everything. Subtrees are queried by range (`path >= P AND path < P~`), which uses the index on
SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

PATH_END = "~"  # sorts after every path character (0-9, A-Z)


class Role(models.TextChoices):
    """Roles granted on a unit subtree (DESIGN §3), strongest first."""

    ADMIN = "admin", _("Administrator")
    SECRETARY = "secretary", _("Secretary")
    MEMBER = "member", _("Member")
    VIEWER = "viewer", _("Viewer")


ROLE_RANK = {Role.VIEWER: 1, Role.MEMBER: 2, Role.SECRETARY: 3, Role.ADMIN: 4}


def subtree_q(field: str, paths: Iterable[str]) -> Q:
    """Rows whose `field` lies in any of the subtrees rooted at `paths` (a range per path)."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__gte": path, f"{field}__lt": path + PATH_END})
    return q


def collapse_paths(paths: Iterable[str]) -> list[str]:
    """Drop paths that lie inside another path of the set: `[A, AB, C] → [A, C]`."""
    result: list[str] = []
    for path in sorted(set(paths)):
        if not result or not path.startswith(result[-1]):
            result.append(path)
    return result


def user_grants(user) -> list[tuple[str, str]]:
    """(unit path, role) of every grant the user holds on an active unit, cached on the user object."""
    cached = getattr(user, "_steerdesk_grants", None)
    if cached is None:
        RoleGrant = apps.get_model("accounts", "RoleGrant")
        cached = list(
            RoleGrant.objects.filter(user_id=user.pk, unit__is_active=True).values_list("unit__path", "role")
        )
        user._steerdesk_grants = cached
    return cached


def scope_paths(user) -> list[str]:
    """Roots of the subtrees a user may read."""
    if not user or not user.is_authenticated:
        return []
    return collapse_paths(path for path, _role in user_grants(user))


def role_at(user, path: str) -> str | None:
    """The strongest role a user holds over the unit at `path` (from a grant on it or an ancestor)."""
    if not user or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    best = None
    for grant_path, role in user_grants(user):
        if path.startswith(grant_path) and (best is None or ROLE_RANK[role] > ROLE_RANK[best]):
            best = role
    return best


def has_role(user, path: str, minimum: str) -> bool:
    """True when the user's role over `path` is at least `minimum`."""
    role = role_at(user, path)
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[minimum]


def forget_grants(user) -> None:
    """Drop the cached grants (after a grant changes in the same request)."""
    if hasattr(user, "_steerdesk_grants"):
        del user._steerdesk_grants


class ScopedQuerySet(models.QuerySet):
    def for_user(self, user) -> ScopedQuerySet:
        """The rows this user may see, by the rule of DESIGN §3."""
        if not user or not user.is_authenticated:
            return self.none()
        model = self.model
        if user.is_superuser:
            return self
        paths = scope_paths(user)
        if not paths:
            return self.none()
        q = subtree_q(model.scope_path_field, paths)
        for field in getattr(model, "scope_extra_path_fields", ()):
            q |= subtree_q(field, paths)
        for relation in getattr(model, "scope_addressed", ()):
            rel = model._meta.get_field(relation)
            related = rel.related_model
            q |= Exists(
                related._base_manager.filter(**{rel.field.name: OuterRef("pk")}).filter(
                    subtree_q(getattr(related, "scope_path_field", "unit_path"), paths)
                )
            )
        qs = self.filter(q)
        restricted = getattr(model, "scope_restricted_q", None)
        if restricted is not None:
            qs = qs.exclude(restricted(user))
        return qs

    def in_subtree(self, path: str) -> ScopedQuerySet:
        """Rows in the subtree rooted at `path` (no user check: combine with for_user)."""
        return self.filter(subtree_q(self.model.scope_path_field, [path]))


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    pass
