"""Error pages (DEBUG=0, as in every test) leak no stack trace, exception message or setting (ASVS V16.5):
404, 403, 400 and 500 from pages and from the API, and a request for a host that is not allowed."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from .sweep import csp_problems
from .urls import SECRET_MARKER

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.security.urls")]

LEAKS = ("Traceback", 'File "', "RuntimeError", "KeyError", "Exception Value", "urlpatterns", "URLconf")


def assert_tells_nothing(response):
    body = response.content.decode()
    for leak in (*LEAKS, SECRET_MARKER, settings.SECRET_KEY, str(settings.DATA_DIR), str(settings.BASE_DIR)):
        assert leak not in body, f"{response.status_code} page shows {leak!r}"
    assert not settings.DEBUG


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/test-errors/boom/", 500),
        ("/api/v1/test-errors/boom/", 500),
        ("/test-errors/suspicious/", 400),
        ("/no-such-page/", 404),
        ("/orgs/units/999999/", 404),
    ],
)
def test_error_pages_tell_nothing(users, path, status):
    client = Client(raise_request_exception=False)
    client.force_login(users.owner)
    response = client.get(path)
    assert response.status_code == status
    assert_tells_nothing(response)
    assert csp_problems(response.get("Content-Security-Policy")) == []


def test_a_permission_refusal_shows_its_reason_escaped(users, client_for):
    response = client_for(users.owner).get("/test-errors/forbidden/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "&lt;b&gt;Only the unit&#x27;s secretary&lt;/b&gt; may do this." in body
    assert "<b>Only" not in body
    assert_tells_nothing(response)


def test_the_server_error_page_is_the_projects_own(users):
    client = Client(raise_request_exception=False)
    response = client.get("/test-errors/boom/")
    assert response.status_code == 500
    assert "SteerDesk" in response.content.decode()
    assert [t.name for t in response.templates] == ["500.html"]


def test_a_host_that_is_not_allowed_gets_a_plain_400(users):
    response = Client(raise_request_exception=False).get("/accounts/login/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert_tells_nothing(response)
    assert "ALLOWED_HOSTS" not in response.content.decode()


def test_api_errors_are_short_json_without_internals(users, client_for):
    client = client_for(users.owner)
    response = client.get("/api/v1/units/999999/")
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
    assert_tells_nothing(response)
    response = client.post("/api/v1/committees/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert_tells_nothing(response)
