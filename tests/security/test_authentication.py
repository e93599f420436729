"""Authentication checks the accounts tests do not already make (ASVS V6/V7).

Already tested elsewhere, and referenced from SECURITY.md: 12-character minimum and common-password check
(steerdesk/core/tests/test_settings.py, steerdesk/accounts/tests/test_login.py: password change), lockout after 5
failures with 429 and a message (test_login.py; the token endpoint in steerdesk/api/tests/test_accounts_api.py),
TOTP forced for unit admins and superusers, codes not reusable (test_twofactor.py), session key rotated at login,
idle and absolute timeouts (test_login.py). Here: the second login form (Django's admin) is held to the same
rules, a password reset cannot set a weak password, and a session ends on the server at logout.
"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from steerdesk.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"


def test_the_admin_login_form_is_locked_out_too():
    UserFactory(username="root2", is_staff=True, is_superuser=True)
    client = Client()
    statuses = [
        client.post(ADMIN_LOGIN, {"username": "root2", "password": "wrong-password-123"}).status_code
        for _ in range(5)
    ]
    assert statuses[-1] == 429, statuses
    response = client.post(ADMIN_LOGIN, {"username": "root2", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@override_settings(STEERDESK_REQUIRE_2FA_FOR_ADMINS=True)
def test_the_admin_login_form_does_not_skip_two_factor():
    UserFactory(username="root2", is_staff=True, is_superuser=True)
    client = Client()
    response = client.post(ADMIN_LOGIN, {"username": "root2", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_setup"))
    assert client.get("/admin/accounts/user/")["Location"].startswith(reverse("accounts:two_factor_setup"))


@pytest.mark.parametrize("password", ["Ngắn-12ab", "password1234", "123456789012"])
def test_a_password_reset_cannot_set_a_weak_password(client, mailoutbox, password):
    user = UserFactory(username="lan", email="lan@example.vn")
    client.post(reverse("accounts:password_reset"), {"email": "lan@example.vn"})
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/password-reset/" in line)
    response = client.get(link.split("testserver", 1)[1].strip(), follow=True)
    response = client.post(
        response.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_logging_out_ends_the_session_on_the_server():
    """A copied session cookie (a stolen session) is worthless once its owner logs out."""
    UserFactory(username="lan")
    client = Client()
    client.post(reverse("accounts:login"), {"username": "lan", "password": PASSWORD})
    stolen = client.cookies["sessionid"].value
    thief = Client()
    thief.cookies["sessionid"] = stolen
    assert thief.get(reverse("accounts:profile")).status_code == 200
    client.post(reverse("accounts:logout"))
    response = thief.get(reverse("accounts:profile"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_a_password_change_ends_the_other_sessions():
    """Changing the password (e.g. after a suspected theft) logs out every other session of the account."""
    UserFactory(username="lan")
    mine, other = Client(), Client()
    for c in (mine, other):
        c.post(reverse("accounts:login"), {"username": "lan", "password": PASSWORD})
    new = "Hà-Giang-mùa-tam-giác-mạch-2026"
    response = mine.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert mine.get(reverse("accounts:profile")).status_code == 200
    assert other.get(reverse("accounts:profile")).status_code == 302
