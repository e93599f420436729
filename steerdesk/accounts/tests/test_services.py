"""Account and grant services: unit admins act only inside their subtree; everything is audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from steerdesk.accounts import selectors, services
from steerdesk.accounts.models import RoleGrant, User
from steerdesk.accounts.tests.factories import RoleGrantFactory, UserFactory
from steerdesk.core.locking import ConflictError
from steerdesk.core.models import AuditEntry
from steerdesk.core.scope import has_role

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Lạc-Sơn-mùa-lúa-chín-2026"


def test_admin_creates_a_user_in_their_subtree(tree, users):
    user = services.user_create(
        actor=users.admin,
        home_unit=tree.commune_a1,
        username="thu.nt",
        full_name="Nguyễn Thị Minh Thu",
        email="thu@example.vn",
        password=GOOD_PASSWORD,
    )
    user.refresh_from_db()
    assert user.get_full_name() == "Nguyễn Thị Minh Thu"
    assert (user.last_name, user.first_name) == ("Nguyễn Thị Minh", "Thu")
    assert user.check_password(GOOD_PASSWORD)
    entry = AuditEntry.objects.get(object_id=str(user.pk), action="create")
    assert entry.actor == users.admin
    assert entry.unit_path == tree.commune_a1.path
    assert "password" not in entry.changes


def test_full_name_is_stored_nfc(tree, users):
    import unicodedata

    user = services.user_create(
        actor=users.admin,
        home_unit=tree.district_a,
        username="hoa",
        full_name=unicodedata.normalize("NFD", "Lê Thị Hoà"),
        password=GOOD_PASSWORD,
    )
    assert user.get_full_name() == unicodedata.normalize("NFC", "Lê Thị Hoà")


def test_admin_cannot_create_a_user_in_the_sibling_district(tree, users):
    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=users.admin, home_unit=tree.district_b, username="x", full_name="X", password=GOOD_PASSWORD
        )
    assert not User.objects.filter(username="x").exists()


def test_a_secretary_cannot_create_users(tree, users):
    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=users.owner, home_unit=tree.district_a, username="x", full_name="X", password=GOOD_PASSWORD
        )


@pytest.mark.parametrize("password", ["Ngắn-ab12", "password1234"])
def test_weak_passwords_are_refused_at_creation(tree, users, password):
    with pytest.raises(ValidationError):
        services.user_create(
            actor=users.admin, home_unit=tree.district_a, username="x", full_name="X", password=password
        )
    assert not User.objects.filter(username="x").exists()


def test_without_a_password_the_user_gets_a_link_by_mail(
    tree, users, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user = services.user_create(
            actor=users.admin,
            home_unit=tree.district_a,
            username="mai",
            full_name="Trần Thị Mai",
            email="mai@example.vn",
            base_url="https://steerdesk.example.vn/",
        )
    assert not user.has_usable_password()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["mai@example.vn"]
    assert "https://steerdesk.example.vn/accounts/password-reset/" in mailoutbox[0].body


def test_without_a_password_an_email_is_required(tree, users):
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=users.admin, home_unit=tree.district_a, username="x", full_name="X")
    assert "email" in exc.value.error_dict


def test_a_duplicate_username_is_a_validation_error(tree, users):
    with pytest.raises(ValidationError):
        services.user_create(
            actor=users.admin,
            home_unit=tree.district_a,
            username="owner",
            full_name="X",
            password=GOOD_PASSWORD,
        )


def test_admin_grants_a_role_inside_the_subtree_and_it_is_audited(tree, users):
    target = UserFactory(home_unit=tree.district_a)
    grant = services.grant_role(actor=users.admin, user=target, unit=tree.commune_a1, role="secretary")
    assert grant.unit_path == tree.commune_a1.path
    assert has_role(target, tree.commune_a1.path, "secretary")
    entry = AuditEntry.objects.filter(object_id=str(target.pk)).latest("id")
    assert entry.actor == users.admin
    assert entry.unit_path == tree.commune_a1.path
    assert entry.changes["grant_role"] == [None, "secretary"]


def test_granting_again_changes_the_role_and_audits_old_and_new(tree, users):
    target = UserFactory(home_unit=tree.district_a)
    services.grant_role(actor=users.admin, user=target, unit=tree.district_a, role="viewer")
    services.grant_role(actor=users.admin, user=target, unit=tree.district_a, role="member")
    assert RoleGrant.objects.get(user=target).role == "member"
    entry = AuditEntry.objects.filter(object_id=str(target.pk)).latest("id")
    assert entry.changes["grant_role"] == ["viewer", "member"]


@pytest.mark.parametrize("unit", ["district_b", "province"])
def test_admin_cannot_grant_outside_the_subtree(tree, users, unit):
    target = UserFactory(home_unit=tree.district_a)
    with pytest.raises(PermissionDenied):
        services.grant_role(actor=users.admin, user=target, unit=getattr(tree, unit), role="viewer")
    assert not RoleGrant.objects.filter(user=target).exists()


def test_a_role_above_the_actors_own_is_refused(tree, users, monkeypatch):
    # Only admins grant, and admin is the top role; the rank check still guards the rule should roles grow.
    from steerdesk.core import scope

    monkeypatch.setitem(scope.ROLE_RANK, "secretary", 5)
    target = UserFactory(home_unit=tree.district_a)
    with pytest.raises(PermissionDenied):
        services.grant_role(actor=users.admin, user=target, unit=tree.district_a, role="secretary")


def test_an_unknown_role_is_refused(tree, users):
    with pytest.raises(ValidationError):
        services.grant_role(actor=users.admin, user=users.member, unit=tree.district_a, role="owner")


def test_admin_cannot_touch_a_superuser(tree, users):
    users.superuser.home_unit = tree.district_a
    users.superuser.save()
    with pytest.raises(PermissionDenied):
        services.user_update(actor=users.admin, user=users.superuser, expected_version=None, full_name="X")
    with pytest.raises(PermissionDenied):
        services.grant_role(actor=users.admin, user=users.superuser, unit=tree.district_a, role="viewer")


def test_revoke_removes_the_grant_and_is_audited(tree, users):
    grant = RoleGrant.objects.get(user=users.member)
    services.grant_revoke(actor=users.admin, grant=grant)
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    assert not has_role(users.member, tree.district_a.path, "viewer")
    entry = AuditEntry.objects.filter(object_id=str(users.member.pk)).latest("id")
    assert entry.changes["grant_role"] == ["member", None]
    assert entry.actor == users.admin


def test_admin_cannot_revoke_a_grant_of_the_sibling_district(tree, users):
    grant = RoleGrant.objects.get(user=users.outsider)
    with pytest.raises(PermissionDenied):
        services.grant_revoke(actor=users.admin, grant=grant)
    assert RoleGrant.objects.filter(pk=grant.pk).exists()


def test_update_with_a_stale_version_writes_nothing(tree, users):
    target = UserFactory(home_unit=tree.district_a, first_name="An", last_name="Lê Văn")
    services.user_update(actor=users.admin, user=target, expected_version=1, email="an@example.vn")
    stale = User.objects.get(pk=target.pk)
    stale.version = 1
    with pytest.raises(ConflictError):
        services.user_update(actor=users.admin, user=stale, expected_version=1, full_name="Lê Văn Bình")
    target.refresh_from_db()
    assert target.get_full_name() == "Lê Văn An"
    assert target.version == 2


def test_deactivate_blocks_login_and_is_audited(tree, users, client):
    from steerdesk.accounts.tests.factories import PASSWORD

    target = UserFactory(home_unit=tree.district_a, username="nam")
    services.user_deactivate(actor=users.admin, user=target)
    target.refresh_from_db()
    assert not target.is_active
    assert AuditEntry.objects.filter(object_id=str(target.pk), changes__is_active=[True, False]).exists()
    client.post("/accounts/login/", {"username": "nam", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_an_admin_cannot_deactivate_themselves(tree, users):
    users.admin.home_unit = tree.district_a
    users.admin.save()
    with pytest.raises(ValidationError):
        services.user_deactivate(actor=users.admin, user=users.admin)


def test_moving_a_user_needs_admin_over_the_new_unit(tree, users):
    target = UserFactory(home_unit=tree.district_a)
    with pytest.raises(PermissionDenied):
        services.user_update(actor=users.admin, user=target, expected_version=None, home_unit=tree.district_b)


def test_user_list_holds_the_subtree_users_and_not_the_siblings(tree, users):
    home_a = UserFactory(home_unit=tree.commune_a1)
    home_b = UserFactory(home_unit=tree.district_b)
    listed = set(selectors.user_list(user=users.admin))
    assert {home_a, users.owner, users.member, users.viewer, users.admin} <= listed
    assert home_b not in listed and users.outsider not in listed
    assert users.superuser not in listed


def test_user_list_filters_by_unit_and_text(tree, users):
    thu = UserFactory(home_unit=tree.commune_a1, first_name="Thu", last_name="Nguyễn Thị")
    assert list(selectors.user_list(user=users.admin, unit=tree.commune_a1)) == [thu]
    assert list(selectors.user_list(user=users.admin, q="nguyễn thu")) == [thu]


def test_user_list_of_a_superuser_holds_everyone(tree, users):
    assert selectors.user_list(user=users.superuser).count() == User.objects.count()


def test_user_list_shows_only_grants_the_reader_can_see(tree, users):
    both = UserFactory(home_unit=tree.district_a)
    RoleGrantFactory(user=both, unit=tree.district_a, role="viewer")
    RoleGrantFactory(user=both, unit=tree.district_b, role="viewer")
    row = selectors.user_list(user=users.admin).get(pk=both.pk)
    assert [g.unit for g in row.grants.all()] == [tree.district_a]
