"""The user's current unit (unit switcher) and the breadcrumb of its path, shared by every page."""

from __future__ import annotations

from django.apps import apps

from .scope import PATH_END, scope_paths

SESSION_KEY = "steerdesk_current_unit"


def switchable_units(user):
    """Units a user can switch to: the roots of their scope (for superusers, the roots of the tree).

    Cached on the user object, which lives for one request."""
    cached = getattr(user, "_steerdesk_switchable_units", None)
    if cached is not None:
        return cached
    OrgUnit = apps.get_model("orgs", "OrgUnit")
    if user.is_superuser:
        cached = list(OrgUnit.objects.filter(parent__isnull=True, is_active=True).order_by("path"))
    else:
        cached = list(OrgUnit.objects.filter(path__in=scope_paths(user)).order_by("path"))
    user._steerdesk_switchable_units = cached
    return cached


def current_unit(request):
    """The unit the user is working in: the one they switched to if still in scope, else their first."""
    if hasattr(request, "_steerdesk_current_unit"):
        return request._steerdesk_current_unit
    unit = None
    user = request.user
    if user.is_authenticated:
        OrgUnit = apps.get_model("orgs", "OrgUnit")
        unit_id = request.session.get(SESSION_KEY)
        if unit_id:
            unit = OrgUnit.objects.for_user(user).filter(pk=unit_id).first()
        if unit is None:
            roots = switchable_units(user)
            unit = roots[0] if roots else None
    request._steerdesk_current_unit = unit
    return unit


def breadcrumb(user, unit) -> list[dict]:
    """Ancestors of `unit` and the unit itself, root first; ancestors outside the user's scope carry no link."""
    if unit is None:
        return []
    OrgUnit = apps.get_model("orgs", "OrgUnit")
    paths = unit.ancestor_paths + [unit.path]
    units = {
        u.path: u for u in OrgUnit.objects.filter(path__in=paths).only("id", "name", "short_name", "path")
    }
    scope = scope_paths(user)
    crumbs = []
    for path in paths:
        u = units.get(path)
        if u is None:
            continue
        visible = user.is_superuser or any(path >= p and path < p + PATH_END for p in scope)
        crumbs.append({"unit": u, "linked": visible})
    return crumbs


def current_unit_context(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    unit = current_unit(request)
    return {
        "current_unit": unit,
        "switchable_units": switchable_units(user),
        "unit_breadcrumb": breadcrumb(user, unit),
    }
