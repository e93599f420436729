"""TOTP: setup with a QR code, the verify step after the password, no code reuse, admins forced, disabling."""

import pytest
from django.test import override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from steerdesk.accounts.tests.conftest import totp_code
from steerdesk.accounts.tests.factories import PASSWORD, UserFactory
from steerdesk.core.models import AuditEntry

pytestmark = pytest.mark.django_db

SETUP = "/accounts/2fa/setup/"
VERIFY = "/accounts/2fa/verify/"


def login(client, user):
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return response


def test_setup_shows_an_inline_svg_qr_code_and_the_secret(client_for):
    user = UserFactory()
    response = client_for(user).get(reverse("accounts:two_factor_setup"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "data:" not in html and "<script>" not in html and "style=" not in html
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert response.context["secret"].replace(" ", "") in device.config_url


def test_setup_keeps_the_same_secret_across_reloads(client_for):
    client = client_for(UserFactory())
    first = client.get(SETUP).context["secret"]
    assert client.get(SETUP).context["secret"] == first
    assert TOTPDevice.objects.count() == 1


def test_setup_confirms_with_a_code_and_verifies_the_session(client_for):
    user = UserFactory()
    client = client_for(user)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user)
    response = client.post(SETUP, {"token": totp_code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.session["otp_device_id"] == device.persistent_id
    # The session is verified: pages open without the verify step.
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert AuditEntry.objects.filter(object_id=str(user.pk), changes__two_factor=[False, True]).exists()


def test_setup_refuses_a_wrong_code(client_for):
    user = UserFactory()
    client = client_for(user)
    client.get(SETUP)
    response = client.post(SETUP, {"token": "000000"})
    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    assert not TOTPDevice.objects.get(user=user).confirmed


def test_after_the_password_a_user_with_a_device_must_enter_a_code(client, device_for):
    user = UserFactory()
    device = device_for(user)
    login(client, user)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    # User management is not exempt from the step either.
    assert client.get(reverse("accounts:user_list"))["Location"].startswith(VERIFY)
    response = client.post(VERIFY, {"token": totp_code(device), "next": "/accounts/profile/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_a_code_cannot_be_used_twice(client, device_for):
    user = UserFactory()
    device = device_for(user)
    code = totp_code(device)
    login(client, user)
    assert client.post(VERIFY, {"token": code}).status_code == 302
    client.post(reverse("accounts:logout"))
    login(client, user)
    response = client.post(VERIFY, {"token": code})
    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_verify_ignores_an_offsite_next(client, device_for):
    user = UserFactory()
    device = device_for(user)
    login(client, user)
    response = client.post(VERIFY, {"token": totp_code(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("core:dashboard")


def test_two_factor_is_optional_for_ordinary_users(client, users):
    login(client, users.member)
    assert client.get(reverse("accounts:profile")).status_code == 200


@override_settings(STEERDESK_REQUIRE_2FA_FOR_ADMINS=True)
@pytest.mark.parametrize("who", ["admin", "superuser"])
def test_admins_are_forced_to_set_up_two_factor(client_for, users, who):
    client = client_for(getattr(users, who))
    response = client.get(reverse("accounts:user_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP)
    response = client.get(response["Location"])
    assert response.status_code == 200
    assert response.context["required"]
    device = TOTPDevice.objects.get(user=getattr(users, who))
    assert client.post(SETUP, {"token": totp_code(device)}).status_code == 302
    assert client.get(reverse("accounts:user_list")).status_code == 200


@override_settings(STEERDESK_REQUIRE_2FA_FOR_ADMINS=True)
def test_non_admins_are_not_forced_when_the_setting_is_on(client_for, users):
    assert client_for(users.owner).get(reverse("accounts:profile")).status_code == 200


@override_settings(STEERDESK_REQUIRE_2FA_FOR_ADMINS=False)
def test_admins_are_not_forced_when_the_setting_is_off(client_for, users):
    assert client_for(users.admin).get(reverse("accounts:user_list")).status_code == 200


def verified_client(client, user, device):
    login(client, user)
    assert client.post(VERIFY, {"token": totp_code(device)}).status_code == 302
    return client


def test_disable_needs_a_current_code(client, device_for):
    user = UserFactory()
    device = device_for(user)
    verified_client(client, user, device)
    response = client.post(reverse("accounts:two_factor_disable"), {"token": "123456"})
    assert response.status_code == 200
    assert TOTPDevice.objects.filter(user=user).exists()


def test_disable_with_a_fresh_code_removes_the_device(client, device_for):
    user = UserFactory()
    device = device_for(user)
    verified_client(client, user, device)
    # The verify step used this time step's code; the next step's code is fresh (tolerance accepts it).
    device.refresh_from_db()
    device.last_t -= 1  # pretend the verify happened one step earlier, so a new code exists right now
    device.save()
    response = client.post(reverse("accounts:two_factor_disable"), {"token": totp_code(device)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get(reverse("accounts:profile")).status_code == 200


@override_settings(STEERDESK_REQUIRE_2FA_FOR_ADMINS=True)
def test_admins_cannot_disable_two_factor_when_required(client, users, device_for):
    device = device_for(users.admin)
    verified_client(client, users.admin, device)
    device.refresh_from_db()
    device.last_t -= 1
    device.save()
    response = client.post(reverse("accounts:two_factor_disable"), {"token": totp_code(device)})
    assert response.status_code == 200
    assert TOTPDevice.objects.filter(user=users.admin).exists()
