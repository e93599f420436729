"""Who may reach what: anonymous → 401, another subtree → 404 and absent from lists, read-only role → 403."""

import pytest

from steerdesk.core.models import AuditEntry
from steerdesk.orgs.models import Committee, Membership, OrgUnit, Person

pytestmark = pytest.mark.django_db


def object_urls(tree, rows):
    """Every URL that names one object of district A, with the methods it answers."""
    unit = f"/api/v1/units/{tree.district_a.pk}/"
    committee = f"/api/v1/committees/{tree.committee_a.pk}/"
    person = f"/api/v1/people/{rows.person_a.pk}/"
    membership = f"/api/v1/memberships/{rows.membership_a.pk}/"
    return [
        ("get", unit),
        ("put", unit),
        ("patch", unit),
        ("post", unit + "move/"),
        ("post", unit + "deactivate/"),
        ("get", committee),
        ("put", committee),
        ("patch", committee),
        ("get", person),
        ("put", person),
        ("patch", person),
        ("get", membership),
        ("post", membership + "end/"),
        ("post", membership + "replace/"),
    ]


LIST_URLS = ["/api/v1/units/", "/api/v1/committees/", "/api/v1/people/", "/api/v1/memberships/"]


def test_anonymous_users_get_401_on_every_endpoint(tree, rows, api_for):
    client = api_for(None)
    requests = (
        object_urls(tree, rows) + [("get", url) for url in LIST_URLS] + [("post", url) for url in LIST_URLS]
    )
    requests += [
        ("get", "/api/v1/"),
        ("get", "/api/v1/me/"),
        ("get", "/api/v1/auth/token/"),
        ("get", "/api/v1/schema/"),
        ("get", "/api/v1/docs/"),
        ("get", "/api/v1/docs/?script="),
    ]
    for method, url in requests:
        response = getattr(client, method)(url, {"version": 1, "name": "x"}, format="json")
        assert response.status_code == 401, f"{method.upper()} {url} → {response.status_code}"
    assert not AuditEntry.objects.exists()


def test_an_outsider_gets_404_for_every_object_of_the_sibling_district(tree, rows, users, api_for):
    client = api_for(users.outsider)  # secretary of district B
    for method, url in object_urls(tree, rows):
        response = getattr(client, method)(url, {"version": 1, "name": "x"}, format="json")
        assert response.status_code == 404, f"{method.upper()} {url} → {response.status_code}"
    # A method the endpoint does not allow is 404 too, not 405: no existence leak.
    assert client.delete(f"/api/v1/units/{tree.district_a.pk}/").status_code == 404
    assert client.get(f"/api/v1/memberships/{rows.membership_a.pk}/end/").status_code == 404
    assert client.get("/api/v1/units/not-a-number/").status_code == 404
    assert not AuditEntry.objects.exists()


def test_nothing_of_the_sibling_district_appears_in_lists(tree, rows, users, api_for):
    client = api_for(users.outsider)
    units = {row["id"] for row in client.get("/api/v1/units/").json()["results"]}
    assert units == {tree.district_b.pk}
    committees = {row["id"] for row in client.get("/api/v1/committees/").json()["results"]}
    assert committees == {tree.committee_b.pk}
    people = {row["id"] for row in client.get("/api/v1/people/").json()["results"]}
    assert people == {rows.person_b.pk}
    memberships = {row["id"] for row in client.get("/api/v1/memberships/").json()["results"]}
    assert memberships == {rows.membership_b.pk}


def test_a_filter_on_a_unit_of_the_sibling_district_is_refused_like_an_unknown_unit(tree, users, api_for):
    client = api_for(users.outsider)
    hidden = client.get(f"/api/v1/committees/?unit={tree.district_a.pk}")
    unknown = client.get("/api/v1/committees/?unit=999999")
    assert hidden.status_code == unknown.status_code == 400
    assert hidden.json() == unknown.json()


def test_a_foreign_key_to_the_sibling_district_is_refused_like_an_unknown_id(tree, users, api_for):
    client = api_for(users.outsider)
    hidden = client.post("/api/v1/committees/", {"unit": tree.district_a.pk, "name": "Ban X"}, format="json")
    assert hidden.status_code == 400
    assert "unit" in hidden.json()
    assert str(tree.district_a.pk) in hidden.json()["unit"][0]  # "Invalid pk "…" - object does not exist."
    assert not Committee.objects.filter(name="Ban X").exists()


@pytest.mark.parametrize("who", ["viewer", "member"])
def test_a_read_only_role_gets_403_on_every_write(tree, rows, users, api_for, who):
    client = api_for(getattr(users, who))
    writes = [
        ("post", "/api/v1/units/", {"parent": tree.district_a.pk, "name": "Xã mới", "kind": "commune"}),
        ("post", "/api/v1/committees/", {"unit": tree.district_a.pk, "name": "Ban mới"}),
        ("post", "/api/v1/people/", {"home_unit": tree.district_a.pk, "full_name": "Lê Văn Tám"}),
        (
            "post",
            "/api/v1/memberships/",
            {"committee": tree.committee_a.pk, "person": rows.person_a.pk, "role": "deputy"},
        ),
        ("patch", f"/api/v1/units/{tree.commune_a1.pk}/", {"name": "Xã đổi tên", "version": 1}),
        ("post", f"/api/v1/units/{tree.commune_a1.pk}/deactivate/", {"version": 1}),
        ("post", f"/api/v1/units/{tree.commune_a1.pk}/move/", {"parent": tree.district_a.pk, "version": 1}),
        ("patch", f"/api/v1/committees/{tree.committee_a.pk}/", {"name": "Ban đổi tên", "version": 1}),
        ("put", f"/api/v1/people/{rows.person_a.pk}/", {"full_name": "Lê Văn Tám", "version": 1}),
        ("post", f"/api/v1/memberships/{rows.membership_a.pk}/end/", {"version": 1}),
        (
            "post",
            f"/api/v1/memberships/{rows.membership_a.pk}/replace/",
            {"person": rows.person_a.pk, "version": 1},
        ),
    ]
    for method, url, body in writes:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 403, f"{method.upper()} {url} → {response.status_code}"
    # Writes without a body are refused for the permission, not for the missing version.
    assert client.patch(f"/api/v1/committees/{tree.committee_a.pk}/", {}, format="json").status_code == 403
    # Reading is allowed.
    assert client.get(f"/api/v1/committees/{tree.committee_a.pk}/").status_code == 200
    assert not AuditEntry.objects.exists()
    assert OrgUnit.objects.count() == 4
    assert Committee.objects.count() == 2
    assert Person.objects.count() == 2
    assert Membership.objects.filter(end_date__isnull=True).count() == 2


def test_a_secretary_cannot_manage_units_which_needs_the_admin_role(tree, users, api_for):
    client = api_for(users.owner)
    response = client.patch(
        f"/api/v1/units/{tree.commune_a1.pk}/", {"name": "Xã X", "version": 1}, format="json"
    )
    assert response.status_code == 403
    response = client.post(
        "/api/v1/units/", {"parent": tree.district_a.pk, "name": "Xã mới", "kind": "commune"}, format="json"
    )
    assert response.status_code == 403


def test_a_session_that_still_owes_its_two_factor_code_is_anonymous_to_the_api(users, api_for):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=users.owner, name="phone", confirmed=True)
    response = api_for(users.owner).get("/api/v1/committees/")
    assert response.status_code == 401
