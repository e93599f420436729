"""Production settings (DEBUG=0), observed in a fresh process as a browser would see them (ASVS V3.3, V3.4, V14):
`steerdesk check --deploy` is clean; plain HTTP is redirected; HSTS; `__Host-` cookies that are Secure, HttpOnly
and SameSite; security headers; a 404 that tells nothing about the code or the settings.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("STEERDESK_", "DJANGO_")) and k != "DEBUG"
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="steerdesk.example.gov.vn,testserver",
        STEERDESK_DATA_DIR=str(tmp_path),
        DATABASE_URL="sqlite://:memory:",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def deploy_check(tmp_path, **extra) -> subprocess.CompletedProcess:
    return run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path, **extra)
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = deploy_check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr + result.stdout


def test_check_deploy_does_complain_when_something_is_wrong(tmp_path):
    """The control: a short secret key is reported, so the clean result above means something."""
    result = deploy_check(tmp_path, SECRET_KEY="short")
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


def test_without_the_tls_proxy_only_the_https_redirect_is_missing(tmp_path):
    """STEERDESK_BEHIND_PROXY_TLS=0 turns the redirect off on purpose (README): that, and nothing else, is flagged."""
    result = deploy_check(tmp_path, STEERDESK_BEHIND_PROXY_TLS="0")
    output = result.stderr + result.stdout
    assert set(re.findall(r"\((security\.\w+)\)", output)) == {"security.W008"}


def test_production_requires_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG=0" in result.stderr


@pytest.fixture(scope="module")
def seen(tmp_path_factory):
    """What a browser sees of a production server: see production_probe.py."""
    result = run(["-m", "tests.security.production_probe"], production_env(tmp_path_factory.mktemp("prod")))
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["debug"] is False
    return facts


def test_plain_http_is_redirected_to_https(seen):
    assert seen["plain_http"]["status"] == 301
    assert seen["plain_http"]["location"].startswith("https://")


def test_hsts_for_a_year_with_subdomains(seen):
    hsts = seen["login_page"]["headers"]["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= 31536000
    assert "includeSubDomains" in hsts


@pytest.mark.parametrize("step", ["login_page", "login"])
def test_cookies_are_host_prefixed_secure_httponly_and_samesite(seen, step):
    cookies = seen[step]["set_cookies"]
    assert cookies, f"{step} set no cookie"
    for name, facts in cookies.items():
        # Session and CSRF cookies carry __Host- (no subdomain can plant or override them), which browsers
        # accept only when Secure, Path=/ and without Domain; the language preference needs no prefix.
        assert name.startswith("__Host-") or name == "steerdesk_language", name
        assert facts["secure"] and facts["path"] == "/" and facts["domain"] == "", (name, facts)
        assert facts["httponly"], name
        assert facts["samesite"] in ("Lax", "Strict"), name


def test_the_login_sets_the_host_prefixed_session_cookie(seen):
    assert seen["login"]["status"] == 302
    assert {"__Host-sessionid", "__Host-csrftoken", "steerdesk_language"} <= set(seen["login"]["set_cookies"])
    assert seen["settings"]["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert seen["settings"]["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert seen["settings"]["LANGUAGE_COOKIE_SECURE"] is True


def test_two_factor_is_required_for_admins_by_default_in_production(seen):
    assert seen["settings"]["STEERDESK_REQUIRE_2FA_FOR_ADMINS"] is True


def test_security_headers_in_production(seen):
    headers = seen["login_page"]["headers"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    # Pages with a form and a token are not cached by proxies or the browser's back button.
    assert "no-store" in headers["Cache-Control"] or "private" in headers["Cache-Control"]


def test_not_found_pages_tell_nothing_about_the_code(seen):
    for body in (seen["not_found"], seen["api_not_found"]["body"]):
        for leak in (
            "Traceback",
            "URLconf",
            "urlpatterns",
            "steerdesk.urls",
            "SECRET_KEY",
            "DEBUG",
            "settings",
        ):
            assert leak not in body, leak
    assert seen["api_not_found"]["status"] == 404
