"""`services.tasks_create_many` (the XLSX import's new rows): the same rows and audit entries as `task_create`
for the same input, its checks, no query per row, and one notification per recipient."""

from __future__ import annotations

import datetime
import unicodedata

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from steerdesk.core.models import AuditEntry
from steerdesk.orgs.tests.factories import OrgUnitFactory
from steerdesk.work import notifications, services, workdays
from steerdesk.work.models import Assignment, Notification, Plan, Priority, Task, WorkPreference

from .work_fixtures import grant, link_person, make_user

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 2, 13)  # the Friday before Tết 2026


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    """Deadlines in working days without a start date count from "today": the same fixed day for both paths."""
    monkeypatch.setattr(services, "local_today", lambda: TODAY)


@pytest.fixture
def commune_a2(tree):
    return OrgUnitFactory(name="Xã Vũ Lâm", kind="commune", parent=tree.district_a)


@pytest.fixture
def plan(tree, users):
    return services.plan_create(
        actor=users.owner,
        unit=tree.district_a,
        data={"title": "Kế hoạch năm 2026", "period_kind": "year", "year": 2026},
    )


def english(*users):
    """Notification texts are asserted in English (the source strings)."""
    for user in users:
        user.language = "en"
        user.save(update_fields=["language"])
    return users


# Inputs covering the differences that matter: own work, lead + cooperating units (one repeated as lead, so
# dropped from the cooperating list), deadlines in working days from a start date, across Tết and an
# administrator's day swap, and from today; NFD text normalised; every task field.
def cases(tree, commune_a2) -> list[tuple[dict, list, list]]:
    return [
        ({"title": "Tổ chức hội nghị", "item_number": "1", "due_date": D(2026, 3, 31)}, [], []),
        (
            {
                "title": unicodedata.normalize("NFD", "Tuyên truyền Nghị quyết"),
                "item_number": "2.1",
                "description": "Dòng một\nDòng hai",
                "priority": Priority.HIGH,
                "start_date": D(2026, 2, 2),
                "due_date": D(2026, 6, 30),
                "result_required": "Báo cáo kết quả",
            },
            [tree.commune_a1],
            [commune_a2, tree.commune_a1],
        ),
        ({"title": "Gửi báo cáo", "start_date": D(2026, 2, 13), "due_working_days": 5}, [commune_a2], []),
        ({"title": "Theo ngày làm việc, từ hôm nay", "due_working_days": 3}, [], [tree.commune_a1]),
        ({"title": "Hai đơn vị chủ trì"}, [tree.commune_a1, commune_a2], []),
    ]


def task_values(task: Task) -> dict:
    skip = {"id", "created_at", "updated_at"}
    task.refresh_from_db()
    return {f.attname: getattr(task, f.attname) for f in Task._meta.concrete_fields if f.name not in skip}


def assignment_values(task: Task) -> list[dict]:
    skip = {"id", "task", "root_task", "created_at", "updated_at"}
    rows = []
    for a in Assignment.objects.filter(task=task).order_by("id"):
        assert a.root_task_id == task.pk
        rows.append(
            {f.attname: getattr(a, f.attname) for f in Assignment._meta.concrete_fields if f.name not in skip}
        )
    return rows


def audit_of(model, pks) -> list[tuple]:
    content_type = ContentType.objects.get_for_model(model)
    return [
        (e.action, e.object_repr, e.changes, e.unit_path, e.actor_id, e.request_id)
        for e in AuditEntry.objects.filter(
            content_type=content_type, object_id__in=[str(pk) for pk in pks]
        ).order_by("id")
    ]


def bulk_row(data, lead, cooperating) -> dict:
    return {"data": data, "lead_units": lead, "cooperating_units": cooperating}


# ---------------------------------------------------------------------------------------------------------
# The same rows as task_create


def test_it_writes_what_task_create_writes(plan, tree, users, commune_a2):
    workdays.workday_override_set(actor=users.superuser, date=D(2026, 2, 14), is_working_day=True)
    inputs = cases(tree, commune_a2)
    one_by_one = [
        services.task_create(
            actor=users.owner,
            unit=tree.district_a,
            plan=plan,
            data=dict(data),
            lead_units=lead or None,
            cooperating_units=cooperating,
        )
        for data, lead, cooperating in inputs
    ]
    bulk = services.tasks_create_many(
        actor=users.owner, plan=plan, rows=[bulk_row(dict(d), lead, coop) for d, lead, coop in inputs]
    )
    assert len(bulk) == len(inputs) and all(t.pk for t in bulk)
    for expected, got in zip(one_by_one, bulk, strict=True):
        assert task_values(got) == task_values(expected)
        assert assignment_values(got) == assignment_values(expected)
        assert audit_of(Task, [got.pk]) == audit_of(Task, [expected.pk])
        assert audit_of(
            Assignment, Assignment.objects.filter(task=got).order_by("id").values_list("pk", flat=True)
        ) == (
            audit_of(
                Assignment,
                Assignment.objects.filter(task=expected).order_by("id").values_list("pk", flat=True),
            )
        )
    # The cases really cover what they claim.
    counted, from_today = (Task.objects.get(pk=bulk[i].pk) for i in (2, 3))
    assert counted.due_date == D(2026, 2, 26)  # Sat 14/02 worked (override), Tết 16–20/02 off
    assert from_today.due_date == D(2026, 2, 24)
    assert bulk[1].title == "Tuyên truyền Nghị quyết"  # NFC
    roles = list(Assignment.objects.filter(task=bulk[1]).values_list("unit_id", "role"))
    assert roles == [(tree.commune_a1.pk, "lead"), (commune_a2.pk, "cooperate")]
    own = Assignment.objects.get(task=bulk[0])
    assert (own.unit_id, own.unit_path, own.task_unit_path) == (
        tree.district_a.pk,
        tree.district_a.path,
        tree.district_a.path,
    )
    first_audit = audit_of(Task, [bulk[0].pk])[0]
    assert first_audit[2]["plan"] == [None, "Kế hoạch năm 2026"]
    assert first_audit[2]["source_kind"] == [None, "plan_item"]


def test_it_runs_the_same_queries_for_5_or_25_rows(plan, tree, users, commune_a2):
    def run(n: int) -> int:
        rows = [
            bulk_row({"title": f"Việc {i}", "due_working_days": 2}, [tree.commune_a1], [commune_a2])
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as queries:
            services.tasks_create_many(actor=users.owner, plan=plan, rows=rows)
        return len(queries)

    run(1)  # warm the per-process caches (content types, working-day overrides)
    # 25 rows stay within one INSERT per table even under SQLite's 999 bound parameters per statement.
    assert run(5) == run(25)
    assert Task.objects.filter(plan=plan).count() == 31
    assert Assignment.objects.filter(task__plan=plan).count() == 62


# ---------------------------------------------------------------------------------------------------------
# Checks: nothing is written when one fails


def nothing_written() -> bool:
    return not Task.objects.exists() and not Assignment.objects.exists()


def test_only_the_plans_secretaries_create(plan, tree, users):
    rows = [bulk_row({"title": "Việc"}, [], [])]
    for user in (users.viewer, users.member, users.outsider):
        with pytest.raises(PermissionDenied):
            services.tasks_create_many(actor=user, plan=plan, rows=rows)
    assert nothing_written()
    assert len(services.tasks_create_many(actor=users.admin, plan=plan, rows=rows)) == 1


def test_a_closed_plan_takes_no_new_tasks_even_when_closed_meanwhile(plan, tree, users):
    stale = Plan.objects.get(pk=plan.pk)  # loaded before someone closes the plan
    services.plan_close(actor=users.owner, plan=plan, expected_version=plan.version)
    with pytest.raises(ValidationError) as info:
        services.tasks_create_many(actor=users.owner, plan=stale, rows=[bulk_row({"title": "Việc"}, [], [])])
    assert "plan" in info.value.message_dict
    assert nothing_written()


def test_rows_at_fault_are_named(plan, tree, users):
    inactive = OrgUnitFactory(name="Xã đã giải thể", kind="commune", parent=tree.district_a, is_active=False)
    rows = [
        bulk_row({"title": "Tốt"}, [tree.commune_a1], []),
        bulk_row({"title": "Ngoài phạm vi"}, [], [tree.district_b]),
        bulk_row({"title": "x" * 501}, [], []),
        bulk_row({"title": "Ngược", "start_date": D(2026, 5, 10), "due_date": D(2026, 5, 1)}, [], []),
        bulk_row({"title": "Giải thể"}, [inactive], []),
        bulk_row({"title": "Lạ", "owner": 1}, [], []),
    ]
    with pytest.raises(services.TaskRowsInvalid) as info:
        services.tasks_create_many(actor=users.owner, plan=plan, rows=rows)
    by_row = {
        i: e.message_dict if hasattr(e, "error_dict") else e.messages for i, e in info.value.by_row.items()
    }
    assert sorted(by_row) == [1, 2, 3, 4, 5]
    assert list(by_row[1]) == ["cooperating_units"] and list(by_row[4]) == ["lead_units"]
    assert list(by_row[2]) == ["title"] and list(by_row[3]) == ["due_date"]
    assert "owner" in by_row[5][0]
    assert len(info.value.messages) == 5  # a caller that ignores rows still has every message
    assert nothing_written()


def test_a_failure_after_the_inserts_rolls_them_back(plan, tree, users, monkeypatch):
    def failing(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_bulk_audit", failing)
    with pytest.raises(RuntimeError):
        services.tasks_create_many(
            actor=users.owner, plan=plan, rows=[bulk_row({"title": "Việc"}, [tree.commune_a1], [])]
        )
    assert nothing_written()


# ---------------------------------------------------------------------------------------------------------
# Notifications: one per recipient, after commit


def test_each_recipient_hears_once(plan, tree, users, commune_a2, django_capture_on_commit_callbacks):
    sec1 = make_user("sec_a1", tree.commune_a1, "secretary")
    sec2 = make_user("sec_a2", commune_a2, "secretary")
    muted = make_user("muted_a1", tree.commune_a1, "admin")
    WorkPreference.objects.create(user=muted, in_app=False)
    english(sec1, sec2, users.admin)
    rows = [
        bulk_row({"title": "Việc 1"}, [tree.commune_a1], []),
        bulk_row({"title": "Việc 2"}, [tree.commune_a1], [commune_a2]),
        bulk_row({"title": "Việc 3"}, [tree.commune_a1], []),
        bulk_row({"title": "Việc 4"}, [], []),
        bulk_row({"title": "Việc 5"}, [], []),
    ]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = services.tasks_create_many(actor=users.owner, plan=plan, rows=rows)
        assert Notification.objects.count() == 0  # nothing before the commit
    assert len(callbacks) == 1
    notes = {n.user_id: n for n in Notification.objects.all()}
    assert set(notes) == {sec1.pk, sec2.pk, users.admin.pk}  # not the actor, not the muted admin
    assert notes[sec1.pk].text == "Huyện Lạc Sơn assigned you 3 tasks of the plan Kế hoạch năm 2026"
    assert notes[sec1.pk].url == reverse("work:my_tasks")
    assert notes[users.admin.pk].text == "Huyện Lạc Sơn assigned you 2 tasks of the plan Kế hoạch năm 2026"
    share = Assignment.objects.get(task=created[1], unit=commune_a2)
    assert (notes[sec2.pk].text, notes[sec2.pk].url) == (
        "Huyện Lạc Sơn assigned you a task: Việc 2",
        share.get_absolute_url(),
    )
    assert {n.kind for n in notes.values()} == {Notification.Kind.ASSIGNED}


def test_a_rolled_back_creation_notifies_nobody(plan, tree, users, django_capture_on_commit_callbacks):
    make_user("sec_a1", tree.commune_a1, "secretary")
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            services.tasks_create_many(
                actor=users.owner, plan=plan, rows=[bulk_row({"title": "Việc"}, [tree.commune_a1], [])]
            )
            raise RuntimeError("the import failed later")
    assert not Notification.objects.exists() and nothing_written()


def test_the_summary_counts_tasks_and_includes_responsible_people(plan, tree, users, commune_a2):
    """Given any assignments (here with responsible people): a person named on two tasks hears once; a
    secretary of two units assigned to the same task counts it once."""
    english(users.member)
    person = link_person(users.member, tree.district_a)
    both = grant(make_user("sec_both", tree.commune_a1, "secretary"), commune_a2, "secretary")
    english(both)
    tasks = [
        services.task_create(
            actor=users.owner,
            unit=tree.district_a,
            plan=plan,
            data={"title": f"Việc {i}"},
            lead_units=[tree.commune_a1] if i == 0 else None,
            cooperating_units=[commune_a2] if i == 0 else (),
            responsible=[person] if i else (),
        )
        for i in range(3)
    ]
    ids = list(Assignment.objects.filter(task__in=tasks).values_list("pk", flat=True))
    assert notifications.notify_assigned_summary(assignment_ids=ids) == 3  # member, admin, sec_both
    texts = dict(Notification.objects.values_list("user_id", "text"))
    assert texts[users.member.pk] == "Huyện Lạc Sơn assigned you 2 tasks of the plan Kế hoạch năm 2026"
    assert texts[both.pk] == "Huyện Lạc Sơn assigned you a task: Việc 0"
    assert users.owner.pk not in texts
