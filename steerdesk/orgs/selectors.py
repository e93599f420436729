"""Reads on units, committees, people and memberships; every one starts from `for_user`."""

from __future__ import annotations

from django.http import Http404

from .models import Committee, Membership, OrgUnit, Person


def unit_get(*, user, pk) -> OrgUnit:
    unit = OrgUnit.objects.for_user(user).filter(pk=pk).first()
    if unit is None:
        raise Http404
    return unit


def unit_summary(*, user, unit: OrgUnit) -> dict:
    """Counts for the dashboard: units, committees, people and current memberships in the unit's subtree."""
    return {
        "unit": unit,
        "units": OrgUnit.objects.for_user(user).in_subtree(unit.path).filter(is_active=True).count(),
        "committees": Committee.objects.for_user(user).in_subtree(unit.path).filter(is_active=True).count(),
        "people": Person.objects.for_user(user).in_subtree(unit.path).filter(is_active=True).count(),
        "memberships": Membership.objects.for_user(user)
        .in_subtree(unit.path)
        .filter(end_date__isnull=True)
        .count(),
    }
