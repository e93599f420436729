"""Shared fixtures: a small tree and the four classic users (healthchecks' alice/bob/charlie, NetBox's
ViewTestCases): an owner (secretary), a member, a read-only viewer of district A, an admin of district A, and an
outsider who is secretary of the sibling district B. Every app's permission tests use these."""

import os
from types import SimpleNamespace

import pytest
from hypothesis import settings as hypothesis_settings

hypothesis_settings.register_profile("ci", max_examples=60, deadline=None)
hypothesis_settings.register_profile("dev", max_examples=100, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """argon2 is deliberately slow; tests that are not about hashing use MD5 (tests of argon2 override this)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tree(db):
    """province → {district A → commune A1, district B}; a committee in each district."""
    from steerdesk.orgs.tests.factories import CommitteeFactory, OrgUnitFactory

    province = OrgUnitFactory(name="Tỉnh Hòa Bình", kind="province", code="UBND")
    district_a = OrgUnitFactory(name="Huyện Lạc Sơn", kind="district", parent=province)
    commune_a1 = OrgUnitFactory(name="Xã Vũ Bình", kind="commune", parent=district_a)
    district_b = OrgUnitFactory(name="Huyện Mai Châu", kind="district", parent=province)
    return SimpleNamespace(
        province=province,
        district_a=district_a,
        commune_a1=commune_a1,
        district_b=district_b,
        committee_a=CommitteeFactory(unit=district_a, name="Ban Chỉ đạo 35 huyện Lạc Sơn"),
        committee_b=CommitteeFactory(unit=district_b, name="Ban Chỉ đạo 35 huyện Mai Châu"),
    )


@pytest.fixture
def users(tree):
    from steerdesk.accounts.tests.factories import RoleGrantFactory, UserFactory

    def make(username, unit, role):
        user = UserFactory(username=username)
        RoleGrantFactory(user=user, unit=unit, role=role)
        return user

    return SimpleNamespace(
        owner=make("owner", tree.district_a, "secretary"),
        member=make("member", tree.district_a, "member"),
        viewer=make("viewer", tree.district_a, "viewer"),
        admin=make("admin", tree.district_a, "admin"),
        outsider=make("outsider", tree.district_b, "secretary"),
        superuser=UserFactory(username="root", is_superuser=True, is_staff=True),
    )


@pytest.fixture
def client_for(client):
    """`client_for(user)`: a Django test client logged in as `user` (2FA step treated as done)."""
    from django.test import Client

    def make(user):
        c = Client()
        c.force_login(user)
        return c

    return make
