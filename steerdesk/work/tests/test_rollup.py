"""Roll-ups (tổng hợp tiến độ): the counts at every level equal a brute-force count.

A hypothesis test draws random unit trees (up to 4 levels, some units inactive), random tasks (top tasks, some
in a plan, and split tasks under them) and random assignments (any unit, any status, due dates around a fixed
day, across a year boundary), writes them with `bulk_create`, and compares `selectors.rollup` for every unit
(unfiltered, by year, by plan, by cascade) and `selectors.task_rollup` for every task with counts computed in
Python from the path prefixes. Each example runs in a transaction rolled back at its end."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.http import Http404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steerdesk.orgs.models import PATH_STEP, OrgUnit
from steerdesk.orgs.services import _encode_segment
from steerdesk.work import selectors, services
from steerdesk.work.models import OPEN_STATUSES, Assignment, Plan, Status, Task

from .work_fixtures import *  # noqa: F403

TODAY = datetime.date(2026, 1, 2)  # due dates around it fall in 2025 and 2026
COUNTS = selectors.COUNTS
STATUSES = list(Status.values)


# ---------------------------------------------------------------------------------------------------------
# The random world


@dataclass
class World:
    parents: list[int | None]  # parent index of each unit; unit 0 is the root
    active: list[bool]
    tasks: list[
        tuple[int, int | None, bool]
    ]  # (owner unit, index of the top task it was split from, in plan)
    assignments: list[tuple[int, int, str, int | None]]  # (task, unit, status, due in days from TODAY)
    filter_unit: int  # where the year, plan and cascade filters are checked besides the root


@st.composite
def worlds(draw) -> World:
    n = draw(st.integers(min_value=1, max_value=25))
    parents: list[int | None] = [None]
    depth = [0]
    for _i in range(1, n):
        parent = draw(st.sampled_from([j for j in range(len(parents)) if depth[j] < 3]))
        parents.append(parent)
        depth.append(depth[parent] + 1)
    active = [True] + [draw(st.sampled_from([True, True, True, False])) for _i in range(1, n)]
    tasks: list[tuple[int, int | None, bool]] = []
    for _i in range(draw(st.integers(min_value=1, max_value=5))):
        tops = [j for j, (_o, root, _p) in enumerate(tasks) if root is None]
        root = draw(st.none() | st.sampled_from(tops)) if tops else None
        tasks.append((draw(st.integers(0, n - 1)), root, draw(st.booleans())))
    assignments = draw(
        st.lists(
            st.tuples(
                st.integers(0, len(tasks) - 1),
                st.integers(0, n - 1),
                st.sampled_from(STATUSES),
                st.none() | st.integers(min_value=-5, max_value=5),
            ),
            max_size=60,
            unique_by=lambda row: (row[0], row[1]),
        )
    )
    return World(parents, active, tasks, assignments, draw(st.integers(0, n - 1)))


def build(world: World):
    """Write the world with one bulk insert per level and table; returns (units, tasks, assignments, plan)."""
    units: list[OrgUnit | None] = [None] * len(world.parents)
    child_count: Counter = Counter()
    for _level in range(4):  # a parent is written one pass before its children
        batch = []
        for i, parent in enumerate(world.parents):
            if units[i] is not None:
                continue
            if parent is None:
                path = "R000"
            elif units[parent] is not None and units[parent].pk is not None:
                path = units[parent].path + _encode_segment(child_count[parent])
                child_count[parent] += 1
            else:
                continue
            units[i] = OrgUnit(
                name=f"Đơn vị {i}",
                parent=units[parent] if parent is not None else None,
                path=path,
                depth=len(path) // PATH_STEP - 1,
                is_active=world.active[i],
            )
            batch.append(units[i])
        if batch:
            OrgUnit.objects.bulk_create(batch)
            _ensure_pks(OrgUnit, batch, "path")
    root = units[0]
    plan = Plan.objects.create(
        unit=root, unit_path=root.path, title="Kế hoạch năm", period_kind="year", year=2026
    )
    tasks_by_index: dict[int, Task] = {}
    for top_pass in (True, False):  # top tasks first: split tasks point at them
        batch = []
        for i, (owner, root_index, in_plan) in enumerate(world.tasks):
            if (root_index is None) != top_pass:
                continue
            task = Task(
                unit=units[owner],
                unit_path=units[owner].path,
                title=f"Nhiệm vụ {i}",
                plan=plan if in_plan else None,
                root_task=tasks_by_index[root_index] if root_index is not None else None,
            )
            task._index = i
            batch.append(task)
        Task.objects.bulk_create(batch)
        _ensure_pks(Task, batch, "title")
        for task in batch:
            tasks_by_index[task._index] = task
    tasks = [tasks_by_index[i] for i in range(len(world.tasks))]
    rows = []
    for task_index, unit_index, status, due in world.assignments:
        task, unit = tasks[task_index], units[unit_index]
        rows.append(
            Assignment(
                task=task,
                root_task=task.root_task or task,
                unit=unit,
                unit_path=unit.path,
                task_unit_path=task.unit_path,
                status=status,
                result="Đã xong" if status == Status.DONE else "",
                due_date=None if due is None else TODAY + datetime.timedelta(days=due),
            )
        )
    Assignment.objects.bulk_create(rows)
    return units, tasks, rows, plan


def _ensure_pks(model, objs, key: str) -> None:
    """Backends without RETURNING on bulk inserts: read the ids back by a unique column."""
    if all(o.pk is not None for o in objs):
        return
    ids = dict(model.objects.filter(**{f"{key}__in": [getattr(o, key) for o in objs]}).values_list(key, "pk"))
    for o in objs:
        o.pk = ids[getattr(o, key)]


# ---------------------------------------------------------------------------------------------------------
# Brute force


def brute_counts(rows) -> tuple[int, ...]:
    counts = Counter()
    for a in rows:
        counts["total"] += 1
        counts[a.status] += 1
        if a.status in OPEN_STATUSES and a.due_date is not None and a.due_date < TODAY:
            counts["late"] += 1
    return (
        counts["total"],
        counts[Status.DONE],
        counts["late"],
        counts[Status.NOT_STARTED],
        counts[Status.IN_PROGRESS],
        counts[Status.CANCELLED],
    )


def brute_rollup(unit: OrgUnit, units, rows) -> list[tuple]:
    """[(unit id, is self, counts)] in the selector's order: the unit itself, then its children by path;
    an inactive child with nothing counted is left out."""
    inside = [a for a in rows if a.unit_path.startswith(unit.path)]
    out = []
    own = [a for a in inside if a.unit_path == unit.path]
    if own:
        out.append((unit.pk, True, brute_counts(own)))
    for child in sorted((u for u in units if u.parent_id == unit.pk), key=lambda u: u.path):
        mine = [a for a in inside if a.unit_path.startswith(child.path)]
        if mine or child.is_active:
            out.append((child.pk, False, brute_counts(mine)))
    return out


def as_rows(result: selectors.Rollup) -> list[tuple]:
    return [(row.unit.pk, row.is_self, tuple(getattr(row, k) for k in COUNTS)) for row in result.rows]


def total_of(result: selectors.Rollup) -> tuple[int, ...]:
    return tuple(getattr(result.total, k) for k in COUNTS)


def summed(rows: list[tuple]) -> tuple[int, ...]:
    return tuple(sum(r[2][i] for r in rows) for i in range(len(COUNTS)))


class Rollback(Exception):
    """Raised at the end of each example to roll its rows back."""


@pytest.fixture
def root_user(db):
    from steerdesk.accounts.tests.factories import UserFactory

    return UserFactory(username="rollup_root", is_superuser=True)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], max_examples=30)
@given(world=worlds())
def test_rollup_counts_equal_a_brute_force_count(root_user, world):
    try:
        with transaction.atomic():
            check_world(root_user, world)
            raise Rollback
    except Rollback:
        pass


def check_world(user, world: World) -> None:
    units, tasks, rows, plan = build(world)
    top_tasks = [t for t in tasks if t.root_task_id is None]
    for unit in units:
        expected = brute_rollup(unit, units, rows)
        result = selectors.rollup(user=user, unit=unit, today=TODAY)
        assert as_rows(result) == expected, unit.path
        assert total_of(result) == summed(expected)
    # The filters narrow the same GROUP BY whatever the unit: checked at the root and at one drawn unit.
    for unit in {units[0].pk: units[0], units[world.filter_unit].pk: units[world.filter_unit]}.values():
        by_year = brute_rollup(unit, units, [a for a in rows if a.due_date and a.due_date.year == 2026])
        assert as_rows(selectors.rollup(user=user, unit=unit, year=2026, today=TODAY)) == by_year
        in_plan = brute_rollup(unit, units, [a for a in rows if a.root_task.plan_id == plan.pk])
        assert as_rows(selectors.rollup(user=user, unit=unit, plan=plan, today=TODAY)) == in_plan
        cascade = brute_rollup(unit, units, [a for a in rows if a.root_task_id == top_tasks[0].pk])
        assert as_rows(selectors.rollup(user=user, unit=unit, root_task=top_tasks[0], today=TODAY)) == cascade
    for task in tasks:
        check_task_rollup(user, task, units, rows)


def check_task_rollup(user, task: Task, units, rows) -> None:
    """A task's roll-up: its cascade (the root task's assignments) per child of the task's unit that has a share
    of it, plus one row per unit outside that subtree to which the task's unit (or a unit below it) gave work of
    the cascade."""
    unit = next(u for u in units if u.pk == task.unit_id)
    cascade = [a for a in rows if a.root_task_id == (task.root_task_id or task.pk)]
    expected = brute_rollup(unit, units, cascade)
    outside: dict[int, list] = {}
    for a in cascade:
        if not a.unit_path.startswith(unit.path) and a.task_unit_path.startswith(unit.path):
            outside.setdefault(a.unit_id, []).append(a)
    expected += [(unit_id, False, brute_counts(mine)) for unit_id, mine in outside.items()]
    # A task's roll-up lists only the units that have a share of the cascade.
    expected = [row for row in expected if row[2][0]]
    result = selectors.task_rollup(user=user, task=task, today=TODAY)
    assert sorted(as_rows(result)) == sorted(expected), (task.title, unit.path)
    assert total_of(result) == summed(expected)


# ---------------------------------------------------------------------------------------------------------
# Roll-ups built through the services


def test_rollup_is_404_for_a_unit_the_user_cannot_see(tree, users):
    with pytest.raises(Http404):
        selectors.rollup(user=users.owner, unit=tree.district_b, today=TODAY)
    with pytest.raises(Http404):
        selectors.rollup(user=users.owner, unit=tree.province, today=TODAY)
    assert selectors.rollup(user=users.viewer, unit=tree.district_a, today=TODAY).total.total == 0


def test_a_split_task_rolls_up_across_levels(tree, users, prov):
    """Province → districts A and B; A splits its share to commune A1 and reports nothing itself."""
    task = services.task_create(
        actor=prov.secretary, unit=tree.province, data={"title": "Tổng kết 10 năm", "due_date": TODAY}
    )
    services.task_cascade(actor=prov.secretary, task=task, units=[tree.district_a, tree.district_b])
    share_a = Assignment.objects.get(task=task, unit=tree.district_a)
    share_b = Assignment.objects.get(task=task, unit=tree.district_b)
    child = services.task_split(
        actor=users.owner, assignment=share_a, data={"title": "Xã tổng kết"}, units=[tree.commune_a1]
    )
    a1 = Assignment.objects.get(task=child)
    services.assignment_report(
        actor=users.owner, assignment=a1, expected_version=a1.version, percent=100, result="Đã tổng kết"
    )
    services.assignment_report(actor=prov.secretary, assignment=share_b, expected_version=1, percent=40)

    assert (child.root_task_id, a1.root_task_id, a1.task_unit_path) == (
        task.pk,
        task.pk,
        tree.district_a.path,
    )
    # The province sees, per district, every assignment of the cascade in that district's subtree.
    rows = {
        row.unit.pk: row for row in selectors.task_rollup(user=prov.secretary, task=task, today=TODAY).rows
    }
    assert set(rows) == {tree.district_a.pk, tree.district_b.pk}
    assert (rows[tree.district_a.pk].total, rows[tree.district_a.pk].done) == (2, 1)  # A's share and A1's
    assert (rows[tree.district_b.pk].total, rows[tree.district_b.pk].in_progress) == (1, 1)
    # District A's roll-up of its split task: its own share and commune A1; nothing of district B.
    split = selectors.task_rollup(user=users.owner, task=child, today=TODAY)
    assert [(row.unit.pk, row.is_self, row.total, row.done) for row in split.rows] == [
        (tree.district_a.pk, True, 1, 0),
        (tree.commune_a1.pk, False, 1, 1),
    ]
    assert split.total.total == 2
    # Late is measured against the day given: due today is not late today, is late tomorrow.
    tomorrow = TODAY + datetime.timedelta(days=1)
    assert selectors.task_rollup(user=prov.secretary, task=task, today=TODAY).total.late == 0
    assert selectors.task_rollup(user=prov.secretary, task=task, today=tomorrow).total.late == 2
