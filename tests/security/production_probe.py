"""Run as `python -m tests.security.production_probe` with production settings in the environment (DEBUG=0,
SECRET_KEY, ALLOWED_HOSTS=testserver, DATABASE_URL=sqlite://:memory:): logs a user in through the real stack and
prints what a browser would see, as JSON, for tests/security/test_production.py.

Production settings are computed when the settings module is imported, so they can only be observed truthfully
in a fresh process; pytest's own process runs with DEBUG=1.
"""

from __future__ import annotations

import json
import os
import sys


def cookie_facts(morsel) -> dict:
    return {
        "secure": bool(morsel["secure"]),
        "httponly": bool(morsel["httponly"]),
        "samesite": morsel["samesite"],
        "path": morsel["path"],
        "domain": morsel["domain"],
    }


def main() -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steerdesk.settings")
    import django
    from django.conf import settings

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    from steerdesk.accounts.models import User

    # A throw-away in-memory database: tables straight from the models (no migration history needed here).
    with override_settings(MIGRATION_MODULES={app.split(".")[-1]: None for app in settings.INSTALLED_APPS}):
        call_command("migrate", run_syncdb=True, verbosity=0)
    password = "Mật-khẩu-đủ-dài-2026"
    User.objects.create_user(
        username="lan", password=password, language="en"
    )  # the login sets its cookie too

    client = Client()
    plain = client.get("/accounts/login/")
    login_page = client.get("/accounts/login/", secure=True)
    csrf_name = settings.CSRF_COOKIE_NAME
    token = client.cookies[csrf_name].value
    login = client.post(
        "/accounts/login/",
        {"username": "lan", "password": password, "csrfmiddlewaretoken": token},
        secure=True,
        headers={"Referer": "https://testserver/accounts/login/"},
    )
    missing = client.get("/no-such-page/", secure=True)
    api_missing = client.get("/api/v1/units/999999/", secure=True)
    return {
        "not_found": missing.content.decode(),
        "api_not_found": {"status": api_missing.status_code, "body": api_missing.content.decode()},
        "debug": settings.DEBUG,
        "plain_http": {"status": plain.status_code, "location": plain.get("Location", "")},
        "login_page": {
            "status": login_page.status_code,
            "headers": {k: v for k, v in login_page.headers.items()},
            "set_cookies": {name: cookie_facts(m) for name, m in login_page.cookies.items()},
        },
        "login": {
            "status": login.status_code,
            "location": login.get("Location", ""),
            "set_cookies": {name: cookie_facts(m) for name, m in login.cookies.items()},
        },
        "settings": {
            "SESSION_COOKIE_NAME": settings.SESSION_COOKIE_NAME,
            "CSRF_COOKIE_NAME": csrf_name,
            "SESSION_COOKIE_AGE": settings.SESSION_COOKIE_AGE,
            "LANGUAGE_COOKIE_SECURE": settings.LANGUAGE_COOKIE_SECURE,
            "STEERDESK_REQUIRE_2FA_FOR_ADMINS": settings.STEERDESK_REQUIRE_2FA_FOR_ADMINS,
        },
    }


if __name__ == "__main__":
    json.dump(main(), sys.stdout, ensure_ascii=False, indent=1)
