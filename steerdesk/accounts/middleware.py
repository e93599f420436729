"""Session timeouts and the two-factor gate."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from .twofactor import needs_two_factor_step

SESSION_LAST_SEEN = "steerdesk_last_seen"
SESSION_STARTED = "steerdesk_started"


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
                return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.get_full_path()}&expired=1")
            request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)


class TwoFactorMiddleware:
    """Send a logged-in user who still owes a TOTP step (verify, or set up when required) to that page."""

    EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.EXEMPT_PREFIXES)
        ):
            step = needs_two_factor_step(user)
            if step == "verify":
                return redirect(f"{reverse('accounts:two_factor_verify')}?next={request.get_full_path()}")
            if step == "setup":
                return redirect(f"{reverse('accounts:two_factor_setup')}?next={request.get_full_path()}")
        return self.get_response(request)
