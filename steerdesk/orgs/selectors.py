"""Reads on units, committees, people and memberships; every one starts from `for_user`."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from steerdesk.core.audit import audit_history, audit_history_of
from steerdesk.core.scope import PATH_END, ROLE_RANK, Role, collapse_paths, subtree_q, user_grants
from steerdesk.core.text import tokens
from steerdesk.core.units import switchable_units

from .models import Committee, Membership, OrgUnit, Person

# ---------------------------------------------------------------------------------------------------------
# Units


def unit_get(*, user, pk) -> OrgUnit:
    """The unit `pk` if the user may see it; Http404 for missing and out-of-scope alike."""
    unit = OrgUnit.objects.for_user(user).filter(pk=pk).first()
    if unit is None:
        raise Http404
    return unit


def _with_child_counts(qs: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
    return qs.annotate(child_count=Count("children", distinct=True))


def unit_roots(*, user) -> list[OrgUnit]:
    """The roots of the user's scope (where the tree page starts), each with `child_count`."""
    pks = [u.pk for u in switchable_units(user)]
    return list(_with_child_counts(OrgUnit.objects.filter(pk__in=pks)).order_by("path"))


def unit_children(*, user, unit: OrgUnit) -> list[OrgUnit]:
    """The child units of `unit` the user may see, in tree order, each with `child_count` (one query)."""
    return list(_with_child_counts(OrgUnit.objects.for_user(user).filter(parent=unit)).order_by("path"))


def unit_tree_open(*, user, unit: OrgUnit) -> dict[int, list[OrgUnit]]:
    """Children of `unit` and of each of its ancestors, keyed by parent id (one query).

    Used by the tree page without JavaScript: `?open=<id>` shows the branch down to that unit expanded.
    """
    paths = unit.ancestor_paths + [unit.path]
    children: dict[int, list[OrgUnit]] = {}
    qs = _with_child_counts(OrgUnit.objects.for_user(user).filter(parent__path__in=paths)).order_by("path")
    for child in qs:
        children.setdefault(child.parent_id, []).append(child)
    return children


def _role_paths(user, role: str) -> list[str] | None:
    """Roots of the subtrees where the user holds at least `role`; None means everywhere (superuser)."""
    if user.is_superuser:
        return None
    return collapse_paths(path for path, held in user_grants(user) if ROLE_RANK[held] >= ROLE_RANK[role])


def units_with_role(*, user, role: str) -> QuerySet[OrgUnit]:
    """Active units over which the user holds at least `role` (choices for an import or a move)."""
    paths = _role_paths(user, role)
    qs = OrgUnit.objects.filter(is_active=True)
    return (qs if paths is None else qs.filter(subtree_q("path", paths))).order_by("path")


def committees_with_role(*, user, role: str) -> QuerySet[Committee]:
    """Active committees whose unit the user holds at least `role` over."""
    paths = _role_paths(user, role)
    qs = Committee.objects.filter(is_active=True)
    return (qs if paths is None else qs.filter(subtree_q("unit_path", paths))).order_by("unit_path", "name")


def unit_move_targets(*, user, unit: OrgUnit) -> QuerySet[OrgUnit]:
    """Active units the unit could move under: the user administers them and they are outside its subtree."""
    return units_with_role(user=user, role=Role.ADMIN).exclude(
        path__gte=unit.path, path__lt=unit.path + PATH_END
    )


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


# ---------------------------------------------------------------------------------------------------------
# Search helper


def _folded_search(qs: QuerySet, field: str, q: str | None) -> QuerySet:
    """Rows whose `field`, folded, contains every folded token of `q` (`hoa binh` finds `Hòa Bình`).

    There is no folded column on these tables yet, so the scoped candidates' (id, text) pairs are folded in
    Python; fine for a unit's committees and people (thousands), not for a national full-text search.
    """
    terms = tokens(q)
    if not terms:
        return qs
    ids = []
    for pk, text in qs.values_list("pk", field):
        folded = " ".join(tokens(text))
        if all(term in folded for term in terms):
            ids.append(pk)
    return qs.filter(pk__in=ids)


# ---------------------------------------------------------------------------------------------------------
# Committees


def committee_list(*, user, unit: OrgUnit | None = None, q: str | None = None, subtree: bool = True):
    """Committees the user may see, in `unit`'s subtree (or only in `unit` when `subtree` is false),
    optionally filtered by a folded search on the name."""
    qs = Committee.objects.for_user(user).select_related("unit")
    if unit is not None:
        qs = qs.in_subtree(unit.path) if subtree else qs.filter(unit=unit)
    qs = _folded_search(qs, "name", q)
    return qs.annotate(
        current_members=Count("memberships", filter=Q(memberships__end_date__isnull=True))
    ).order_by("unit_path", "-is_active", "name")


def committee_get(*, user, pk) -> Committee:
    """The committee `pk` (with its unit) if the user may see it; Http404 otherwise."""
    committee = Committee.objects.for_user(user).select_related("unit").filter(pk=pk).first()
    if committee is None:
        raise Http404
    return committee


def committee_roster(*, user, committee: Committee) -> dict[str, Any]:
    """The committee's memberships in one query, grouped for the roster.

    Returns `{"positions": [...], "groups": [...], "past": [...], "current_count": n}` where positions and
    groups are lists of `{"role", "label", "members"}` in the order head, standing deputy, deputy, member and
    secretariat, standing agency, experts, collaborators; members sorted by the person's Vietnamese sort key.
    Past memberships come newest end date first.
    """
    memberships = list(
        Membership.objects.for_user(user)
        .filter(committee=committee)
        .select_related("person")
        .order_by("person__name_sort_key", "person_id", "start_date")
    )
    by_role: dict[str, list[Membership]] = {}
    past = []
    for m in memberships:
        m.committee = committee  # avoid a query per row when templates or services read it
        if m.end_date is None:
            by_role.setdefault(m.role, []).append(m)
        else:
            past.append(m)
    past.sort(key=lambda m: (m.end_date, m.start_date), reverse=True)
    labels = dict(Membership.Role.choices)

    def sections(roles):
        return [{"role": r, "label": labels[r], "members": by_role.get(r, [])} for r in roles]

    return {
        "positions": sections(Membership.POSITIONS),
        "groups": sections(Membership.GROUPS),
        "past": past,
        "current_count": sum(len(v) for v in by_role.values()),
    }


def committee_history(*, committee: Committee, membership_ids: list[int], limit: int = 100) -> list[dict]:
    """Audit rows of the committee and of the given memberships of it, newest first, in one query."""
    return audit_history_of([(Committee, [committee.pk]), (Membership, membership_ids)], limit=limit)


# ---------------------------------------------------------------------------------------------------------
# People


def person_list(*, user, unit: OrgUnit | None = None, q: str | None = None, subtree: bool = True):
    """People the user may see, sorted in Vietnamese order (given, middle, family name).

    With `unit`: people whose home unit is in its subtree (or is `unit` itself when `subtree` is false).
    `q` filters by a folded search on the full name.
    """
    qs = Person.objects.for_user(user).select_related("home_unit")
    if unit is not None:
        qs = qs.in_subtree(unit.path) if subtree else qs.filter(home_unit=unit)
    qs = _folded_search(qs, "full_name", q)
    return qs.order_by("name_sort_key", "id")


def person_get(*, user, pk) -> Person:
    """The person `pk` (with home unit) if the user may see them; Http404 otherwise."""
    person = Person.objects.for_user(user).select_related("home_unit").filter(pk=pk).first()
    if person is None:
        raise Http404
    return person


def person_choices(*, user) -> QuerySet[Person]:
    """Active people the user may see, for a select (appoint, replace)."""
    return Person.objects.for_user(user).filter(is_active=True).order_by("name_sort_key", "id")


def person_memberships(*, user, person: Person) -> list[Membership]:
    """Every membership of the person the user may see, over time: current first, then newest first."""
    rows = list(
        Membership.objects.for_user(user)
        .filter(person=person)
        .select_related("committee", "committee__unit")
        .order_by("-start_date", "-id")
    )
    rows.sort(key=lambda m: m.end_date is not None)  # stable: current ones first, each part newest first
    return rows


def membership_get(*, user, pk) -> Membership:
    membership = Membership.objects.for_user(user).select_related("person", "committee").filter(pk=pk).first()
    if membership is None:
        raise Http404
    return membership


def object_history(*, instance) -> list[dict]:
    """The audit history of one object (re-exported so views import reads from selectors only)."""
    return audit_history(instance=instance)
