"""Selectors: the roster grouping and the Vietnamese order of the people list."""

import datetime

import pytest
from django.urls import reverse

from steerdesk.orgs import selectors
from steerdesk.orgs.tests.factories import MembershipFactory, PersonFactory

pytestmark = pytest.mark.django_db

# Expected order: by given name (A < Ă < B … D < Đ), then middle name, then family name.
SORTED_NAMES = [
    "Nguyễn Thị An",  # same given name: middle Thị < Văn
    "Nguyễn Văn An",
    "Trần Văn An",  # same given and middle: family Nguyễn < Trần
    "Lê Thị Ăn",  # Ă after A
    "Phạm Văn Bình",
    "Hoàng Thị Dung",
    "Vũ Văn Dũng",  # tones only break ties after the letters: Dung < Dũng
    "Đỗ Thị Đào",  # Đ after D
    "Bùi Văn Đạt",
]


def test_people_are_sorted_by_given_then_middle_then_family_name(tree, users):
    for name in reversed(SORTED_NAMES):
        PersonFactory(full_name=name, home_unit=tree.district_a)
    names = [p.full_name for p in selectors.person_list(user=users.viewer, unit=tree.district_a)]
    assert names == SORTED_NAMES


def test_the_people_page_shows_the_vietnamese_order(client_for, tree, users):
    for name in reversed(SORTED_NAMES):
        PersonFactory(full_name=name, home_unit=tree.district_a)
    page = (
        client_for(users.viewer)
        .get(reverse("orgs:person_list"), {"unit": tree.district_a.pk})
        .content.decode()
    )
    positions = [page.index(f">{name}<") for name in SORTED_NAMES]
    assert positions == sorted(positions)


def test_person_search_folds_diacritics_and_stays_in_scope(tree, users):
    PersonFactory(full_name="Đặng Thị Hoà", home_unit=tree.district_a)
    PersonFactory(full_name="Đặng Thị Hòa", home_unit=tree.district_b)
    found = [p.full_name for p in selectors.person_list(user=users.owner, q="dang hoa")]
    assert found == ["Đặng Thị Hoà"]


def test_roster_groups_current_members_by_position_and_group_and_keeps_the_past(tree, users):
    c = tree.committee_a
    make = lambda name, role, **kw: MembershipFactory(  # noqa: E731
        committee=c, person=PersonFactory(full_name=name, home_unit=tree.district_a), role=role, **kw
    )
    make("Nguyễn Văn Minh", "head")
    make("Trần Thị Bích", "member")
    make("Lê Văn An", "member")
    make("Phạm Văn Cúc", "secretariat")
    make("Võ Văn Cũ", "deputy", start_date=datetime.date(2019, 1, 1), end_date=datetime.date(2020, 1, 1))
    roster = selectors.committee_roster(user=users.viewer, committee=c)
    positions = {s["role"]: [m.person.full_name for m in s["members"]] for s in roster["positions"]}
    groups = {s["role"]: [m.person.full_name for m in s["members"]] for s in roster["groups"]}
    assert [s["role"] for s in roster["positions"]] == ["head", "standing_deputy", "deputy", "member"]
    assert [s["role"] for s in roster["groups"]] == [
        "secretariat",
        "standing_agency",
        "experts",
        "collaborators",
    ]
    assert positions["head"] == ["Nguyễn Văn Minh"] and positions["deputy"] == []
    assert positions["member"] == ["Lê Văn An", "Trần Thị Bích"]  # An before Bích
    assert groups["secretariat"] == ["Phạm Văn Cúc"]
    assert [m.person.full_name for m in roster["past"]] == ["Võ Văn Cũ"]
    assert roster["current_count"] == 4


def test_roster_is_one_query_whatever_its_size(tree, users, fill_roster, django_assert_num_queries):
    fill_roster(tree.committee_a, 40)
    users.viewer.refresh_from_db()
    selectors.committee_roster(user=users.viewer, committee=tree.committee_a)  # grants now cached
    with django_assert_num_queries(1):
        roster = selectors.committee_roster(user=users.viewer, committee=tree.committee_a)
        names = [m.person.full_name for s in roster["positions"] + roster["groups"] for m in s["members"]]
    assert len(names) == 40


def test_unit_children_carry_their_child_counts(tree, users):
    children = selectors.unit_children(user=users.owner, unit=tree.district_a)
    assert [(u.name, u.child_count) for u in children] == [("Xã Vũ Bình", 0)]
    roots = selectors.unit_roots(user=users.owner)
    assert [(u.name, u.child_count) for u in roots] == [("Huyện Lạc Sơn", 1)]
