"""Writes through the API go through the services: audit, NFC, optimistic locking, no mass assignment."""

import unicodedata

import pytest
from django.contrib.contenttypes.models import ContentType

from steerdesk.core.models import AuditEntry
from steerdesk.orgs.models import Committee, Membership, OrgUnit, Person
from steerdesk.orgs.tests.factories import MembershipFactory, PersonFactory

pytestmark = pytest.mark.django_db

NFD_NAME = unicodedata.normalize("NFD", "Ban Chỉ đạo Chuyển đổi số huyện Lạc Sơn")


def audit_of(instance):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(instance), object_id=str(instance.pk)
    ).order_by("id")


# -- create ------------------------------------------------------------------------------------------------


def test_creating_a_committee_stores_nfc_and_writes_an_audit_entry(tree, users, api_for):
    response = api_for(users.owner).post(
        "/api/v1/committees/", {"unit": tree.district_a.pk, "name": NFD_NAME, "code": "BCĐ"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    committee = Committee.objects.get(pk=body["id"])
    assert committee.name == unicodedata.normalize("NFC", NFD_NAME)
    assert committee.name != NFD_NAME
    assert committee.unit_path == tree.district_a.path
    assert body["name"] == committee.name
    assert body["unit"] == tree.district_a.pk
    assert body["unit_name"] == tree.district_a.name
    assert body["version"] == 1
    entry = audit_of(committee).get()
    assert entry.action == "create"
    assert entry.actor == users.owner


def test_creating_ignores_read_only_fields_in_the_body(tree, users, api_for):
    response = api_for(users.owner).post(
        "/api/v1/committees/",
        {
            "unit": tree.district_a.pk,
            "name": "Ban Chỉ đạo 389",
            "id": 987654,
            "unit_path": tree.district_b.path,
            "version": 42,
            "created_at": "2001-01-01T00:00:00Z",
            "created_by": users.outsider.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    committee = Committee.objects.get(name="Ban Chỉ đạo 389")
    assert committee.pk != 987654
    assert committee.unit_path == tree.district_a.path
    assert committee.version == 1
    assert committee.created_at.year > 2001
    assert committee.created_by == users.owner


def test_creating_a_person_derives_the_name_parts(tree, users, api_for):
    full_name = unicodedata.normalize("NFD", "Nguyễn  Thị Minh Khai")
    response = api_for(users.owner).post(
        "/api/v1/people/", {"home_unit": tree.district_a.pk, "full_name": full_name}, format="json"
    )
    assert response.status_code == 201, response.content
    person = Person.objects.get(pk=response.json()["id"])
    assert person.full_name == "Nguyễn Thị Minh Khai"
    assert (person.family_name, person.middle_name, person.given_name) == ("Nguyễn", "Thị Minh", "Khai")
    assert person.unit_path == tree.district_a.path
    assert audit_of(person).get().action == "create"


def test_an_admin_creates_a_unit_under_a_parent_in_their_subtree(tree, users, api_for):
    response = api_for(users.admin).post(
        "/api/v1/units/",
        {"parent": tree.district_a.pk, "name": "Xã Tân Lập", "kind": "commune"},
        format="json",
    )
    assert response.status_code == 201, response.content
    unit = OrgUnit.objects.get(pk=response.json()["id"])
    assert unit.parent == tree.district_a
    assert unit.path.startswith(tree.district_a.path) and len(unit.path) == len(tree.district_a.path) + 4
    assert response.json()["parent_name"] == tree.district_a.name


def test_an_invalid_body_is_a_400_with_field_errors(tree, users, api_for):
    response = api_for(users.admin).post(
        "/api/v1/units/", {"parent": tree.district_a.pk, "name": "", "kind": "planet"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"name", "kind"}


# -- update and optimistic locking ---------------------------------------------------------------------------


def test_patching_with_the_current_version_updates_and_audits(tree, users, api_for):
    committee = tree.committee_a
    response = api_for(users.owner).patch(
        f"/api/v1/committees/{committee.pk}/", {"name": NFD_NAME, "version": 1}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    committee.refresh_from_db()
    assert committee.name == unicodedata.normalize("NFC", NFD_NAME)
    assert committee.version == 2
    entry = audit_of(committee).get()
    assert entry.action == "update"
    assert entry.changes["name"][1] == committee.name


def test_a_stale_version_is_a_409_with_the_current_version_and_changes_nothing(tree, users, api_for):
    committee = tree.committee_a
    client = api_for(users.owner)
    first = client.patch(f"/api/v1/committees/{committee.pk}/", {"code": "BCĐ1", "version": 1}, format="json")
    assert first.status_code == 200
    response = client.patch(
        f"/api/v1/committees/{committee.pk}/", {"name": "Ghi đè", "version": 1}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    assert response.json()["code"] == "conflict"
    committee.refresh_from_db()
    assert committee.name == "Ban Chỉ đạo 35 huyện Lạc Sơn"
    assert committee.version == 2
    assert audit_of(committee).count() == 1


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_missing_version_is_a_400_with_a_message(tree, users, api_for, method):
    response = getattr(api_for(users.owner), method)(
        f"/api/v1/committees/{tree.committee_a.pk}/", {"name": "Ban mới"}, format="json"
    )
    assert response.status_code == 400
    assert "version" in response.json()
    assert "required" in response.json()["version"][0]
    tree.committee_a.refresh_from_db()
    assert tree.committee_a.name != "Ban mới"


@pytest.mark.parametrize("version", ["abc", 0, True, None, ""])
def test_an_invalid_version_is_a_400(tree, users, api_for, version):
    response = api_for(users.owner).patch(
        f"/api/v1/committees/{tree.committee_a.pk}/", {"name": "Ban mới", "version": version}, format="json"
    )
    assert response.status_code == 400
    assert "version" in response.json()


def test_updating_ignores_read_only_fields_in_the_body(tree, users, api_for):
    committee = tree.committee_a
    response = api_for(users.owner).put(
        f"/api/v1/committees/{committee.pk}/",
        {
            "name": "Ban Chỉ đạo mới",
            "version": 1,
            "id": 987654,
            "unit": tree.district_b.pk,
            "unit_path": tree.district_b.path,
            "created_at": "2001-01-01T00:00:00Z",
            "updated_by": users.outsider.pk,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    committee.refresh_from_db()
    assert committee.name == "Ban Chỉ đạo mới"
    assert committee.unit == tree.district_a
    assert committee.unit_path == tree.district_a.path
    assert committee.created_at.year > 2001
    assert committee.updated_by == users.owner
    assert committee.version == 2
    assert not Committee.objects.filter(pk=987654).exists()


def test_put_requires_the_required_fields_patch_does_not(rows, users, api_for):
    client = api_for(users.owner)
    url = f"/api/v1/people/{rows.person_a.pk}/"
    response = client.put(url, {"title": "Bí thư", "version": 1}, format="json")
    assert response.status_code == 400
    assert "full_name" in response.json()
    response = client.patch(url, {"title": "Bí thư", "version": 1}, format="json")
    assert response.status_code == 200
    rows.person_a.refresh_from_db()
    assert rows.person_a.title == "Bí thư"
    assert rows.person_a.full_name == "Nguyễn Thị Minh Khai"


def test_renaming_a_person_rederives_the_name_parts(rows, users, api_for):
    response = api_for(users.owner).patch(
        f"/api/v1/people/{rows.person_a.pk}/",
        {"full_name": "Hoàng Phủ Ngọc Tường", "version": 1},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["family_name"] == "Hoàng Phủ"
    assert response.json()["given_name"] == "Tường"


# -- units: move and deactivate ------------------------------------------------------------------------------


def test_moving_a_unit_rewrites_the_paths_of_its_subtree(tree, users, api_for):
    client = api_for(users.admin)
    new_parent = client.post(
        "/api/v1/units/", {"parent": tree.district_a.pk, "name": "Cụm xã", "kind": "other"}, format="json"
    ).json()
    committee = Committee.objects.create(unit=tree.commune_a1, unit_path=tree.commune_a1.path, name="Ban xã")
    response = client.post(
        f"/api/v1/units/{tree.commune_a1.pk}/move/", {"parent": new_parent["id"], "version": 1}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["parent"] == new_parent["id"]
    assert response.json()["version"] == 2
    assert response.json()["path"].startswith(new_parent["path"])
    committee.refresh_from_db()
    assert committee.unit_path == response.json()["path"]


def test_moving_needs_a_version_and_a_visible_parent(tree, users, api_for):
    client = api_for(users.admin)
    url = f"/api/v1/units/{tree.commune_a1.pk}/move/"
    response = client.post(url, {"parent": tree.district_a.pk}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()
    response = client.post(url, {"parent": tree.district_b.pk, "version": 1}, format="json")
    assert response.status_code == 400
    assert "parent" in response.json()
    response = client.post(
        f"/api/v1/units/{tree.district_a.pk}/move/",
        {"parent": tree.commune_a1.pk, "version": 1},
        format="json",
    )
    assert response.status_code == 400  # into its own subtree
    assert "parent" in response.json()
    tree.commune_a1.refresh_from_db()
    assert tree.commune_a1.parent == tree.district_a


def test_moving_with_a_stale_version_is_a_409(tree, users, api_for):
    client = api_for(users.admin)
    sibling = client.post(
        "/api/v1/units/", {"parent": tree.district_a.pk, "name": "Xã Mới", "kind": "commune"}, format="json"
    ).json()
    response = client.post(
        f"/api/v1/units/{tree.commune_a1.pk}/move/", {"parent": sibling["id"], "version": 7}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["current_version"] == 1
    tree.commune_a1.refresh_from_db()
    assert tree.commune_a1.parent == tree.district_a


def test_deactivating_a_unit_needs_its_children_inactive_first(tree, users, api_for):
    client = api_for(users.admin)
    response = client.post(f"/api/v1/units/{tree.district_a.pk}/deactivate/", {"version": 1}, format="json")
    assert response.status_code == 400
    assert "child units" in response.json()["non_field_errors"][0]
    response = client.post(f"/api/v1/units/{tree.commune_a1.pk}/deactivate/", {"version": 1}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    assert response.json()["version"] == 2
    tree.district_a.refresh_from_db()
    assert tree.district_a.is_active


def test_units_cannot_be_deleted(tree, users, api_for):
    response = api_for(users.admin).delete(f"/api/v1/units/{tree.commune_a1.pk}/")
    assert response.status_code == 405
    assert OrgUnit.objects.filter(pk=tree.commune_a1.pk).exists()


# -- memberships -------------------------------------------------------------------------------------------


def test_appointing_creates_a_membership_with_an_audit_entry(tree, rows, users, api_for):
    response = api_for(users.owner).post(
        "/api/v1/memberships/",
        {
            "committee": tree.committee_a.pk,
            "person": rows.person_a.pk,
            "role": "head",
            "start_date": "2025-01-15",
            "decision_ref": unicodedata.normalize("NFD", "Quyết định số 12/QĐ-UBND"),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    membership = Membership.objects.get(pk=body["id"])
    assert membership.decision_ref == "Quyết định số 12/QĐ-UBND"
    assert body["unit"] == tree.district_a.pk
    assert body["committee_name"] == tree.committee_a.name
    assert body["person_name"] == rows.person_a.full_name
    assert body["is_current"] is True
    assert audit_of(membership).get().action == "create"


def test_a_second_current_head_is_a_400_with_a_message(tree, rows, users, api_for):
    MembershipFactory(
        committee=tree.committee_a, person=PersonFactory(home_unit=tree.district_a), role="head"
    )
    response = api_for(users.owner).post(
        "/api/v1/memberships/",
        {"committee": tree.committee_a.pk, "person": rows.person_a.pk, "role": "head"},
        format="json",
    )
    assert response.status_code == 400
    messages = [m for values in response.json().values() for m in values]
    assert any("already has a current head" in m for m in messages), response.json()
    assert Membership.objects.filter(committee=tree.committee_a, role="head").count() == 1


def test_ending_a_membership_keeps_the_row(rows, users, api_for):
    client = api_for(users.owner)
    url = f"/api/v1/memberships/{rows.membership_a.pk}/end/"
    assert client.post(url, {"end_date": "2099-01-01"}, format="json").status_code == 400  # no version
    response = client.post(url, {"end_date": "2099-01-01", "reason": "Nghỉ hưu", "version": 1}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["end_date"] == "2099-01-01"
    assert response.json()["is_current"] is False
    rows.membership_a.refresh_from_db()
    assert rows.membership_a.end_reason == "Nghỉ hưu"
    response = client.post(url, {"version": 2}, format="json")
    assert response.status_code == 400  # already ended


def test_replacing_a_membership_ends_it_and_appoints_the_new_person(tree, rows, users, api_for):
    newcomer = PersonFactory(home_unit=tree.district_a, full_name="Lê Văn Thịnh")
    response = api_for(users.owner).post(
        f"/api/v1/memberships/{rows.membership_a.pk}/replace/",
        {"person": newcomer.pk, "date": "2099-02-01", "version": 1},
        format="json",
    )
    assert response.status_code == 201, response.content
    new = Membership.objects.get(pk=response.json()["id"])
    assert new.person == newcomer and new.role == rows.membership_a.role
    rows.membership_a.refresh_from_db()
    assert rows.membership_a.end_date.isoformat() == "2099-02-01"


def test_replacing_with_a_stale_version_changes_nothing(tree, rows, users, api_for):
    newcomer = PersonFactory(home_unit=tree.district_a)
    response = api_for(users.owner).post(
        f"/api/v1/memberships/{rows.membership_a.pk}/replace/",
        {"person": newcomer.pk, "version": 5},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["current_version"] == 1
    assert not Membership.objects.filter(person=newcomer).exists()
    rows.membership_a.refresh_from_db()
    assert rows.membership_a.end_date is None


def test_memberships_cannot_be_deleted_or_edited_in_place(rows, users, api_for):
    client = api_for(users.owner)
    url = f"/api/v1/memberships/{rows.membership_a.pk}/"
    assert client.delete(url).status_code == 405
    assert client.patch(url, {"role": "head", "version": 1}, format="json").status_code == 405
    rows.membership_a.refresh_from_db()
    assert rows.membership_a.role == "member"
