"""TOTP two-factor rules (django-otp): who needs it, what a session still owes, and the device operations."""

from __future__ import annotations

import base64

import segno
from django.conf import settings
from django_otp import user_has_device
from django_otp import verify_token as otp_verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from steerdesk.core.scope import Role, user_grants

DEVICE_NAME = "TOTP"


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


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user) -> TOTPDevice:
    """The unconfirmed device being set up (created on first call, so reloading the page keeps the secret)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_base32(device: TOTPDevice) -> str:
    """The key as authenticator apps expect it for manual entry, in groups of four."""
    raw = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URI as an inline SVG QR code (no data: URL, no script, no style attribute)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=2, omitsize=False)


def clean_token(token: str) -> str:
    return "".join(ch for ch in (token or "") if ch.isdigit())


def check_token(device: TOTPDevice, token: str) -> bool:
    """Verify a code against one device: throttled, and a code (time step) already used is refused (last_t)."""
    token = clean_token(token)
    if not token:
        return False
    return otp_verify_token(device.user, device.persistent_id, token) is not None
