"""Reads of users and role grants, always limited to what the reader administers."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from steerdesk.core.audit import audit_history
from steerdesk.core.scope import Role, collapse_paths, scope_paths, subtree_q, user_grants
from steerdesk.core.text import nfc
from steerdesk.orgs.models import OrgUnit

from .models import RoleGrant, User


def admin_paths(user) -> list[str]:
    """Roots of the subtrees where `user` holds the admin role (empty for superusers: they need none)."""
    if not user or not user.is_authenticated:
        return []
    return collapse_paths(path for path, role in user_grants(user) if role == Role.ADMIN)


def is_user_admin(user) -> bool:
    """May reach user management at all: a superuser, or an admin somewhere."""
    return bool(user and user.is_authenticated and (user.is_superuser or admin_paths(user)))


def _in_subtrees(paths: list[str]) -> Q:
    """Users whose home unit, or one of whose grants, lies in one of the subtrees rooted at `paths`."""
    grants = RoleGrant.objects.filter(user=OuterRef("pk")).filter(subtree_q("unit_path", paths))
    return subtree_q("home_unit__path", paths) | Q(Exists(grants))


def user_list(*, user, unit: OrgUnit | None = None, q: str | None = None) -> QuerySet[User]:
    """Users the actor administers: home unit or a grant in one of their admin subtrees (superuser: all).

    `unit` narrows to that unit's subtree (call with a unit the actor may see); `q` matches username, name or
    e-mail. Home units and the grants the actor can see come with the list (no N+1).
    """
    qs = User.objects.all()
    if not user.is_superuser:
        paths = admin_paths(user)
        if not paths:
            return User.objects.none()
        qs = qs.filter(_in_subtrees(paths))
    if unit is not None:
        qs = qs.filter(_in_subtrees([unit.path]))
    q = nfc(q or "")
    if q:
        for word in q.split():
            qs = qs.filter(
                Q(username__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
            )
    # Only the grants the reader can see: a grant in another subtree would leak that unit.
    grants = RoleGrant.objects.for_user(user).select_related("unit").order_by("unit_path")
    return (
        qs.select_related("home_unit")
        .prefetch_related(Prefetch("grants", queryset=grants))
        .order_by("username")
    )


def user_get(*, user, pk) -> User:
    """One user the actor administers. Http404 when the account is outside the actor's scope (no leak);
    PermissionDenied when the actor can see it (same subtree) but does not administer it."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    found = user_list(user=user).filter(pk=pk).first()
    if found is not None:
        return found
    paths = scope_paths(user)
    if paths and User.objects.filter(pk=pk).filter(_in_subtrees(paths)).exists():
        raise PermissionDenied(_("Only administrators manage user accounts."))
    raise Http404


def grant_get(*, user, pk) -> RoleGrant:
    """A grant the actor may revoke. Http404 outside their scope; PermissionDenied when they only read it."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    grant = RoleGrant.objects.for_user(user).select_related("user", "unit").filter(pk=pk).first()
    if grant is None:
        raise Http404
    if not is_user_admin(user):
        raise PermissionDenied(_("Only administrators manage user accounts."))
    return grant


def admin_units(*, user) -> QuerySet[OrgUnit]:
    """Active units where the actor may place accounts and grant roles (their admin subtrees)."""
    qs = OrgUnit.objects.filter(is_active=True)
    if not user.is_superuser:
        qs = qs.filter(subtree_q("path", admin_paths(user)))
    return qs.order_by("path")


def user_grants_visible(*, user, target: User) -> QuerySet[RoleGrant]:
    """The target's grants on units the reader can see (a grant elsewhere would leak that unit)."""
    return RoleGrant.objects.for_user(user).filter(user=target).select_related("unit").order_by("unit_path")


def user_history(*, user, target: User) -> list[dict]:
    """The account's audit entries the reader may see, newest first, with role-grant entries made readable.

    Grant changes are filed on the account (services.grant_role/grant_revoke) under `grant_unit`/`grant_role`,
    which are not User fields, so their labels are supplied here. Entries filed under a unit outside the
    reader's scope (a role given in another subtree) are left out.
    """
    rows = audit_history(instance=target)
    if not user.is_superuser:
        paths = scope_paths(user)
        rows = [
            row
            for row in rows
            if not row["entry"].unit_path or any(row["entry"].unit_path.startswith(p) for p in paths)
        ]
    roles = dict(Role.choices)
    labels = {"grant_unit": _("Unit of role"), "grant_role": _("Role")}
    for row in rows:
        for change in row["changes"]:
            if change["field"] in labels:
                if change["field"] == "grant_role":
                    change["old"] = roles.get(change["old"], change["old"])
                    change["new"] = roles.get(change["new"], change["new"])
                change["field"] = labels[change["field"]]
    return rows
