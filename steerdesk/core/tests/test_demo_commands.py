"""The demo commands on an empty database (the seeded cases are in test_seed_demo.py)."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from steerdesk.orgs.models import OrgUnit


@pytest.mark.parametrize("scale", ["province", "national"])
def test_larger_scales_are_not_implemented_yet(db, scale):
    with pytest.raises(CommandError, match="not implemented yet") as excinfo:
        call_command("seed_demo", "--scale", scale)
    assert excinfo.value.returncode == 2
    assert not OrgUnit.objects.exists()


def test_demo_logins_prints_nothing_without_demo_accounts(db):
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    assert out.getvalue() == ""
