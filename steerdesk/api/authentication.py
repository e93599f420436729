"""API authentication: tokens, and sessions that have finished the two-factor step.

The two-factor gate (accounts.middleware.TwoFactorMiddleware) exempts `/api/`, so without this class a session
that has passed the password but still owes its TOTP code could call the API: the session class below treats
such a session as anonymous (401).
"""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication, TokenAuthentication

from steerdesk.accounts.twofactor import needs_two_factor_step


class VerifiedSessionAuthentication(SessionAuthentication):
    """Django's session login, refused while the session still owes a two-factor step."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and needs_two_factor_step(result[0]):
            return None
        return result


class VerifiedSessionScheme(SessionScheme):
    """OpenAPI description of VerifiedSessionAuthentication (a cookie, like Django's session)."""

    target_class = VerifiedSessionAuthentication


API_AUTHENTICATION = [TokenAuthentication, VerifiedSessionAuthentication]
