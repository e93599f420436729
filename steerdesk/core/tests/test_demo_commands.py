"""The demo commands on an empty database (the seeded cases are in test_seed_demo.py)."""

import io

from django.core.management import call_command


def test_demo_logins_prints_nothing_without_demo_accounts(db):
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    assert out.getvalue() == ""
