"""The roll-up summary table (`UnitWorkCount`): national roll-ups whose cost depends on units, not on rows.

A live roll-up counts every assignment of the unit's subtree (one GROUP BY on the indexed `unit_path` range):
fast for a district, but about a million rows for the nation. So a job keeps, for every unit, the counts of
the assignments in its whole subtree, and a roll-up of a large subtree reads only its children's rows.

**How it is kept current: a job, not the services.** `refresh_unit_work_counts` runs every minute (queued by
the scheduler thread of `steerdesk worker`, or by `steerdesk refresh_rollups` from cron). Keeping the counts
in the services' transactions would make every report, cascade or bulk change also update one row per
ancestor (≈6) — the hottest rows of the database, the nation's and the province's, which every writer in the
country would then queue on — and "late" changes at midnight without any write at all. A full recount every
minute is simple, has nothing to drift, and is cheap: one GROUP BY over the assignments (an index-only scan of
`work_asg_path_status_idx`), the sums to every ancestor in Python through the materialised paths (depth ≤ ~6),
then one short write transaction (the rows whose counts changed, the rows of units left without work, and one
UPDATE stamping every row with the refresh's time).

**When a roll-up uses it** (`summary_rollup`): no filter (plan, year, cascade), the summary is fresh — computed
at most `MAX_AGE` ago for the same local date, so "late" means the same thing — and the subtree is large (at
least `STEERDESK_ROLLUP_SUMMARY_MIN` assignments). Otherwise the live count runs, exact to the second. The page
says when it shows summary figures ("as of HH:MM"): at most `MAX_AGE` old, normally under a minute plus the
job's own run time. If no worker runs, roll-ups are simply live (exact, but the nation's then reads every
assignment: run the worker, or `refresh_rollups` from cron, wherever the national roll-up is used).

Reading a unit's summary = its own row and its children's rows, one query: each child's row is that child's
subtree, and the unit's own work is its subtree minus its children's subtrees.
"""

from __future__ import annotations

import datetime
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from steerdesk.orgs.models import PATH_STEP, OrgUnit

from .models import Assignment, UnitWorkCount

logger = logging.getLogger(__name__)

COUNTS = ("total", "done", "late", "not_started", "in_progress", "cancelled")
# A summary older than this is not shown: the job runs every minute, so this leaves room for one late run.
MAX_AGE = datetime.timedelta(minutes=2)
# The queued job does nothing when a refresh this recent exists (several workers each queue it every minute).
MIN_INTERVAL = datetime.timedelta(seconds=30)
# Finished results of the minute job are deleted after this (django-tasks-db keeps every result otherwise).
KEEP_RESULTS = datetime.timedelta(hours=1)
REFRESH_LOCK_KEY = 0x5D_0001  # PostgreSQL advisory lock taken by a refresh's write transaction


@dataclass
class RefreshResult:
    units: int = 0  # units with work (rows of the summary)
    assignments: int = 0  # assignments counted
    changed: int = 0  # rows written because their counts changed (or are new)
    deleted: int = 0  # rows of units whose subtree has no work any more
    skipped: bool = False  # a refresh newer than `min_interval` existed, or a later one got in first
    read_seconds: float = 0.0
    write_seconds: float = 0.0


def _own_counts(today: datetime.date) -> list[dict]:
    """Counts of the assignments of each assignee path, "late" as of `today`: one GROUP BY over all of them,
    with the live roll-up's counts (an index-only scan of work_asg_path_status_idx on PostgreSQL)."""
    from .selectors import _count_annotations

    return list(Assignment.objects.values("unit_path").annotate(**_count_annotations(today)).order_by())


def subtree_counts(own: list[dict], unit_paths: set[str]) -> dict[str, list[int]]:
    """Sum the own counts of each path into that unit and every ancestor (the path's prefixes).

    Rows whose path is no unit's path (none exist while the services keep paths in step) are left out, so a
    unit's own work is always its subtree minus its children's subtrees."""
    sums: dict[str, list[int]] = {}
    for row in own:
        path = row["unit_path"]
        if path not in unit_paths:
            continue
        values = [row[k] for k in COUNTS]
        for end in range(PATH_STEP, len(path) + 1, PATH_STEP):
            acc = sums.get(path[:end])
            if acc is None:
                sums[path[:end]] = list(values)
            else:
                for i, v in enumerate(values):
                    acc[i] += v
    return sums


def refresh_unit_work_counts_now(
    *,
    now: datetime.datetime | None = None,
    today: datetime.date | None = None,
    min_interval: datetime.timedelta | None = None,
) -> RefreshResult:
    """Rebuild `UnitWorkCount` from the assignments: idempotent, and deletes the rows of units without work.

    Counts first, outside any transaction (on SQLite a transaction holds the write lock); then, in one short
    transaction, writes only the rows whose counts changed (most do not from one minute to the next), deletes
    the rows of units without work, and stamps every row with `now` and `today` in one UPDATE — so readers see
    either the whole old summary or the whole new one. `now` is taken before counting: the page's "as of" time
    is never later than the data. Refreshes are serialised (SQLite's write lock, an advisory lock on
    PostgreSQL); one that finds a newer refresh written writes nothing. With `min_interval`, does nothing
    when a refresh of the same local date is that recent."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    result = RefreshResult()
    if (
        min_interval is not None
        and UnitWorkCount.objects.filter(computed_at__gt=now - min_interval, as_of_date=today).exists()
    ):
        result.skipped = True
        return result
    started = time.perf_counter()
    own = _own_counts(today)
    unit_ids = dict(OrgUnit.objects.values_list("path", "pk"))
    sums = subtree_counts(own, set(unit_ids))
    result.assignments = sum(row["total"] for row in own if row["unit_path"] in unit_ids)
    fresh = {unit_ids[path]: (path, *values) for path, values in sums.items() if path in unit_ids}
    result.units = len(fresh)
    result.read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with transaction.atomic():
        _serialise_refreshes()
        current, newest = {}, None
        for unit_id, computed_at, *values in UnitWorkCount.objects.values_list(
            "unit_id", "computed_at", "unit_path", *COUNTS
        ):
            current[unit_id] = tuple(values)
            newest = computed_at if newest is None else max(newest, computed_at)
        if newest is not None and newest > now:  # a refresh that counted later got here first
            result.skipped = True
            return result
        changed = [
            UnitWorkCount(
                unit_id=unit_id,
                unit_path=values[0],
                as_of_date=today,
                computed_at=now,
                **dict(zip(COUNTS, values[1:], strict=True)),
            )
            for unit_id, values in fresh.items()
            if current.get(unit_id) != values
        ]
        UnitWorkCount.objects.bulk_create(
            changed,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["unit"],
            update_fields=["unit_path", *COUNTS],
        )
        gone = [unit_id for unit_id in current if unit_id not in fresh]
        for i in range(0, len(gone), 500):
            result.deleted += UnitWorkCount.objects.filter(unit_id__in=gone[i : i + 500]).delete()[0]
        UnitWorkCount.objects.update(computed_at=now, as_of_date=today)
    result.changed = len(changed)
    result.write_seconds = time.perf_counter() - started
    return result


def _serialise_refreshes() -> None:
    """Two workers' refreshes must not interleave their writes. SQLite's IMMEDIATE transactions already take the
    database's write lock; on PostgreSQL a transaction-level advisory lock does it without blocking readers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK_KEY])


@task()
def refresh_unit_work_counts() -> dict:
    """The minute job (queued by `steerdesk worker`'s scheduler): refresh the summary unless a refresh less
    than `MIN_INTERVAL` old exists, then forget this job's own finished results older than `KEEP_RESULTS`."""
    result = refresh_unit_work_counts_now(min_interval=MIN_INTERVAL)
    if not result.skipped:
        logger.info(
            "Roll-up summary: %s units, %s assignments, %s rows written, %s removed; count %.2f s, write %.2f s",
            result.units,
            result.assignments,
            result.changed,
            result.deleted,
            result.read_seconds,
            result.write_seconds,
        )
    _prune_own_results()
    return {"units": result.units, "assignments": result.assignments, "skipped": result.skipped}


def _prune_own_results() -> None:
    """A result row a minute would be half a million rows a year in the job table."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(
        task_path=refresh_unit_work_counts.module_path,
        status=TaskResultStatus.SUCCESSFUL,
        finished_at__lt=timezone.now() - KEEP_RESULTS,
    ).delete()


# ---------------------------------------------------------------------------------------------------------
# Reading


# What a roll-up row shows of a unit; the rest (timestamps, authors) is left unread: it is most of the cost.
UNIT_FIELDS = ("id", "name", "short_name", "code", "kind", "parent_id", "path", "depth", "is_active")


def family_with_counts(unit: OrgUnit) -> list[OrgUnit]:
    """`unit` and its children in path order, each with its summary row (`work_count`) joined: one query."""
    return list(
        OrgUnit.objects.filter(Q(pk=unit.pk) | Q(parent_id=unit.pk))
        .select_related("work_count")
        .only(
            *UNIT_FIELDS, *(f"work_count__{f}" for f in ("unit_path", *COUNTS, "as_of_date", "computed_at"))
        )
        .order_by("path")
    )


def _row(unit: OrgUnit) -> UnitWorkCount | None:
    try:
        return unit.work_count
    except UnitWorkCount.DoesNotExist:
        return None


def summary_rollup(
    *, unit: OrgUnit, family: list[OrgUnit], today: datetime.date, now: datetime.datetime | None = None
):
    """The roll-up of `unit` from the summary (a `selectors.Rollup` with `as_of` set), or None when the
    summary must not be used: missing, older than `MAX_AGE`, for another date than `today`, from another
    refresh than the children's rows, its path out of step with the unit's, or a subtree smaller than
    `STEERDESK_ROLLUP_SUMMARY_MIN` assignments (a live count is then cheap and exact).

    `family` is `family_with_counts(unit)`; no further query. Rows and order are those of the live roll-up:
    the unit's own work first (when there is any), then every child by path, an inactive child without work
    left out."""
    from .selectors import Rollup, RollupRow

    now = now or timezone.now()
    own = next((_row(u) for u in family if u.pk == unit.pk), None)
    if (
        own is None
        or own.total < settings.STEERDESK_ROLLUP_SUMMARY_MIN
        or own.as_of_date != today
        or own.computed_at < now - MAX_AGE
        or own.unit_path != unit.path
    ):
        return None
    children = [u for u in family if u.pk != unit.pk]
    rows = {child.pk: _row(child) for child in children}
    if any(row is not None and row.computed_at != own.computed_at for row in rows.values()):
        return None
    result = Rollup(unit=unit, as_of=own.computed_at)
    itself = RollupRow(
        unit=unit, label=_("This unit itself"), is_self=True, **{k: getattr(own, k) for k in COUNTS}
    )
    for row in rows.values():
        if row is not None:
            for k in COUNTS:
                setattr(itself, k, getattr(itself, k) - getattr(row, k))
    if itself.total:
        result.rows.append(itself)
    for child in children:
        row = rows[child.pk]
        if row is None and not child.is_active:
            continue
        result.rows.append(RollupRow(unit=child, **{k: getattr(row, k) if row else 0 for k in COUNTS}))
    result.total = RollupRow(unit=None, label=_("Total"), **{k: getattr(own, k) for k in COUNTS})
    return result
