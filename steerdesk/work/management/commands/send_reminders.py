"""`steerdesk send_reminders [--date YYYY-MM-DD]`: send the day's reminder digests now (idempotent)."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from steerdesk.work.reminders import send_digests


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}") from exc


class Command(BaseCommand):
    help = (
        "Send the daily digest of overdue and due-soon work (e-mail and in-app notifications) now. "
        "Running it again the same day sends nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="The local date to remind for (default: today, Asia/Ho_Chi_Minh).")

    def handle(self, *args, date=None, **options):
        summary = send_digests(today=_date(date) if date else None)
        self.stdout.write(
            f"{summary.date:%d/%m/%Y}: {summary.sent} e-mail(s) sent, {summary.notifications} notification(s), "
            f"{summary.already_done} already done today, {summary.failed} failed "
            f"({summary.recipients} recipient(s))."
        )
        if summary.failed:
            raise CommandError(
                f"{summary.failed} digest(s) could not be sent; run the command again to retry."
            )
