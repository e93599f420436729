"""List endpoints: filters, and a number of queries that does not grow with the number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from steerdesk.orgs.tests.factories import CommitteeFactory, MembershipFactory, OrgUnitFactory, PersonFactory

pytestmark = pytest.mark.django_db

LIST_URLS = ["/api/v1/units/", "/api/v1/committees/", "/api/v1/people/", "/api/v1/memberships/"]


def add_rows(tree, n):
    """n units, committees, people and memberships under district A."""
    for i in range(n):
        unit = OrgUnitFactory(parent=tree.district_a, kind="commune")
        committee = CommitteeFactory(unit=unit)
        person = PersonFactory(home_unit=unit)
        MembershipFactory(committee=committee, person=person, role="member" if i % 2 else "deputy")


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.json()["count"]


@pytest.mark.parametrize("url", LIST_URLS)
def test_list_endpoints_run_a_fixed_number_of_queries(
    tree, users, api_for, url, django_assert_max_num_queries
):
    client = api_for(users.owner)
    add_rows(tree, 5)
    few, few_count = queries_for(client, url)
    add_rows(tree, 45)
    with django_assert_max_num_queries(few):
        response = client.get(url)
    assert response.json()["count"] >= few_count + 45
    assert len(response.json()["results"]) == 50  # one full page


def test_units_can_be_filtered_by_subtree(tree, users, api_for):
    client = api_for(users.admin)
    ids = {row["id"] for row in client.get(f"/api/v1/units/?unit={tree.commune_a1.pk}").json()["results"]}
    assert ids == {tree.commune_a1.pk}
    ids = {row["id"] for row in client.get(f"/api/v1/units/?unit={tree.district_a.pk}").json()["results"]}
    assert ids == {tree.district_a.pk, tree.commune_a1.pk}
    assert client.get("/api/v1/units/?unit=abc").status_code == 400


def test_committees_can_be_filtered_by_subtree(tree, users, api_for):
    in_commune = CommitteeFactory(unit=tree.commune_a1)
    client = api_for(users.owner)
    ids = {
        row["id"] for row in client.get(f"/api/v1/committees/?unit={tree.commune_a1.pk}").json()["results"]
    }
    assert ids == {in_commune.pk}
    ids = {
        row["id"] for row in client.get(f"/api/v1/committees/?unit={tree.district_a.pk}").json()["results"]
    }
    assert ids == {in_commune.pk, tree.committee_a.pk}


def test_people_are_found_with_or_without_diacritics(tree, users, api_for):
    hoa = PersonFactory(home_unit=tree.district_a, full_name="Lê Thị Hòa Bình")
    hoa_new_style = PersonFactory(home_unit=tree.commune_a1, full_name="Phạm Văn Hoà Bình")
    dang = PersonFactory(home_unit=tree.district_a, full_name="Đặng Văn Đức")
    nam = PersonFactory(home_unit=tree.district_a, full_name="Trần Văn Nam")
    PersonFactory(home_unit=tree.district_b, full_name="Hà Hòa Bình")  # out of scope
    client = api_for(users.owner)

    def search(q, extra=""):
        response = client.get("/api/v1/people/", {"q": q, **({"unit": extra} if extra else {})})
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert search("hoa binh") == {hoa.pk, hoa_new_style.pk}
    assert search("Hòa Bình") == {hoa.pk, hoa_new_style.pk}
    assert search("dang duc") == {dang.pk}
    assert search("ĐẶNG") == {dang.pk}
    assert search("hoa binh", extra=str(tree.commune_a1.pk)) == {hoa_new_style.pk}
    # Punctuation only: no search terms, so no filter (and never an error).
    assert search('"*:-') == {hoa.pk, hoa_new_style.pk, dang.pk, nam.pk}
    assert search("nam -") == {nam.pk}


def test_memberships_can_be_filtered_by_current_committee_and_person(tree, users, api_for):
    person = PersonFactory(home_unit=tree.district_a)
    current = MembershipFactory(committee=tree.committee_a, person=person, role="member")
    ended = MembershipFactory(
        committee=tree.committee_a,
        person=person,
        role="deputy",
        start_date="2020-01-01",
        end_date="2021-01-01",
    )
    other = MembershipFactory(committee=CommitteeFactory(unit=tree.commune_a1), role="member")
    client = api_for(users.owner)

    def ids(query):
        response = client.get("/api/v1/memberships/" + query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids("?current=true") == {current.pk, other.pk}
    assert ids("?current=false") == {ended.pk}
    assert ids(f"?person={person.pk}") == {current.pk, ended.pk}
    assert ids(f"?committee={tree.committee_a.pk}&current=1") == {current.pk}
    assert ids(f"?unit={tree.commune_a1.pk}") == {other.pk}
    assert client.get("/api/v1/memberships/?current=maybe").status_code == 400
    assert client.get("/api/v1/memberships/?committee=x").status_code == 400


def test_list_rows_carry_ids_names_units_and_versions(tree, users, api_for):
    person = PersonFactory(home_unit=tree.district_a, full_name="Nguyễn Văn An")
    MembershipFactory(committee=tree.committee_a, person=person)
    client = api_for(users.owner)
    row = client.get("/api/v1/memberships/").json()["results"][0]
    assert {"id", "committee", "committee_name", "unit", "person", "person_name", "role", "version"} <= set(
        row
    )
    row = client.get("/api/v1/people/").json()["results"][0]
    assert {"id", "full_name", "home_unit", "home_unit_name", "version"} <= set(row)
    row = client.get("/api/v1/committees/").json()["results"][0]
    assert {"id", "name", "unit", "unit_name", "version"} <= set(row)
