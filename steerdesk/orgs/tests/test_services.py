"""Services of the unit tree, committees, people and memberships: happy paths and their refusals."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from steerdesk.accounts.models import RoleGrant
from steerdesk.core.locking import ConflictError
from steerdesk.core.models import AuditEntry
from steerdesk.orgs import services
from steerdesk.orgs.models import PATH_STEP, Committee, Membership, OrgUnit, Person
from steerdesk.orgs.tests.factories import CommitteeFactory, MembershipFactory, OrgUnitFactory, PersonFactory

pytestmark = pytest.mark.django_db


# --- units -------------------------------------------------------------------------------------------------


def test_unit_create_puts_the_child_under_its_parent_and_audits_it(tree, users):
    unit = services.unit_create(
        actor=users.admin, parent=tree.district_a, name="Xã  Ta\u0302\u0300n Lập", kind="commune"
    )
    assert (
        unit.path.startswith(tree.district_a.path) and len(unit.path) == len(tree.district_a.path) + PATH_STEP
    )
    assert unit.depth == tree.district_a.depth + 1
    assert unit.name == "Xã Tần Lập"  # NFC and collapsed spaces
    assert AuditEntry.objects.filter(object_id=str(unit.pk), action="create").exists()


def test_unit_create_needs_admin_over_the_parent(tree, users):
    with pytest.raises(PermissionDenied):
        services.unit_create(actor=users.owner, parent=tree.district_a, name="Xã mới", kind="commune")


def test_unit_update_renames_and_refuses_a_stale_version(tree, users):
    unit = tree.commune_a1
    services.unit_update(actor=users.admin, unit=unit, expected_version=1, name="Xã Vũ Bình mới", code="UBND")
    unit.refresh_from_db()
    assert unit.name == "Xã Vũ Bình mới" and unit.version == 2
    with pytest.raises(ConflictError):
        services.unit_update(
            actor=users.admin, unit=OrgUnit.objects.get(pk=unit.pk), expected_version=1, name="X"
        )
    unit.refresh_from_db()
    assert unit.name == "Xã Vũ Bình mới"


def test_unit_move_rewrites_the_subtree_and_every_copied_path(tree, users):
    province_admin = users.superuser
    grandchild = OrgUnitFactory(name="Thôn 1", parent=tree.commune_a1)
    committee = CommitteeFactory(unit=tree.commune_a1)
    person = PersonFactory(home_unit=grandchild)
    membership = MembershipFactory(committee=committee, person=person)
    old_path = tree.commune_a1.path

    services.unit_move(actor=province_admin, unit=tree.commune_a1, new_parent=tree.district_b)

    commune = OrgUnit.objects.get(pk=tree.commune_a1.pk)
    assert commune.parent_id == tree.district_b.pk
    assert commune.path.startswith(tree.district_b.path) and commune.path != old_path
    assert commune.depth == tree.district_b.depth + 1
    grandchild.refresh_from_db()
    assert grandchild.path.startswith(commune.path) and grandchild.depth == commune.depth + 1
    assert Committee.objects.get(pk=committee.pk).unit_path == commune.path
    assert Person.objects.get(pk=person.pk).unit_path == grandchild.path
    assert Membership.objects.get(pk=membership.pk).unit_path == commune.path
    # the district-A owner no longer sees the moved rows; the district-B outsider now does
    assert not Committee.objects.for_user(users.owner).filter(pk=committee.pk).exists()
    assert Committee.objects.for_user(users.outsider).filter(pk=committee.pk).exists()


def test_unit_move_is_one_transaction(tree, users, monkeypatch):
    """A failure half-way leaves every path as it was."""
    committee = CommitteeFactory(unit=tree.commune_a1)
    old_path = tree.commune_a1.path

    def boom(**kwargs):
        raise RuntimeError("audit failed")

    monkeypatch.setattr(services, "audit_record", boom)
    with pytest.raises(RuntimeError):
        services.unit_move(actor=users.superuser, unit=tree.commune_a1, new_parent=tree.district_b)
    assert OrgUnit.objects.get(pk=tree.commune_a1.pk).path == old_path
    assert Committee.objects.get(pk=committee.pk).unit_path == old_path


def test_unit_move_refuses_its_own_subtree_and_needs_admin_on_both_ends(tree, users):
    with pytest.raises(ValidationError):
        services.unit_move(actor=users.superuser, unit=tree.district_a, new_parent=tree.commune_a1)
    with pytest.raises(PermissionDenied):  # admin of district A only: not over district B
        services.unit_move(actor=users.admin, unit=tree.commune_a1, new_parent=tree.district_b)


def test_unit_deactivate_refuses_while_active_children_remain(tree, users):
    with pytest.raises(ValidationError):
        services.unit_deactivate(actor=users.admin, unit=tree.district_a)
    services.unit_deactivate(actor=users.admin, unit=tree.commune_a1)
    assert OrgUnit.objects.get(pk=tree.commune_a1.pk).is_active is False


# --- committees and people ---------------------------------------------------------------------------------


def test_committee_create_needs_a_secretary(tree, users):
    committee = services.committee_create(actor=users.owner, unit=tree.district_a, name="Ban Chỉ đạo 389")
    assert committee.unit_path == tree.district_a.path
    with pytest.raises(PermissionDenied):
        services.committee_create(actor=users.viewer, unit=tree.district_a, name="Ban khác")


def test_person_create_splits_the_name_and_stores_nfc(tree, users):
    person = services.person_create(
        actor=users.owner, home_unit=tree.district_a, full_name="Nguye\u0302\u0303n Thị Minh Khai"
    )
    assert person.full_name == "Nguyễn Thị Minh Khai"
    assert (person.family_name, person.middle_name, person.given_name) == ("Nguyễn", "Thị Minh", "Khai")


# --- memberships -------------------------------------------------------------------------------------------


def test_appoint_end_and_replace_keep_the_history(tree, users, person_a):
    committee = tree.committee_a
    m = services.membership_appoint(
        actor=users.owner, committee=committee, person=person_a, role="head", decision_ref="12/QĐ-UBND"
    )
    assert m.is_current and m.unit_path == committee.unit_path
    successor = PersonFactory(full_name="Phạm Văn Bình", home_unit=tree.district_a)
    new = services.membership_replace(
        actor=users.owner, membership=m, new_person=successor, date=datetime.date.today()
    )
    m.refresh_from_db()
    assert m.end_date == datetime.date.today() and "Phạm Văn Bình" in m.end_reason
    assert new.person == successor and new.role == "head" and new.decision_ref == "12/QĐ-UBND"
    services.membership_end(actor=users.owner, membership=new, reason="Nghỉ hưu")
    assert Membership.objects.filter(committee=committee).count() == 2  # never deleted
    assert not Membership.objects.filter(committee=committee, end_date__isnull=True).exists()


def test_a_second_current_head_is_refused_by_the_service(tree, users, person_a):
    services.membership_appoint(actor=users.owner, committee=tree.committee_a, person=person_a, role="head")
    other = PersonFactory(home_unit=tree.district_a)
    with pytest.raises(ValidationError) as exc:
        services.membership_appoint(actor=users.owner, committee=tree.committee_a, person=other, role="head")
    assert "current head" in str(exc.value)


def test_a_second_current_head_is_refused_by_the_database(tree, person_a):
    MembershipFactory(committee=tree.committee_a, person=person_a, role="head")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            committee=tree.committee_a,
            person=PersonFactory(home_unit=tree.district_a),
            unit_path=tree.committee_a.unit_path,
            role="head",
        )


def test_a_head_can_follow_an_ended_head(tree, users, person_a):
    m = MembershipFactory(
        committee=tree.committee_a, person=person_a, role="head", start_date=datetime.date(2020, 1, 1)
    )
    services.membership_end(actor=users.owner, membership=m, end_date=datetime.date(2024, 1, 1))
    other = PersonFactory(home_unit=tree.district_a)
    services.membership_appoint(actor=users.owner, committee=tree.committee_a, person=other, role="head")
    assert Membership.objects.filter(committee=tree.committee_a, role="head").count() == 2


def test_appoint_refuses_a_viewer_and_a_person_out_of_scope(tree, users, person_a):
    with pytest.raises(PermissionDenied):
        services.membership_appoint(
            actor=users.viewer, committee=tree.committee_a, person=person_a, role="member"
        )
    stranger = PersonFactory(home_unit=tree.district_b)
    with pytest.raises(ValidationError):
        services.membership_appoint(
            actor=users.owner, committee=tree.committee_a, person=stranger, role="member"
        )


def test_end_refuses_an_end_date_before_the_start(tree, users, person_a):
    m = MembershipFactory(committee=tree.committee_a, person=person_a, start_date=datetime.date(2024, 5, 1))
    with pytest.raises(ValidationError):
        services.membership_end(actor=users.owner, membership=m, end_date=datetime.date(2024, 4, 30))
    services.membership_end(actor=users.owner, membership=m, end_date=datetime.date(2024, 5, 1))
    with pytest.raises(ValidationError):  # already ended
        services.membership_end(actor=users.owner, membership=m)


def test_grants_follow_a_moved_unit(tree, users):
    services.unit_move(actor=users.superuser, unit=tree.commune_a1, new_parent=tree.district_b)
    grant = RoleGrant.objects.get(user=users.owner)
    assert grant.unit_path == tree.district_a.path  # district A itself did not move
