"""CSRF on every state-changing request (ASVS V50.3 / V3.5): a sweep over every URL pattern.

A browser session (cookie) that POSTs without the CSRF token gets 403 from every page, and every
session-authenticated API call (POST, PUT, PATCH, DELETE) gets 403 too, before any view code runs: even pages
that only answer GET (the middleware refuses first) and views that install their own upload handler
(`csrf_exempt` + `csrf_protect` inside). The 403 must be the CSRF refusal, not a permission refusal, so the
sweep runs as a superuser and checks which page answered. New URLs are covered automatically.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from steerdesk.orgs.models import Committee

from .sweep import PUBLIC, concrete_urls, walk

pytestmark = pytest.mark.django_db

API_METHODS = ("post", "put", "patch", "delete")
# POST needs no CSRF token here, on purpose:
NO_SESSION_ENDPOINTS = {
    # It reads only the username and password in the body and answers a token in JSON: it ignores the
    # session cookie (TokenAuthentication only) and sets none, so a forged cross-site request gains nothing.
    "api:token",
}


def is_csrf_refusal(response) -> bool:
    if response.status_code != 403:
        return False
    data = getattr(response, "data", None)  # a DRF response, whatever renderer answered
    if isinstance(data, dict) and "detail" in data:
        return str(data["detail"]).startswith("CSRF Failed")
    if response.get("Content-Type", "").startswith("text/html"):
        return any(t.name == "403_csrf.html" for t in response.templates)
    return b"CSRF Failed" in response.content  # DRF's refusal, in JSON or in the schema's YAML


def session_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_every_page_refuses_a_session_post_without_the_csrf_token(own_objects, users):
    client = session_client(users.superuser)
    failures, checked = [], 0
    for path, name, _ in concrete_urls(own_objects):
        if path.startswith("/api/"):
            continue
        response = client.post(path, {"name": "x", "version": "1"})
        checked += 1
        if not is_csrf_refusal(response):
            failures.append(f"POST {path} ({name}) → {response.status_code}")
    assert not failures, "\n".join(failures)
    assert checked > 40
    # Still logged in: nothing above (not even logout) ran.
    assert "_auth_user_id" in client.session


def test_every_api_call_with_a_session_needs_the_csrf_token(own_objects, users):
    client = session_client(users.superuser)
    failures, checked = [], 0
    for path, name, _ in concrete_urls(own_objects):
        if not path.startswith("/api/") or name in NO_SESSION_ENDPOINTS:
            continue
        for method in API_METHODS:
            response = getattr(client, method)(
                path, {"name": "x", "version": 1}, content_type="application/json"
            )
            checked += 1
            if not is_csrf_refusal(response):
                failures.append(f"{method.upper()} {path} ({name}) → {response.status_code}")
    assert not failures, "\n".join(failures)
    assert checked > 80


def test_the_same_api_call_passes_the_csrf_check_with_the_token(own_objects, users):
    """The control: with the token the refusal above disappears (the 403 was about the token)."""
    client = session_client(users.superuser)
    client.get(reverse("core:dashboard"))
    token = client.cookies["csrftoken"].value
    committee = own_objects[Committee]
    path = f"/api/v1/committees/{committee.pk}/"
    body = {"name": "Ban Chỉ đạo mới", "version": committee.version}
    response = client.patch(path, body, content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.content
    response = client.patch(path, body, content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 409  # the stale version, now that the token is there


def test_public_forms_refuse_a_post_without_the_csrf_token(users):
    """Login (login CSRF), logout, password reset, language switch: anonymous or not, the token is needed."""
    anonymous = Client(enforce_csrf_checks=True)
    paths = [
        reverse(name)
        for _r, name, _p in walk()
        if name in PUBLIC and name != "accounts:password_reset_confirm"
    ]
    paths.append(reverse("accounts:password_reset_confirm", kwargs={"uidb64": "MQ", "token": "set-password"}))
    for path in paths:
        response = anonymous.post(path, {"username": users.owner.username, "password": "x", "language": "en"})
        if path.startswith("/healthz"):
            assert response.status_code in (403, 405)
            continue
        assert is_csrf_refusal(response), f"POST {path} → {response.status_code}"
    logged_in = session_client(users.owner)
    assert is_csrf_refusal(logged_in.post(reverse("accounts:logout")))
    assert "_auth_user_id" in logged_in.session


def test_a_foreign_origin_is_refused_even_with_the_token(users):
    client = session_client(users.owner)
    client.get(reverse("accounts:profile"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("accounts:logout"),
        {"csrfmiddlewaretoken": token},
        headers={"Origin": "https://evil.example"},
    )
    assert is_csrf_refusal(response)
    response = client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
