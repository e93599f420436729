"""Cascade (giao nhiệm vụ cho nhiều đơn vị): one task to many units in one transaction, all or none, one audit
entry per created assignment; "every unit of kind X below me"; no duplicates; the owner's own untouched
assignment is withdrawn."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection

from steerdesk.core.models import AuditEntry
from steerdesk.orgs.models import OrgUnit
from steerdesk.work import services
from steerdesk.work.models import Assignment, Notification, Status, Task

from .work_fixtures import *  # noqa: F403
from .work_fixtures import add_units, make_user

DUE = datetime.date(2026, 6, 30)


def assignment_audit(action: str, ids) -> AuditEntry:
    return AuditEntry.objects.filter(
        content_type__model="assignment", action=action, object_id__in=[str(i) for i in ids]
    )


def new_task(actor, unit, **data):
    return services.task_create(
        actor=actor, unit=unit, data={"title": "Rà soát văn bản", "due_date": DUE, **data}
    )


@pytest.fixture
def companies(tree):
    """700 active companies directly below district A, in one INSERT."""
    return add_units(tree.district_a, 700, kind=OrgUnit.Kind.COMPANY, name="Công ty")


def test_it_cascades_one_task_to_700_units_in_one_go(
    tree, users, companies, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    task = new_task(users.owner, tree.district_a)
    own = task.assignments.get()

    company_secretaries = [make_user(f"company{i}", companies[i * 300], "secretary") for i in range(3)]

    # A bounded number of queries whatever the number of units (bulk inserts, no per-row query): 40 covers
    # SQLite's 999-parameter batches (12 assignment and 7 audit INSERTs here); one query per row would be 700+.
    with django_capture_on_commit_callbacks() as callbacks, django_assert_max_num_queries(40):
        created = services.task_cascade(actor=users.owner, task=task, kind=OrgUnit.Kind.COMPANY)
    # After the commit, the companies' secretaries are notified in a few bulk queries.
    with django_assert_max_num_queries(15):
        for callback in callbacks:
            callback()
    assert sorted(Notification.objects.values_list("user", "kind")) == sorted(
        (user.pk, "assigned") for user in company_secretaries
    )

    assert len(created) == 700
    rows = Assignment.objects.filter(task=task)
    assert rows.count() == 700
    assert set(rows.values_list("unit_id", flat=True)) == {u.pk for u in companies}
    assert set(rows.values_list("role", "status", "due_date", "root_task_id", "task_unit_path")) == {
        (Assignment.Role.LEAD, Status.NOT_STARTED, DUE, task.pk, tree.district_a.path)
    }
    assert all(a.unit_path == a.unit.path for a in rows.select_related("unit"))
    entries = assignment_audit("create", [a.pk for a in created])
    assert entries.count() == 700
    assert {e.changes["unit"][1] for e in entries} == {u.name for u in companies}
    # The owner's own untouched assignment was withdrawn, and that is recorded.
    assert not Assignment.objects.filter(pk=own.pk).exists()
    assert assignment_audit("delete", [own.pk]).count() == 1


@pytest.mark.parametrize(
    ("table", "nth"),
    [
        ("work_assignment", 2),  # the second batch of the assignments' bulk insert
        ("core_auditentry", 1),  # the audit entries' bulk insert, after every assignment was inserted
    ],
)
def test_a_failure_midway_leaves_no_assignment(
    tree, users, companies, table, nth, django_capture_on_commit_callbacks
):
    task = new_task(users.owner, tree.district_a)
    own = task.assignments.get()
    task_before = Task.objects.filter(pk=task.pk).values().get()
    audit_before = AuditEntry.objects.count()
    seen = []

    def fail_on_nth_insert(execute, sql, params, many, context):
        if sql.startswith(f'INSERT INTO "{table}" '):
            seen.append(sql)
            if len(seen) == nth:
                raise DatabaseError("disk full")
        return execute(sql, params, many, context)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with connection.execute_wrapper(fail_on_nth_insert), pytest.raises(DatabaseError):
            services.task_cascade(actor=users.owner, task=task, kind=OrgUnit.Kind.COMPANY)

    assert len(seen) == nth  # the failure really happened midway, after earlier inserts succeeded
    assert list(Assignment.objects.filter(task=task)) == [own]
    assert AuditEntry.objects.count() == audit_before
    assert Task.objects.filter(pk=task.pk).values().get() == task_before
    assert callbacks == []  # nobody is notified of work that was never assigned


@pytest.fixture
def kinds(tree):
    """Below district A: two active communes, one inactive commune, a department with a commune below it;
    below district B (not below A): a commune."""
    a = tree.district_a
    dept = add_units(a, 1, kind=OrgUnit.Kind.DEPARTMENT, name="Phòng")[0]
    return {
        "active": [
            tree.commune_a1,
            *add_units(a, 1, kind="commune", name="Xã"),
            *add_units(dept, 1, kind="commune"),
        ],
        "inactive": add_units(a, 1, kind="commune", name="Xã cũ", is_active=False),
        "elsewhere": add_units(tree.district_b, 1, kind="commune", name="Xã Mai"),
        "dept": dept,
    }


def test_kind_cascade_picks_exactly_the_active_units_of_that_kind_below(tree, users, kinds):
    task = new_task(users.owner, tree.district_a)
    created = services.task_cascade(actor=users.owner, task=task, kind=OrgUnit.Kind.COMMUNE)
    expected = {u.pk for u in kinds["active"]}
    assert {a.unit_id for a in created} == expected
    assert set(Assignment.objects.filter(task=task).values_list("unit_id", flat=True)) == expected


def test_cascading_twice_does_not_duplicate(tree, users, kinds):
    task = new_task(users.owner, tree.district_a)
    first = services.task_cascade(actor=users.owner, task=task, units=[tree.commune_a1, kinds["dept"]])
    assert len(first) == 2
    audit_count = AuditEntry.objects.count()

    again = services.task_cascade(actor=users.owner, task=task, kind=OrgUnit.Kind.COMMUNE)

    assert {a.unit_id for a in again} == {u.pk for u in kinds["active"]} - {tree.commune_a1.pk}
    again_twice = services.task_cascade(actor=users.owner, task=task, kind=OrgUnit.Kind.COMMUNE)
    assert again_twice == []
    units = list(Assignment.objects.filter(task=task).values_list("unit_id", flat=True))
    assert len(units) == len(set(units)) == 4  # commune A1, the department, the two other communes
    assert AuditEntry.objects.count() == audit_count + len(again)


def test_the_owner_keeps_its_own_assignment_once_work_was_reported_on_it(tree, users):
    task = new_task(users.owner, tree.district_a)
    own = task.assignments.get()
    services.assignment_report(actor=users.owner, assignment=own, expected_version=own.version, percent=10)

    services.task_cascade(actor=users.owner, task=task, units=[tree.commune_a1])

    assert set(Assignment.objects.filter(task=task).values_list("unit_id", flat=True)) == {
        tree.district_a.pk,
        tree.commune_a1.pk,
    }


def test_cooperating_units_do_not_withdraw_the_owners_assignment(tree, users):
    task = new_task(users.owner, tree.district_a)
    own = task.assignments.get()

    created = services.task_cascade(
        actor=users.owner, task=task, units=[tree.commune_a1], role=Assignment.Role.COOPERATE, due_date=DUE
    )

    assert Assignment.objects.filter(pk=own.pk).exists()
    assert created[0].role == Assignment.Role.COOPERATE


def test_cascade_errors(tree, users, prov):
    task = new_task(users.owner, tree.district_a)
    with pytest.raises(PermissionDenied):
        services.task_cascade(actor=users.member, task=task, units=[tree.commune_a1])
    with pytest.raises(PermissionDenied):
        services.task_cascade(actor=users.outsider, task=task, units=[tree.commune_a1])
    # A unit the actor cannot see, no unit at all, only the task's own unit.
    with pytest.raises(ValidationError) as exc:
        services.task_cascade(actor=users.owner, task=task, units=[tree.district_b])
    assert "units" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.task_cascade(actor=users.owner, task=task, units=[])
    with pytest.raises(ValidationError):
        services.task_cascade(actor=users.owner, task=task, units=[tree.district_a])
    with pytest.raises(ValidationError):
        services.task_cascade(actor=users.owner, task=task, kind=OrgUnit.Kind.PROVINCE)
    # Cancelled work is not assigned any further.
    services.task_cancel(actor=users.owner, task=task, expected_version=task.version)
    task.refresh_from_db()
    with pytest.raises(ValidationError):
        services.task_cascade(actor=users.owner, task=task, units=[tree.commune_a1])
    assert not Assignment.objects.filter(task=task, unit=tree.commune_a1).exists()
