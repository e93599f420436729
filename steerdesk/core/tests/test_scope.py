"""The scope rule of DESIGN §3: own subtree, plus addressed rows, minus restricted rows; superusers see all."""

import pytest

from steerdesk.accounts.tests.factories import RoleGrantFactory, UserFactory
from steerdesk.core.scope import collapse_paths, has_role, role_at, subtree_q
from steerdesk.orgs.models import Committee, OrgUnit, Person
from steerdesk.orgs.tests.factories import MembershipFactory, OrgUnitFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_collapse_paths_drops_nested_roots():
    assert collapse_paths(["0001", "00010002", "0003", "0001"]) == ["0001", "0003"]


def test_a_user_sees_their_subtree_and_not_the_sibling(tree, users):
    units = set(OrgUnit.objects.for_user(users.owner))
    assert units == {tree.district_a, tree.commune_a1}
    assert set(Committee.objects.for_user(users.owner)) == {tree.committee_a}
    assert set(Committee.objects.for_user(users.outsider)) == {tree.committee_b}


def test_a_province_grant_sees_every_district(tree):
    user = UserFactory()
    RoleGrantFactory(user=user, unit=tree.province, role="viewer")
    assert OrgUnit.objects.for_user(user).count() == 4


def test_anonymous_and_grantless_users_see_nothing(tree, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert not OrgUnit.objects.for_user(AnonymousUser()).exists()
    assert not OrgUnit.objects.for_user(UserFactory()).exists()


def test_superuser_sees_everything(tree, users):
    assert OrgUnit.objects.for_user(users.superuser).count() == OrgUnit.objects.count()


def test_range_query_does_not_match_a_sibling_with_a_longer_path(tree):
    # A path that starts with the same characters but is a different subtree must not match the range.
    other = OrgUnitFactory(parent=None, name="Another root")
    assert not OrgUnit.objects.filter(subtree_q("path", [tree.province.path])).filter(pk=other.pk).exists()


def test_addressed_rows_are_visible_to_the_addressee(tree, users):
    # A person of district B appointed to district A's committee is visible in A through the membership.
    person_b = PersonFactory(home_unit=tree.district_b)
    assert person_b not in Person.objects.for_user(users.owner)
    MembershipFactory(committee=tree.committee_a, person=person_b)
    assert person_b in Person.objects.for_user(users.owner)
    # …and listing does not duplicate rows.
    MembershipFactory(committee=tree.committee_a, person=person_b, role="experts")
    assert list(Person.objects.for_user(users.owner)).count(person_b) == 1


def test_restricted_rows_are_hidden(tree, users, monkeypatch):
    from django.db.models import Q

    monkeypatch.setattr(
        Committee, "scope_restricted_q", classmethod(lambda cls, user: Q(name__contains="Lạc")), raising=False
    )
    assert tree.committee_a not in Committee.objects.for_user(users.owner)


def test_roles_are_inherited_down_the_tree_and_the_strongest_wins(tree):
    user = UserFactory()
    RoleGrantFactory(user=user, unit=tree.province, role="viewer")
    RoleGrantFactory(user=user, unit=tree.district_a, role="secretary")
    assert role_at(user, tree.commune_a1.path) == "secretary"
    assert role_at(user, tree.district_b.path) == "viewer"
    assert has_role(user, tree.district_b.path, "viewer")
    assert not has_role(user, tree.district_b.path, "secretary")


def test_inactive_units_grant_nothing(tree):
    user = UserFactory()
    RoleGrantFactory(user=user, unit=tree.district_a, role="admin")
    OrgUnit.objects.filter(pk=tree.district_a.pk).update(is_active=False)
    assert not OrgUnit.objects.for_user(user).exists()
