"""Concurrent progress reports never overwrite each other (optimistic locking, DESIGN §5).

Two reporters who loaded the same version: the first saves, the second gets ConflictError and nothing of theirs is
written. Then for real: threads on their own database connections (a file database on SQLite, where IMMEDIATE
transactions serialise writers; row locks on PostgreSQL) report on one assignment with the same version, and
exactly one succeeds."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from django.db import connection, connections, transaction

from steerdesk.core.locking import ConflictError
from steerdesk.core.models import AuditEntry
from steerdesk.work import services
from steerdesk.work.models import Assignment, ProgressReport, Status, Task

from .work_fixtures import make_user


def assignment_updates(assignment) -> int:
    return AuditEntry.objects.filter(
        content_type__model="assignment", object_id=str(assignment.pk), action="update"
    ).count()


@pytest.mark.django_db
def test_the_second_of_two_reporters_gets_a_conflict_and_writes_nothing(tree, users):
    task = services.task_create(actor=users.owner, unit=tree.district_a, data={"title": "Báo cáo sơ kết"})
    first = Assignment.objects.get(task=task)
    second = Assignment.objects.get(task=task)  # the second reporter loaded the same version
    version = first.version

    services.assignment_report(
        actor=users.owner, assignment=first, expected_version=version, percent=60, comment="Đã xong phần 1"
    )
    with pytest.raises(ConflictError) as exc:
        services.assignment_report(
            actor=users.admin,
            assignment=second,
            expected_version=version,
            percent=100,
            result="Hoàn thành",
            comment="Xong",
        )

    assert exc.value.current_version == version + 1
    stored = Assignment.objects.get(pk=first.pk)
    assert (stored.version, stored.percent, stored.status, stored.result) == (
        version + 1,
        60,
        Status.IN_PROGRESS,
        "",
    )
    assert list(ProgressReport.objects.filter(assignment=stored).values_list("created_by", "percent")) == [
        (users.owner.pk, 60)
    ]
    assert assignment_updates(stored) == 1
    assert Task.objects.values_list("status", "percent").get(pk=task.pk) == (Status.IN_PROGRESS, 60)

    # Reloaded, the second reporter can report on top of the first.
    services.assignment_report(
        actor=users.admin,
        assignment=stored,
        expected_version=stored.version,
        percent=100,
        result="Hoàn thành",
    )
    assert Assignment.objects.values_list("status", "version").get(pk=stored.pk) == (Status.DONE, version + 2)


@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_with_the_same_version_let_exactly_one_through():
    from steerdesk.orgs.tests.factories import OrgUnitFactory

    with transaction.atomic():  # OrgUnitFactory locks the parent row: PostgreSQL needs a transaction
        province = OrgUnitFactory(name="Tỉnh Hòa Bình", kind="province")
        district = OrgUnitFactory(name="Huyện Lạc Sơn", kind="district", parent=province)
    reporters = [make_user(f"reporter{i}", district, "secretary") for i in range(8)]
    task = services.task_create(actor=reporters[0], unit=district, data={"title": "Báo cáo đột xuất"})
    assignment = Assignment.objects.get(task=task)
    version = assignment.version

    barrier = threading.Barrier(len(reporters))
    outcome = SimpleNamespace(ok=[], conflicts=[], errors=[])

    def report(i: int, user) -> None:
        try:
            mine = Assignment.objects.select_related("task").get(pk=assignment.pk)
            barrier.wait(timeout=60)
            services.assignment_report(
                actor=user, assignment=mine, expected_version=version, percent=10 + i, comment=f"Lần {i}"
            )
            outcome.ok.append(i)
        except ConflictError:
            outcome.conflicts.append(i)
        except BaseException as exc:  # reported below: a thread's other errors must fail the test
            outcome.errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=report, args=(i, u)) for i, u in enumerate(reporters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert not outcome.errors, outcome.errors[:3]
    assert len(outcome.ok) == 1, (connection.vendor, outcome)
    assert len(outcome.conflicts) == len(reporters) - 1
    winner = outcome.ok[0]
    stored = Assignment.objects.get(pk=assignment.pk)
    assert (stored.version, stored.percent) == (version + 1, 10 + winner)
    assert list(ProgressReport.objects.filter(assignment=stored).values_list("percent", "comment")) == [
        (10 + winner, f"Lần {winner}")
    ]
    assert assignment_updates(stored) == 1
