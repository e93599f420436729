"""TOTP two-factor rules (django-otp)."""

from __future__ import annotations

from django.conf import settings
from django_otp import user_has_device

from steerdesk.core.scope import Role, user_grants


def two_factor_required(user) -> bool:
    """Unit admins and superusers must use TOTP when STEERDESK_REQUIRE_2FA_FOR_ADMINS is on."""
    if not settings.STEERDESK_REQUIRE_2FA_FOR_ADMINS:
        return False
    return user.is_superuser or any(role == Role.ADMIN for _path, role in user_grants(user))


def needs_two_factor_step(user) -> str | None:
    """'verify' when the user has a device but this session is not verified; 'setup' when one is required
    and missing; None otherwise."""
    if getattr(user, "is_verified", lambda: True)():
        return None
    if user_has_device(user, confirmed=True):
        return "verify"
    if two_factor_required(user):
        return "setup"
    return None
