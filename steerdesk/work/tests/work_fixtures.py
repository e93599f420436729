"""Fixtures and helpers of the work services tests (imported with `*`): a secretary of the province, units built
in bulk with correct paths, people linked to users, and a fixed "today".

Units are written with `bulk_create` and paths computed like `orgs.services._next_child_path` (4 base-36
characters per level), so a test can build hundreds of units in one query."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

from steerdesk.core.scope import forget_grants
from steerdesk.orgs.models import PATH_STEP, OrgUnit
from steerdesk.orgs.services import _decode_segment, _encode_segment

TODAY = datetime.date(2026, 3, 16)  # a Monday


def add_units(parent: OrgUnit, count: int, *, kind: str = OrgUnit.Kind.OTHER, name: str = "Đơn vị", **fields):
    """`count` new children of `parent` (after its existing ones), in one INSERT; returns them in path order."""
    last = OrgUnit.objects.filter(parent=parent).order_by("-path").values_list("path", flat=True).first()
    start = 0 if last is None else _decode_segment(last[len(parent.path) :]) + 1
    rows = []
    for i in range(count):
        path = parent.path + _encode_segment(start + i)
        rows.append(
            OrgUnit(
                name=f"{name} {start + i + 1}",
                kind=kind,
                parent=parent,
                path=path,
                depth=len(path) // PATH_STEP - 1,
                **fields,
            )
        )
    OrgUnit.objects.bulk_create(rows, batch_size=500)
    return list(OrgUnit.objects.filter(parent=parent, path__in=[r.path for r in rows]).order_by("path"))


def grant(user, unit: OrgUnit, role: str):
    """Give `user` a role on `unit` (and forget the grants cached on the user object)."""
    from steerdesk.accounts.tests.factories import RoleGrantFactory

    RoleGrantFactory(user=user, unit=unit, role=role)
    forget_grants(user)
    return user


def make_user(username: str, unit: OrgUnit, role: str, *, with_person: bool = False):
    from steerdesk.accounts.tests.factories import UserFactory

    user = UserFactory(username=username)
    if with_person:
        link_person(user, unit)
    return grant(user, unit, role)


def link_person(user, unit: OrgUnit):
    """A Person in `unit` linked to `user` (responsible people are persons)."""
    from steerdesk.orgs.tests.factories import PersonFactory

    user.person = PersonFactory(home_unit=unit, full_name=f"Trần Văn {user.username.capitalize()}")
    user.save(update_fields=["person"])
    return user.person


@pytest.fixture
def prov(tree):
    """The province's secretary (assigns work to both districts) and its viewer."""
    return SimpleNamespace(
        secretary=make_user("prov_secretary", tree.province, "secretary"),
        viewer=make_user("prov_viewer", tree.province, "viewer"),
    )
