"""User management pages: admins only (403 in scope, 404 outside), forms, grants, history; the profile page."""

import pytest
from django.urls import reverse

from steerdesk.accounts.models import RoleGrant, User
from steerdesk.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Lạc-Sơn-mùa-lúa-chín-2026"


@pytest.fixture
def user_b(tree):
    return UserFactory(username="b-user", first_name="Bí-mật", home_unit=tree.district_b)


def test_anonymous_users_are_sent_to_login(client, users):
    for url in (reverse("accounts:user_list"), reverse("accounts:user_detail", args=[users.member.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["owner", "member", "viewer"])
def test_non_admins_get_403_on_user_management(client_for, users, who):
    client = client_for(getattr(users, who))
    assert client.get(reverse("accounts:user_list")).status_code == 403
    assert client.get(reverse("accounts:user_create")).status_code == 403
    # A user of their own district: in scope, so 403 rather than 404.
    assert client.get(reverse("accounts:user_detail", args=[users.member.pk])).status_code == 403
    grant = RoleGrant.objects.get(user=users.member)
    assert client.post(reverse("accounts:grant_revoke", args=[grant.pk])).status_code == 403
    assert RoleGrant.objects.filter(pk=grant.pk).exists()


def test_a_secretary_gets_404_for_a_user_of_the_sibling_district(client_for, users, user_b):
    client = client_for(users.owner)
    assert client.get(reverse("accounts:user_detail", args=[user_b.pk])).status_code == 404


@pytest.mark.parametrize("name", ["accounts:user_detail", "accounts:user_edit", "accounts:grant_create"])
def test_an_admin_gets_404_for_a_user_of_the_sibling_district(client_for, users, user_b, name):
    client = client_for(users.admin)
    url = reverse(name, args=[user_b.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"unit": "1", "role": "admin"}).status_code == 404


def test_an_admin_gets_404_when_revoking_a_grant_of_the_sibling_district(client_for, users):
    grant = RoleGrant.objects.get(user=users.outsider)
    client = client_for(users.admin)
    assert client.get(reverse("accounts:grant_revoke", args=[grant.pk])).status_code == 404
    assert client.post(reverse("accounts:grant_revoke", args=[grant.pk])).status_code == 404
    assert RoleGrant.objects.filter(pk=grant.pk).exists()


def test_user_list_shows_the_subtree_and_hides_the_sibling(client_for, users, user_b):
    response = client_for(users.admin).get(reverse("accounts:user_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "owner" in html and "member" in html
    assert "b-user" not in html and "Bí-mật" not in html and "outsider" not in html


def test_user_list_search_answers_htmx_with_the_table_only(client_for, users):
    response = client_for(users.admin).get(
        reverse("accounts:user_list"), {"q": "memb"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "member" in html and ">owner<" not in html


def test_user_list_query_count_does_not_grow_with_users(
    client_for, users, tree, django_assert_max_num_queries
):
    for _i in range(15):
        u = UserFactory(home_unit=tree.district_a)
        RoleGrant.objects.create(user=u, unit=tree.commune_a1, unit_path=tree.commune_a1.path, role="viewer")
    client = client_for(users.admin)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("accounts:user_list")).status_code == 200


def test_an_admin_creates_a_user_through_the_form(client_for, users, tree):
    client = client_for(users.admin)
    response = client.post(
        reverse("accounts:user_create"),
        {
            "home_unit": tree.commune_a1.pk,
            "username": "hung.lv",
            "full_name": "Lê Văn Hùng",
            "email": "hung@example.vn",
            "password1": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="hung.lv")
    assert response["Location"] == reverse("accounts:user_detail", args=[user.pk])
    assert user.home_unit == tree.commune_a1


def test_the_create_form_offers_only_units_of_the_admins_subtree(client_for, users, tree):
    client = client_for(users.admin)
    html = client.get(reverse("accounts:user_create")).content.decode()
    assert tree.commune_a1.name in html and tree.district_b.name not in html
    response = client.post(
        reverse("accounts:user_create"),
        {
            "home_unit": tree.district_b.pk,
            "username": "x",
            "full_name": "X",
            "password1": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["home_unit"]
    assert not User.objects.filter(username="x").exists()


def test_a_weak_password_is_shown_next_to_the_field(client_for, users, tree):
    client = client_for(users.admin)
    client.cookies["steerdesk_language"] = "en"
    response = client.post(
        reverse("accounts:user_create"),
        {
            "home_unit": tree.district_a.pk,
            "username": "x",
            "full_name": "X",
            "password1": "short-1",
            "password2": "short-1",
        },
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()


def test_an_admin_grants_a_role_and_the_detail_page_shows_it_with_history(client_for, users, tree):
    target = UserFactory(username="tam", home_unit=tree.district_a)
    client = client_for(users.admin)
    client.cookies["steerdesk_language"] = "en"
    response = client.post(
        reverse("accounts:grant_create", args=[target.pk]), {"unit": tree.commune_a1.pk, "role": "secretary"}
    )
    assert response.status_code == 302
    assert RoleGrant.objects.get(user=target).role == "secretary"
    html = client.get(reverse("accounts:user_detail", args=[target.pk])).content.decode()
    assert tree.commune_a1.name in html
    assert "Secretary" in html  # in the grants table and in the history
    assert "History" in html and "Role" in html


def test_an_admin_cannot_grant_on_the_sibling_district_through_the_form(client_for, users, tree):
    target = UserFactory(home_unit=tree.district_a)
    response = client_for(users.admin).post(
        reverse("accounts:grant_create", args=[target.pk]), {"unit": tree.district_b.pk, "role": "viewer"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["unit"]
    assert not RoleGrant.objects.filter(user=target).exists()


def test_an_admin_revokes_a_grant(client_for, users):
    grant = RoleGrant.objects.get(user=users.viewer)
    client = client_for(users.admin)
    assert client.get(reverse("accounts:grant_revoke", args=[grant.pk])).status_code == 200
    response = client.post(reverse("accounts:grant_revoke", args=[grant.pk]))
    assert response.status_code == 302
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()


def test_edit_with_a_stale_version_reshows_the_form_with_the_conflict(client_for, users, tree):
    target = UserFactory(home_unit=tree.district_a, first_name="An", last_name="Lê Văn")
    client = client_for(users.admin)
    client.cookies["steerdesk_language"] = "en"
    url = reverse("accounts:user_edit", args=[target.pk])
    data = {
        "full_name": "Lê Văn Bình",
        "email": "",
        "home_unit": tree.district_a.pk,
        "is_active": "on",
        "version": 1,
    }
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "full_name": "Lê Văn Cường"})
    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    target.refresh_from_db()
    assert target.get_full_name() == "Lê Văn Bình"


def test_an_admin_cannot_edit_a_user_they_only_see_through_a_grant(client_for, users, tree):
    # Home unit in the province (above the admin), one grant in district A: listed, but not theirs to edit.
    target = UserFactory(home_unit=tree.province)
    RoleGrant.objects.create(user=target, unit=tree.district_a, unit_path=tree.district_a.path, role="viewer")
    client = client_for(users.admin)
    assert client.get(reverse("accounts:user_detail", args=[target.pk])).status_code == 200
    assert client.get(reverse("accounts:user_edit", args=[target.pk])).status_code == 403


def test_superuser_reaches_every_account(client_for, users, user_b):
    client = client_for(users.superuser)
    assert client.get(reverse("accounts:user_detail", args=[user_b.pk])).status_code == 200
    assert "b-user" in client.get(reverse("accounts:user_list")).content.decode()


def test_profile_saves_name_email_and_language(client_for, users):
    client = client_for(users.member)
    response = client.post(
        reverse("accounts:profile"),
        {"full_name": "Phạm Thị Hồng", "email": "hong@example.vn", "language": "en", "version": 1},
    )
    assert response.status_code == 302
    assert response.cookies["steerdesk_language"].value == "en"
    users.member.refresh_from_db()
    assert users.member.get_full_name() == "Phạm Thị Hồng"
    assert users.member.language == "en"
    html = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("accounts:password_change") in html
    assert reverse("accounts:two_factor_setup") in html


def test_profile_with_a_stale_version_is_not_saved(client_for, users):
    client = client_for(users.member)
    client.post(reverse("accounts:profile"), {"full_name": "A B", "email": "", "language": "", "version": 1})
    response = client.post(
        reverse("accounts:profile"), {"full_name": "C D", "email": "", "language": "", "version": 1}
    )
    assert response.status_code == 200
    users.member.refresh_from_db()
    assert users.member.get_full_name() == "A B"


def test_pages_carry_no_inline_script_or_style(client_for, users):
    client = client_for(users.admin)
    for name in (
        "accounts:user_list",
        "accounts:user_create",
        "accounts:profile",
        "accounts:two_factor_setup",
    ):
        html = client.get(reverse(name)).content.decode()
        assert "<script>" not in html and "style=" not in html, name
