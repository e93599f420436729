"""Local fixtures of the API tests: a DRF client logged in (by session) as a given user, and a few rows of
district A to act on."""

from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api_for(db):
    """`api_for(user)`: an APIClient logged in as `user` through the session (None: anonymous)."""

    def make(user=None):
        client = APIClient()
        client.cookies["steerdesk_language"] = "en"  # messages are asserted in English
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def rows(tree):
    """A person and a membership in district A (committee A), and the same in district B (committee B)."""
    from steerdesk.orgs.tests.factories import MembershipFactory, PersonFactory

    person_a = PersonFactory(home_unit=tree.district_a, full_name="Nguyễn Thị Minh Khai")
    person_b = PersonFactory(home_unit=tree.district_b, full_name="Trần Văn Mai Châu")
    return SimpleNamespace(
        person_a=person_a,
        person_b=person_b,
        membership_a=MembershipFactory(committee=tree.committee_a, person=person_a, role="member"),
        membership_b=MembershipFactory(committee=tree.committee_b, person=person_b, role="member"),
    )
