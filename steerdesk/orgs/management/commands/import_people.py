"""`steerdesk import_people FILE --unit ID [--committee ID] --user USERNAME`: the import page's CLI twin.

All or nothing: on any error the full report goes to stderr, nothing is written, and the exit code is 1.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from steerdesk.orgs import importing
from steerdesk.orgs.models import Committee, OrgUnit


class Command(BaseCommand):
    help = "Import people (and optionally their committee positions) from an XLSX or CSV file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="XLSX or CSV (UTF-8, ; or , separated) with a header row")
        parser.add_argument("--unit", type=int, required=True, help="id of the people's home unit")
        parser.add_argument("--committee", type=int, help="id of a committee to appoint them to")
        parser.add_argument("--user", required=True, help="username the changes are recorded under")

    def handle(self, *args, file, unit, committee, user, **options):
        actor = get_user_model().objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"Unknown user: {user}")
        home_unit = OrgUnit.objects.filter(pk=unit).first()
        if home_unit is None:
            raise CommandError(f"Unknown unit id: {unit}")
        target = None
        if committee is not None:
            target = Committee.objects.filter(pk=committee).first()
            if target is None:
                raise CommandError(f"Unknown committee id: {committee}")
        try:
            with open(file, "rb") as fh:
                data = fh.read(importing.MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        try:
            result = importing.import_people(actor=actor, unit=home_unit, committee=target, data=data)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except importing.ImportRejected as exc:
            self.stderr.write(exc.report())
            raise CommandError(f"Nothing was imported: {len(exc.errors)} error(s).") from exc
        self.stdout.write(result.summary())
