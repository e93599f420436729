"""The roll-up summary table (`UnitWorkCount`, `steerdesk.work.summary`): after a refresh, a roll-up read from it
gives exactly the live count at every level; it is used only when fresh, unfiltered and large; the refresh is
idempotent and forgets units without work; its read costs the same few queries whatever the number of
assignments; the minute job, the scheduler and the command run it."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from steerdesk.orgs.models import OrgUnit
from steerdesk.work import selectors, summary
from steerdesk.work.api_serializers import RollupSerializer
from steerdesk.work.models import Assignment, Plan, Status, Task, UnitWorkCount
from steerdesk.work.scheduler import DailyScheduler, _enqueue_rollup_refresh

from .test_rollup import TODAY, Rollback, as_rows, brute_rollup, build, root_user, summed, total_of, worlds
from .view_fixtures import freeze
from .work_fixtures import add_units

__all__ = ["root_user"]  # the fixture, imported for the tests below

pytestmark = pytest.mark.django_db
COUNTS = selectors.COUNTS


@pytest.fixture
def summary_always(settings):
    """Every subtree with work is large enough to be read from the summary."""
    settings.STEERDESK_ROLLUP_SUMMARY_MIN = 0
    return settings


def add_work(owner: OrgUnit, rows: list[tuple[OrgUnit, str, int | None]]) -> list[Assignment]:
    """One task of `owner` per (assignee, status, due in days from TODAY), with its assignment: two INSERTs."""
    tasks = Task.objects.bulk_create(
        [Task(unit=owner, unit_path=owner.path, title=f"Việc {i}") for i in range(len(rows))]
    )
    if any(t.pk is None for t in tasks):  # no RETURNING on bulk inserts: read the ids back
        tasks = list(Task.objects.filter(unit=owner).order_by("-pk")[: len(rows)])[::-1]
    return Assignment.objects.bulk_create(
        [
            Assignment(
                task=task,
                root_task=task,
                unit=unit,
                unit_path=unit.path,
                task_unit_path=owner.path,
                status=status,
                result="Đã xong" if status == Status.DONE else "",
                due_date=None if due is None else TODAY + datetime.timedelta(days=due),
            )
            for task, (unit, status, due) in zip(tasks, rows, strict=True)
        ]
    )


def counts(result: selectors.Rollup) -> dict:
    return {row.unit.pk: tuple(getattr(row, k) for k in COUNTS) for row in result.rows}


# ---------------------------------------------------------------------------------------------------------
# The summary equals the live count


@hypothesis_settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], max_examples=25
)
@given(world=worlds())
def test_the_summary_gives_the_live_counts_for_every_unit_of_a_random_tree(root_user, summary_always, world):
    try:
        with transaction.atomic():
            units, _tasks, rows, _plan = build(world)
            summary.refresh_unit_work_counts_now(today=TODAY)
            for unit in units:
                expected = brute_rollup(unit, units, rows)
                result = selectors.rollup(user=root_user, unit=unit, today=TODAY)
                assert as_rows(result) == expected, unit.path
                assert total_of(result) == summed(expected)
                has_work = any(a.unit_path.startswith(unit.path) for a in rows)
                assert (result.as_of is not None) == has_work, unit.path  # read from the summary
            raise Rollback
    except Rollback:
        pass


def test_late_is_counted_as_of_the_refresh_date(tree, root_user, summary_always):
    add_work(tree.province, [(tree.commune_a1, Status.IN_PROGRESS, -1), (tree.district_b, Status.DONE, -1)])
    summary.refresh_unit_work_counts_now(today=TODAY)
    result = selectors.rollup(user=root_user, unit=tree.province, today=TODAY)
    assert result.as_of is not None
    assert (result.total.total, result.total.done, result.total.late) == (2, 1, 1)
    # The next day the summary of the day before is not used: "late" would mean another thing.
    tomorrow = selectors.rollup(user=root_user, unit=tree.province, today=TODAY + datetime.timedelta(days=1))
    assert tomorrow.as_of is None


# ---------------------------------------------------------------------------------------------------------
# When the summary is used


def test_a_stale_summary_is_not_used(tree, root_user, summary_always):
    add_work(tree.province, [(tree.commune_a1, Status.NOT_STARTED, 3)])
    summary.refresh_unit_work_counts_now(
        today=TODAY, now=timezone.now() - summary.MAX_AGE - datetime.timedelta(seconds=1)
    )
    add_work(tree.province, [(tree.district_b, Status.NOT_STARTED, 3)])  # after the refresh
    result = selectors.rollup(user=root_user, unit=tree.province, today=TODAY)
    assert result.as_of is None
    assert result.total.total == 2  # counted live
    summary.refresh_unit_work_counts_now(today=TODAY)
    fresh = selectors.rollup(user=root_user, unit=tree.province, today=TODAY)
    assert fresh.as_of is not None and fresh.total.total == 2


def test_a_fresh_summary_shows_the_figures_of_its_time(tree, root_user, summary_always):
    add_work(tree.province, [(tree.commune_a1, Status.NOT_STARTED, 3)])
    summary.refresh_unit_work_counts_now(today=TODAY)
    add_work(tree.province, [(tree.district_b, Status.NOT_STARTED, 3)])
    result = selectors.rollup(user=root_user, unit=tree.province, today=TODAY)
    assert result.as_of is not None and result.total.total == 1  # until the next refresh


def test_the_summary_is_used_from_the_threshold_up(tree, root_user, settings):
    add_work(
        tree.province, [(tree.commune_a1, Status.DONE, 3)] * 3 + [(tree.district_b, Status.NOT_STARTED, 3)]
    )
    summary.refresh_unit_work_counts_now(today=TODAY)
    settings.STEERDESK_ROLLUP_SUMMARY_MIN = 4
    assert selectors.rollup(user=root_user, unit=tree.province, today=TODAY).as_of is not None
    assert selectors.rollup(user=root_user, unit=tree.district_a, today=TODAY).as_of is None  # 3 assignments
    settings.STEERDESK_ROLLUP_SUMMARY_MIN = 5
    live = selectors.rollup(user=root_user, unit=tree.province, today=TODAY)
    assert live.as_of is None and live.total.total == 4


def test_filters_always_count_live(tree, root_user, summary_always):
    add_work(tree.province, [(tree.commune_a1, Status.DONE, 3)])
    summary.refresh_unit_work_counts_now(today=TODAY)
    task = Task.objects.get()
    assert selectors.rollup(user=root_user, unit=tree.province, year=TODAY.year, today=TODAY).as_of is None
    assert selectors.rollup(user=root_user, unit=tree.province, root_task=task, today=TODAY).as_of is None
    assert selectors.rollup(user=root_user, unit=tree.province, today=TODAY).as_of is not None


def test_rows_of_two_refreshes_are_never_mixed(tree, root_user, summary_always):
    add_work(tree.province, [(tree.commune_a1, Status.DONE, 3), (tree.district_b, Status.DONE, 3)])
    summary.refresh_unit_work_counts_now(today=TODAY)
    UnitWorkCount.objects.filter(unit=tree.district_b).update(
        computed_at=timezone.now() - datetime.timedelta(seconds=5)
    )
    assert selectors.rollup(user=root_user, unit=tree.province, today=TODAY).as_of is None
    assert selectors.rollup(user=root_user, unit=tree.district_a, today=TODAY).as_of is not None


def test_the_summary_read_costs_the_same_few_queries_whatever_the_work(tree, users, summary_always):
    communes = add_units(tree.district_a, 20, kind=OrgUnit.Kind.COMMUNE, name="Xã")
    queries = []
    for n in (10, 400):
        add_work(tree.province, [(communes[i % 20], Status.IN_PROGRESS, i % 7 - 3) for i in range(n)])
        summary.refresh_unit_work_counts_now(today=TODAY)
        selectors.rollup(user=users.owner, unit=tree.district_a, today=TODAY)  # warm the grant cache
        with CaptureQueriesContext(connection) as captured:
            result = selectors.rollup(user=users.owner, unit=tree.district_a, today=TODAY)
        assert result.as_of is not None
        queries.append(len(captured))
    assert queries[0] == queries[1] <= 3
    assert result.total.total == 410
    assert len(result.rows) == 21  # the existing commune and the 20 new ones


# ---------------------------------------------------------------------------------------------------------
# The refresh


def _summary_rows() -> list[tuple]:
    return sorted(UnitWorkCount.objects.values_list("unit_id", "unit_path", *COUNTS, "as_of_date"))


def test_the_refresh_is_idempotent_and_forgets_units_without_work(tree, summary_always):
    extra = add_units(tree.district_b, 1, kind=OrgUnit.Kind.COMMUNE, name="Xã")[0]
    work = add_work(
        tree.province,
        [
            (tree.commune_a1, Status.DONE, 1),
            (extra, Status.CANCELLED, 1),
            (tree.province, Status.NOT_STARTED, -2),
        ],
    )
    first = summary.refresh_unit_work_counts_now(today=TODAY)
    rows = _summary_rows()
    assert (first.units, first.assignments, first.changed, first.deleted) == (5, 3, 5, 0)
    province = UnitWorkCount.objects.get(unit=tree.province)
    assert (province.total, province.done, province.cancelled, province.late) == (3, 1, 1, 1)
    stamp = timezone.now()
    second = summary.refresh_unit_work_counts_now(today=TODAY, now=stamp)
    assert _summary_rows() == rows and (second.changed, second.deleted) == (0, 0)
    assert set(UnitWorkCount.objects.values_list("computed_at", flat=True)) == {stamp}  # every row stamped

    Assignment.objects.filter(pk=work[1].pk).delete()
    extra.delete()  # the unit goes, and district B has no work left
    third = summary.refresh_unit_work_counts_now(today=TODAY)
    assert set(UnitWorkCount.objects.values_list("unit_id", flat=True)) == {
        tree.province.pk,
        tree.district_a.pk,
        tree.commune_a1.pk,
    }
    assert third.deleted == 1  # district B's row; the deleted unit's row went with it


def test_a_recent_refresh_makes_the_next_one_a_no_op_only_when_asked(tree):
    add_work(tree.province, [(tree.commune_a1, Status.DONE, 1)])
    summary.refresh_unit_work_counts_now()
    assert summary.refresh_unit_work_counts_now(min_interval=summary.MIN_INTERVAL).skipped
    assert not summary.refresh_unit_work_counts_now().skipped
    later = timezone.now() + summary.MIN_INTERVAL + datetime.timedelta(seconds=1)
    assert not summary.refresh_unit_work_counts_now(now=later, min_interval=summary.MIN_INTERVAL).skipped


def test_a_refresh_that_counted_earlier_does_not_overwrite_a_later_one(tree):
    add_work(tree.province, [(tree.commune_a1, Status.DONE, 1)])
    later = summary.refresh_unit_work_counts_now()
    Assignment.objects.update(status=Status.CANCELLED)
    earlier = summary.refresh_unit_work_counts_now(now=timezone.now() - datetime.timedelta(seconds=10))
    assert not later.skipped and earlier.skipped
    assert UnitWorkCount.objects.get(unit=tree.province).done == 1  # left as the later refresh wrote it


def test_work_at_a_path_that_is_no_units_is_left_out():
    own = [
        {"unit_path": p, "total": 1, "done": 1, "late": 0, "not_started": 0, "in_progress": 0, "cancelled": 0}
        for p in ("R000", "R0000001", "R000ZZZZ")
    ]
    sums = summary.subtree_counts(own, {"R000", "R0000001"})
    assert sums == {"R000": [2, 2, 0, 0, 0, 0], "R0000001": [1, 1, 0, 0, 0, 0]}


# ---------------------------------------------------------------------------------------------------------
# Job, scheduler, command


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_the_job_refreshes_the_summary_once_per_interval(tree, immediate_tasks):
    add_work(tree.province, [(tree.commune_a1, Status.DONE, 1), (tree.district_b, Status.NOT_STARTED, 1)])
    first = summary.refresh_unit_work_counts.enqueue()
    assert first.return_value == {"units": 4, "assignments": 2, "skipped": False}
    assert UnitWorkCount.objects.get(unit=tree.province).total == 2
    second = summary.refresh_unit_work_counts.enqueue()  # another worker's scheduler, the same minute
    assert second.return_value["skipped"] is True


def test_the_scheduler_queues_the_refresh_every_minute(tree, immediate_tasks):
    add_work(tree.province, [(tree.commune_a1, Status.DONE, 1)])
    ran = []

    def broken():
        raise RuntimeError("queue unavailable")

    scheduler = DailyScheduler(
        hour=7, job=lambda: None, every_minute=(broken, _enqueue_rollup_refresh, lambda: ran.append(1))
    )
    scheduler.tick_minute()
    assert ran == [1]  # a failing job does not stop the others
    assert UnitWorkCount.objects.filter(unit=tree.province, total=1).exists()


def test_the_command_refreshes_the_summary(tree):
    add_work(tree.province, [(tree.commune_a1, Status.DONE, 1)])
    out = io.StringIO()
    call_command("refresh_rollups", stdout=out)
    assert out.getvalue().startswith("3 units, 1 assignments; 3 rows written, 0 removed")
    assert UnitWorkCount.objects.get(unit=tree.commune_a1).done == 1
    assert UnitWorkCount.objects.count() == 3  # commune, district A, province


# ---------------------------------------------------------------------------------------------------------
# The page and the API say when figures come from the summary


def test_the_rollup_page_says_when_its_figures_were_computed(client_for, users, tree, summary_always):
    add_work(tree.district_a, [(tree.commune_a1, Status.DONE, 1), (tree.district_a, Status.NOT_STARTED, 1)])
    client = client_for(users.owner)
    with freeze(TODAY, hour=9):
        live = client.get(reverse("work:rollup"), {"unit": tree.district_a.pk}).content.decode()
        summary.refresh_unit_work_counts_now()
        page = client.get(reverse("work:rollup"), {"unit": tree.district_a.pk}).content.decode()
    assert "rollup-as-of" not in live
    assert 'class="muted rollup-as-of"' in page and "09:00" in page  # local time (Asia/Ho_Chi_Minh)
    assert "1 / 2" in page and "1 / 2" in live


def test_the_api_gives_the_time_of_summary_figures(tree, root_user, summary_always):
    add_work(tree.province, [(tree.commune_a1, Status.DONE, 1)])
    assert RollupSerializer(selectors.rollup(user=root_user, unit=tree.province)).data["as_of"] is None
    summary.refresh_unit_work_counts_now()
    data = RollupSerializer(selectors.rollup(user=root_user, unit=tree.province)).data
    assert data["as_of"] is not None and data["total"]["done"] == 1


def test_the_plan_filter_offers_the_plans_of_the_unit_and_its_ancestors(tree, users, root_user):
    plans = {
        unit: Plan.objects.create(unit=unit, unit_path=unit.path, title=name, period_kind="year", year=2026)
        for unit, name in (
            (tree.province, "Kế hoạch của tỉnh"),
            (tree.district_a, "Kế hoạch của huyện"),
            (tree.commune_a1, "Kế hoạch của xã"),
            (tree.district_b, "Kế hoạch huyện khác"),
        )
    }
    offered = set(selectors.rollup_plan_choices(user=root_user, unit=tree.district_a))
    assert offered == {plans[tree.province], plans[tree.district_a]}  # not the commune's: drill down to it
    # Only plans the user may see: district A's secretary does not see the province's plan.
    assert set(selectors.rollup_plan_choices(user=users.owner, unit=tree.district_a)) == {
        plans[tree.district_a]
    }
