"""Fixtures of the accounts tests: TOTP codes computed the way an authenticator app does."""

import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_code(device: TOTPDevice) -> str:
    """The code an authenticator app shows right now for `device`."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def device_for():
    """`device_for(user)`: a confirmed TOTP device of `user`."""

    def make(user):
        return TOTPDevice.objects.create(user=user, name="TOTP", confirmed=True)

    return make
