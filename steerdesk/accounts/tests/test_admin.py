"""The Django admin pages of accounts render for a superuser and keep a grant's copied unit path right."""

import pytest
from django.urls import reverse

from steerdesk.accounts.models import RoleGrant

pytestmark = pytest.mark.django_db


def test_user_and_grant_admin_pages_render(client, users):
    client.force_login(users.superuser)
    for url in (
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[users.admin.pk]),
        reverse("admin:accounts_rolegrant_changelist"),
        reverse("admin:accounts_rolegrant_add"),
    ):
        assert client.get(url).status_code == 200, url


def test_a_grant_added_in_the_admin_copies_its_unit_path(client, users, tree):
    client.force_login(users.superuser)
    response = client.post(
        reverse("admin:accounts_rolegrant_add"),
        {"user": users.member.pk, "unit": tree.commune_a1.pk, "role": "viewer"},
    )
    assert response.status_code == 302
    assert RoleGrant.objects.get(user=users.member, unit=tree.commune_a1).unit_path == tree.commune_a1.path
