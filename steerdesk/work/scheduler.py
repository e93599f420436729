"""A tiny scheduler for `steerdesk worker`: django-tasks has no periodic tasks of its own.

A daemon thread wakes every minute and, once per local day at or after `STEERDESK_DIGEST_HOUR`
(Asia/Ho_Chi_Minh), enqueues `reminders.send_due_digests`; the worker in the same process runs it. A worker
started after the hour catches up at once. Several workers, or a restart, may enqueue the job more than once
a day: the job is idempotent, so the second run sends nothing.

Every minute it also enqueues `summary.refresh_unit_work_counts` (the roll-up summary table); that job does
nothing when another worker's refresh is under 30 seconds old.
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)

POLL_SECONDS = 60


def _enqueue_digests() -> None:
    from .reminders import send_due_digests

    send_due_digests.enqueue()


def _enqueue_rollup_refresh() -> None:
    from .summary import refresh_unit_work_counts

    refresh_unit_work_counts.enqueue()


class DailyScheduler:
    """Calls `job` once per local day, at the first check at or after `hour` o'clock, and each of
    `every_minute` at every check."""

    def __init__(
        self,
        *,
        hour: int,
        job: Callable[[], None] = _enqueue_digests,
        every_minute: tuple[Callable[[], None], ...] = (),
    ):
        self.hour = hour
        self.job = job
        self.every_minute = every_minute
        self.last_run: datetime.date | None = None
        self._stop = threading.Event()

    def tick(self, now: datetime.datetime | None = None) -> bool:
        """Run the job if it is due at `now` (aware); True when it ran. A failed run is retried next tick."""
        local = timezone.localtime(now or timezone.now())
        if local.hour < self.hour or self.last_run == local.date():
            return False
        try:
            self.job()
        except Exception:
            logger.exception("Queuing the daily reminder digest failed; retrying in a minute")
            return False
        self.last_run = local.date()
        logger.info("Queued the reminder digest of %s", local.date())
        return True

    def tick_minute(self) -> None:
        """Run the minute jobs; one failing is logged and does not stop the others (nor the next minute)."""
        for job in self.every_minute:
            try:
                job()
            except Exception:
                logger.exception("Queuing the minute job %s failed; retrying in a minute", job.__name__)

    def run(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self.tick_minute()
            close_old_connections()  # this thread's own connection must not go stale between days
            self._stop.wait(POLL_SECONDS)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="steerdesk-scheduler", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()


def start_scheduler() -> DailyScheduler:
    scheduler = DailyScheduler(hour=settings.STEERDESK_DIGEST_HOUR, every_minute=(_enqueue_rollup_refresh,))
    scheduler.start()
    return scheduler
