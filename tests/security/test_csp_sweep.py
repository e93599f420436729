"""Strict Content-Security-Policy and security headers on every page (ASVS V14.4, V50).

Every GET URL pattern is rendered as a superuser (who sees every page and every object), full page and htmx
partial, plus the public pages as an anonymous visitor and the error pages. Each response must carry the strict
CSP (no 'unsafe-inline', object-src/frame-ancestors 'none') and the security headers, and each HTML body must hold
nothing that policy would block: no inline <script> body, no <style> block, no `style=` attribute, no `on*=`
handler, no `javascript:` URL. Swagger UI (/api/v1/docs/) is one of the patterns. New apps are covered as soon
as their URLs exist (the scope sweep makes sure their parameters can be filled).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from .sweep import PUBLIC, concrete_urls, csp_problems, inline_problems, walk

pytestmark = pytest.mark.django_db

SECURITY_HEADERS = {
    "X-Content-Type-Options": {"nosniff"},
    "X-Frame-Options": {"DENY"},
    "Referrer-Policy": {"same-origin", "strict-origin", "strict-origin-when-cross-origin", "no-referrer"},
    "Cross-Origin-Opener-Policy": {"same-origin"},
}


def header_problems(response) -> list[str]:
    problems = [
        f"{name}: {response.get(name)!r}"
        for name, allowed in SECURITY_HEADERS.items()
        if response.get(name) not in allowed
    ]
    return problems + csp_problems(response.get("Content-Security-Policy"))


def page_problems(response) -> list[str]:
    problems = header_problems(response)
    if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
        problems += inline_problems(response.content.decode())
    return problems


def sweep(client, paths, **headers) -> tuple[int, dict[str, list[str]]]:
    """GET every path; (number of HTML pages checked, {path: problems})."""
    failures: dict[str, list[str]] = {}
    html_pages = 0
    for path in paths:
        response = client.get(path, headers=headers)
        problems = page_problems(response)
        if response.status_code >= 500:
            problems.append(f"answered {response.status_code}")
        if response.get("Content-Type", "").startswith("text/html") and response.status_code == 200:
            html_pages += 1
        if problems:
            failures[f"{path} ({response.status_code})"] = problems
    return html_pages, failures


def report(failures: dict[str, list[str]]) -> str:
    return "\n".join(f"{path}:\n  " + "\n  ".join(problems) for path, problems in failures.items())


def test_every_page_as_a_superuser_has_the_strict_csp_and_no_inline_code(own_objects, users, client_for):
    client = client_for(users.superuser)
    paths = [path for path, name, _ in concrete_urls(own_objects) if name != "accounts:logout"]
    pages, failures = sweep(client, paths)
    assert not failures, report(failures)
    assert pages > 30, f"only {pages} HTML pages rendered: the sweep lost its URLs"
    assert "/api/v1/docs/" in paths


def test_every_htmx_partial_has_no_inline_code_either(own_objects, users, client_for):
    client = client_for(users.superuser)
    paths = [
        path
        for path, name, _ in concrete_urls(own_objects)
        if name != "accounts:logout" and not path.startswith("/api/")
    ]
    _pages, failures = sweep(client, paths, HX_Request="true")
    assert not failures, report(failures)


def test_public_pages_and_error_pages_for_anonymous_visitors(db):
    paths = [
        reverse(name)
        for _route, name, _pattern in walk()
        if name in PUBLIC
        and name not in ("accounts:logout", "set_language", "accounts:password_reset_confirm")
    ]
    paths += [
        reverse("accounts:password_reset_confirm", kwargs={"uidb64": "MQ", "token": "set-password"}),
        "/no-such-page/",
        "/api/v1/no-such-endpoint/",
    ]
    pages, failures = sweep(Client(), paths)
    assert not failures, report(failures)
    assert pages >= 4


def test_static_files_are_not_sniffed(db, client):
    """Static assets are not documents (no CSP needed) but must never be content-sniffed into one."""
    response = client.get("/static/core/steerdesk.css")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"].startswith("text/css")


def test_django_admin_pages_have_the_strict_csp_too(users, client_for):
    """/admin/ is Django's own: its index, lists and add forms (as a superuser) must hold under the CSP too."""
    client = client_for(users.superuser)
    paths = ["/admin/"]
    for route, name, _pattern in walk():
        if name and name.startswith("admin:") and (name.endswith("_changelist") or name.endswith("_add")):
            if "<" not in route:
                paths.append("/" + route)
    _pages, failures = sweep(client, paths)
    assert not failures, report(failures)
    assert len(paths) > 10


# -- the checker itself must be able to fail ---------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        "<p style='color:red'>x</p>",
        "<style>p{}</style>",
        '<img src="x.png" onerror="alert(1)">',
        '<a href=" javascript:alert(1)">x</a>',
        '<button hx-on:click="alert(1)">x</button>',
        '<script src="/static/core/htmx.min.js"></script>',  # htmx without includeIndicatorStyles off
    ],
)
def test_the_html_scan_catches_what_the_policy_would_block(html):
    assert inline_problems(html)


def test_the_html_scan_accepts_external_scripts_and_classes():
    html = (
        '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>'
        '<script src="/static/core/htmx.min.js" defer></script><p class="x" data-onload="no">x</p>'
    )
    assert inline_problems(html) == []


@pytest.mark.parametrize(
    "header",
    [
        None,
        "default-src 'self'; script-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'",
        "default-src *; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        "default-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'; "
        "base-uri 'self'; form-action 'self'",
        "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'",
    ],
)
def test_the_csp_reading_catches_weak_policies(header):
    assert csp_problems(header)


def test_the_csp_reading_accepts_the_project_policy(client):
    assert csp_problems(client.get("/accounts/login/")["Content-Security-Policy"]) == []
