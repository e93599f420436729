"""`steerdesk worker`: the background-job worker (`make worker`) with the scheduler of periodic jobs.

Runs django-tasks-db's `db_worker` on every queue in this process, plus a scheduler thread that queues the
reminder digest once a day at `STEERDESK_DIGEST_HOUR` and the roll-up summary refresh every minute (see
`steerdesk.work.scheduler`). No auto-reload: a
reloader would run a second scheduler in its parent process.
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from steerdesk.work.scheduler import start_scheduler


class Command(BaseCommand):
    help = (
        "Run the background-job worker; queue the daily reminder digest at STEERDESK_DIGEST_HOUR and the "
        "roll-up summary refresh every minute."
    )

    def add_arguments(self, parser):
        parser.add_argument("--queue-name", default="*", help="Queues to process (default: all).")
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="Only run jobs (when another worker already queues the periodic ones).",
        )

    def handle(self, *args, queue_name="*", no_scheduler=False, verbosity=1, **options):
        if not no_scheduler:
            start_scheduler()
        call_command("db_worker", queue_name=queue_name, reload=False, verbosity=verbosity)
