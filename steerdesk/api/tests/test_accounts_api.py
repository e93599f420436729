"""/api/v1/me/ and token issue: credentials, two-factor, and django-axes' lockout."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from steerdesk.accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def test_me_returns_the_user_and_their_grants(tree, users, api_for):
    response = api_for(users.owner).get("/api/v1/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == users.owner.pk
    assert body["username"] == "owner"
    assert body["grants"] == [
        {
            "id": users.owner.grants.get().pk,
            "unit": tree.district_a.pk,
            "unit_name": tree.district_a.name,
            "role": "secretary",
        }
    ]


def test_a_password_gets_a_token_that_authenticates_api_calls(tree, users):
    client = APIClient()
    response = client.post(TOKEN_URL, {"username": "owner", "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["username"] == "owner"
    committees = {row["id"] for row in client.get("/api/v1/committees/").json()["results"]}
    assert committees == {tree.committee_a.pk}
    # Asking again returns the same token.
    again = APIClient().post(TOKEN_URL, {"username": "owner", "password": PASSWORD}, format="json")
    assert again.json()["token"] == token


def test_a_wrong_password_is_a_400_and_too_many_are_a_429(users):
    client = APIClient()
    for _attempt in range(4):
        response = client.post(TOKEN_URL, {"username": "owner", "password": "wrong"}, format="json")
        assert response.status_code == 400
        assert "token" not in response.json()
    response = client.post(TOKEN_URL, {"username": "owner", "password": "wrong"}, format="json")
    assert response.status_code == 429
    # Locked out: even the right password is refused for now.
    response = client.post(TOKEN_URL, {"username": "owner", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert "token" not in response.json()


def test_a_missing_field_is_a_400(users):
    response = APIClient().post(TOKEN_URL, {"username": "owner"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()


def test_an_account_with_two_factor_needs_its_current_code(users):
    device = TOTPDevice.objects.create(user=users.owner, name="phone", confirmed=True)
    client = APIClient()
    response = client.post(TOKEN_URL, {"username": "owner", "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert "otp" in response.json()
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    response = client.post(TOKEN_URL, {"username": "owner", "password": PASSWORD, "otp": code}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["token"]
    wrong = f"{(int(code) + 1) % 10**device.digits:0{device.digits}d}"
    response = client.post(
        TOKEN_URL, {"username": "owner", "password": PASSWORD, "otp": wrong}, format="json"
    )
    assert response.status_code == 400
    assert "token" not in response.json()


def test_an_admin_who_must_use_two_factor_cannot_get_a_token_before_setting_it_up(users, settings):
    settings.STEERDESK_REQUIRE_2FA_FOR_ADMINS = True
    response = APIClient().post(TOKEN_URL, {"username": "admin", "password": PASSWORD}, format="json")
    assert response.status_code == 403
    assert "token" not in response.json()


def test_the_token_endpoint_answers_other_methods_like_the_rest_of_the_api(users):
    client = APIClient()
    assert client.get(TOKEN_URL).status_code == 401
    token = client.post(TOKEN_URL, {"username": "owner", "password": PASSWORD}, format="json").json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(TOKEN_URL).status_code == 405
