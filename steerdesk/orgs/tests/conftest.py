"""Local fixtures of the orgs tests (the shared `tree`, `users` and `client_for` come from the root conftest)."""

import datetime

import pytest

from steerdesk.orgs.models import Membership
from steerdesk.orgs.tests.factories import MembershipFactory, PersonFactory


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Messages built outside a request (services, importer, CLI) are asserted in English; pages still render
    in the language the middleware picks (Vietnamese by default)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def person_a(tree):
    """A person whose home unit is district A."""
    return PersonFactory(full_name="Nguyễn Văn An", home_unit=tree.district_a, title="Chủ tịch UBND huyện")


@pytest.fixture
def fill_roster(tree):
    """`fill_roster(committee, n)`: n current members (a head, deputies, members, secretariat) and n // 5 past."""

    def fill(committee, n):
        roles = [Membership.Role.HEAD] + [
            [Membership.Role.DEPUTY, Membership.Role.MEMBER, Membership.Role.SECRETARIAT][i % 3]
            for i in range(n - 1)
        ]
        for i, role in enumerate(roles):
            person = PersonFactory(full_name=f"Trần Thị Người{i}", home_unit=committee.unit)
            MembershipFactory(committee=committee, person=person, role=role, decision_ref=f"{i}/QĐ-BCĐ")
        for i in range(n // 5):
            person = PersonFactory(full_name=f"Lê Văn Cũ{i}", home_unit=committee.unit)
            MembershipFactory(
                committee=committee,
                person=person,
                role=Membership.Role.MEMBER,
                start_date=datetime.date(2020, 1, 1),
                end_date=datetime.date(2021, 1, 1),
            )

    return fill
