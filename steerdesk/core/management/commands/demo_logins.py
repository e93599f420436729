"""`steerdesk demo_logins`: the demo accounts that exist, with their role, unit and password."""

from django.core.management.base import BaseCommand

from steerdesk.accounts.models import User
from steerdesk.core.management.demo import DEMO_LOGINS, DEMO_PASSWORD

HEADERS = ("Username", "Role", "Unit", "Password")


class Command(BaseCommand):
    help = "Print the demo logins created by seed_demo (only those that exist). Prints nothing when there are none."

    def handle(self, *args, **options):
        users = {
            u.username: u
            for u in User.objects.filter(
                username__in=[login.username for login in DEMO_LOGINS]
            ).prefetch_related("grants__unit")
        }
        rows = []
        for login in DEMO_LOGINS:
            user = users.get(login.username)
            if user is None or not user.is_active:
                continue
            if user.is_superuser:
                role, unit = "superuser", "all units"
            else:
                grants = list(user.grants.all())
                if not grants:
                    continue
                role = ", ".join(g.role for g in grants)
                unit = ", ".join(g.unit.name for g in grants)
            # Show the password only while it is still the demo one: a changed password stays private.
            password = DEMO_PASSWORD if user.check_password(DEMO_PASSWORD) else "(changed)"
            rows.append((user.username, role, unit, password))
        if not rows:
            return
        widths = [max(len(str(r[i])) for r in [HEADERS, *rows]) for i in range(len(HEADERS))]
        line = "  ".join(f"{{:<{w}}}" for w in widths)
        self.stdout.write("Demo logins:")
        self.stdout.write(line.format(*HEADERS).rstrip())
        self.stdout.write(line.format(*("-" * w for w in widths)))
        for row in rows:
            self.stdout.write(line.format(*row).rstrip())
