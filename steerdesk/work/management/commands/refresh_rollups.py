"""`steerdesk refresh_rollups`: rebuild the roll-up summary table now (what the worker does every minute).

For a deployment without `steerdesk worker`'s scheduler, run it from cron every minute; roll-ups use the
summary only while it is under two minutes old, and count live otherwise."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from steerdesk.work.summary import refresh_unit_work_counts_now


class Command(BaseCommand):
    help = "Rebuild the roll-up summary table (counts of the assignments in each unit's subtree)."

    def handle(self, *args, verbosity=1, **options):
        result = refresh_unit_work_counts_now()
        if verbosity:
            self.stdout.write(
                f"{result.units} units, {result.assignments} assignments; {result.changed} rows written, "
                f"{result.deleted} removed (count {result.read_seconds:.2f} s, write {result.write_seconds:.2f} s)"
            )
