"""Login, lockout, password rules and session lifetime."""

import time

import pytest
from django.urls import reverse
from django.utils import translation

from steerdesk.accounts.middleware import SESSION_LAST_SEEN, SESSION_STARTED
from steerdesk.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def test_login_url_is_the_contract_path():
    assert reverse("accounts:login") == LOGIN


def test_login_page_has_labelled_username_and_password_inputs(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert '<label for="id_username">' in html and '<label for="id_password">' in html
    assert 'class="sidenav"' not in html  # anonymous: no side navigation


def test_login_page_heading_in_english_when_chosen(client):
    client.cookies["steerdesk_language"] = "en"
    html = client.get(LOGIN).content.decode()
    assert "<h1>Log in</h1>" in html
    assert '<html lang="en">' in html


def test_login_page_heading_is_vietnamese_by_default(client):
    # VIETNAMESE HEADING: relies on a Vietnamese translation of "Log in" (today Django's admin catalog supplies
    # "Đăng nhập"; SteerDesk's own catalog will too). Skipped, not failed, while no catalog translates it.
    with translation.override("vi"):
        if translation.gettext("Log in") == "Log in":
            pytest.skip("no Vietnamese translation of 'Log in' yet")
    html = client.get(LOGIN).content.decode()
    assert '<html lang="vi">' in html
    assert "<h1>Đăng nhập</h1>" in html


def test_login_with_the_right_password_opens_the_dashboard(client):
    UserFactory(username="lan")
    response = client.post(LOGIN, {"username": "lan", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:dashboard")
    assert client.session["_auth_user_id"]


def test_login_with_a_wrong_password_shows_an_error(client):
    UserFactory(username="lan")
    response = client.post(LOGIN, {"username": "lan", "password": "wrong-password-123"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].non_field_errors()


def test_login_rotates_the_session_key(client):
    UserFactory(username="lan")
    client.get(LOGIN)
    session = client.session
    session["probe"] = 1
    session.save()
    before = client.cookies["sessionid"].value
    client.post(LOGIN, {"username": "lan", "password": PASSWORD})
    after = client.cookies["sessionid"].value
    assert before and after and before != after


def test_login_applies_the_users_language_preference(client):
    UserFactory(username="lan", language="en")
    response = client.post(LOGIN, {"username": "lan", "password": PASSWORD})
    assert response.cookies["steerdesk_language"].value == "en"


def test_five_failures_lock_the_account_with_429_and_a_message(client):
    UserFactory(username="lan")
    for _attempt in range(4):
        response = client.post(LOGIN, {"username": "lan", "password": "wrong-password-123"})
        assert response.status_code == 200
    response = client.post(LOGIN, {"username": "lan", "password": "wrong-password-123"})
    assert response.status_code == 429
    client.cookies["steerdesk_language"] = "en"
    # Locked: even the right password is refused now.
    response = client.post(LOGIN, {"username": "lan", "password": PASSWORD})
    assert response.status_code == 429
    assert "locked for 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only(client_for):
    client = client_for(UserFactory())
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("password", "message"),
    [("Ngắn-ab12", "too short"), ("password1234", "too common")],
)
def test_password_change_refuses_short_and_common_passwords(client_for, password, message):
    user = UserFactory()
    client = client_for(user)
    client.cookies["steerdesk_language"] = "en"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_accepts_a_long_uncommon_password(client_for):
    user = UserFactory()
    client = client_for(user)
    new = "Hà-Giang-mùa-tam-giác-mạch-2026"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    # The session survives the change.
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_password_reset_mails_a_working_link(client, mailoutbox):
    user = UserFactory(username="lan", email="lan@example.vn")
    response = client.post(reverse("accounts:password_reset"), {"email": "lan@example.vn"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/password-reset/" in line)
    path = link.split("testserver", 1)[1].strip()
    response = client.get(path, follow=True)
    assert response.status_code == 200
    new = "Sông-Đà-chảy-về-xuôi-2026"
    response = client.post(response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_idle_session_is_logged_out(client_for, settings):
    client = client_for(UserFactory())
    assert client.get(reverse("accounts:profile")).status_code == 200
    session = client.session
    session[SESSION_LAST_SEEN] = int(time.time()) - settings.STEERDESK_SESSION_IDLE_MINUTES * 60 - 5
    session.save()
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "expired=1" in response["Location"]
    assert "_auth_user_id" not in client.session


def test_an_active_session_within_the_idle_limit_stays(client_for, settings):
    client = client_for(UserFactory())
    client.get(reverse("accounts:profile"))
    session = client.session
    session[SESSION_LAST_SEEN] = int(time.time()) - settings.STEERDESK_SESSION_IDLE_MINUTES * 60 + 60
    session.save()
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_a_session_older_than_the_absolute_limit_is_logged_out(client_for, settings):
    client = client_for(UserFactory())
    client.get(reverse("accounts:profile"))
    session = client.session
    session[SESSION_STARTED] = int(time.time()) - settings.STEERDESK_SESSION_ABSOLUTE_HOURS * 3600 - 5
    session.save()
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_reaches_an_account_created_without_a_password(client, mailoutbox):
    user = UserFactory(username="moi", email="moi@example.vn")
    user.set_unusable_password()
    user.save()
    client.post(reverse("accounts:password_reset"), {"email": "MOI@example.vn"})
    assert len(mailoutbox) == 1


def test_password_reset_does_not_reveal_unknown_addresses(client, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.vn"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mailoutbox == []
