"""Session timeouts and the two-factor gate."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from .twofactor import needs_two_factor_step

SESSION_LAST_SEEN = "steerdesk_last_seen"
SESSION_STARTED = "steerdesk_started"
SESSION_NO_2FA_STEP = "steerdesk_no_2fa_step"
# The idle clock is written at most this often, so most requests do not rewrite the session row.
LAST_SEEN_RESOLUTION = 60


def mark_session_start(request) -> None:
    """Start both clocks at login (called by the login view after Django rotated the session key)."""
    now = int(time.time())
    request.session[SESSION_STARTED] = now
    request.session[SESSION_LAST_SEEN] = now
    request.session.pop(SESSION_NO_2FA_STEP, None)


class SessionTimeoutMiddleware:
    """Log out after STEERDESK_SESSION_IDLE_MINUTES without a request, and after an absolute lifetime."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(SESSION_LAST_SEEN, now)
            started = request.session.setdefault(SESSION_STARTED, now)
            idle_limit = settings.STEERDESK_SESSION_IDLE_MINUTES * 60
            absolute_limit = settings.STEERDESK_SESSION_ABSOLUTE_HOURS * 3600
            if now - last_seen > idle_limit or now - started > absolute_limit:
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                query = urlencode({"next": request.get_full_path(), "expired": "1"})
                return redirect(f"{reverse(settings.LOGIN_URL)}?{query}")
            if now - last_seen >= LAST_SEEN_RESOLUTION or SESSION_LAST_SEEN not in request.session:
                request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)


class TwoFactorMiddleware:
    """Send a logged-in user who still owes a TOTP step (verify, or set up when required) to that page.

    Only the pages needed to complete the step (or to leave) are exempt: not the whole of /accounts/, which also
    holds user management.
    """

    EXEMPT_PREFIXES = ("/static/", "/healthz", "/i18n/", "/api/")
    EXEMPT_URL_NAMES = (
        "accounts:login",
        "accounts:logout",
        "accounts:two_factor_setup",
        "accounts:two_factor_verify",
        "accounts:password_reset",
    )

    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt = None

    def exempt_prefixes(self) -> tuple[str, ...]:
        if self._exempt is None:
            self._exempt = self.EXEMPT_PREFIXES + tuple(reverse(name) for name in self.EXEMPT_URL_NAMES)
        return self._exempt

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.session.get(SESSION_NO_2FA_STEP)
            and not request.path.startswith(self.exempt_prefixes())
        ):
            step = needs_two_factor_step(user)
            if step is None:
                # Owes nothing now (verified, or no device and none required): do not ask the database again in
                # this session. A new login starts the check afresh (mark_session_start).
                request.session[SESSION_NO_2FA_STEP] = True
            else:
                name = "accounts:two_factor_verify" if step == "verify" else "accounts:two_factor_setup"
                return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
