"""The plan import as a background job: upload → ImportJob → django-tasks job → progress → result or errors;
the pages (permissions, htmx polling) and a 5,000-row import through the job path."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from steerdesk.accounts.models import RoleGrant
from steerdesk.accounts.tests.factories import UserFactory
from steerdesk.core.models import AuditEntry
from steerdesk.work import services, tasks, xlsx, xlsx_import
from steerdesk.work.models import Assignment, ImportJob, Notification, Task

pytestmark = pytest.mark.django_db

COL = {c.key: i for i, c in enumerate(xlsx.COLUMNS, start=1)}


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path):
    """Jobs run at once (ImmediateBackend); files in a private MEDIA_ROOT, so "nothing stored" can be checked."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def plan(tree, users):
    plan = services.plan_create(
        actor=users.owner,
        unit=tree.district_a,
        data={"title": "Kế hoạch năm 2026", "period_kind": "year", "year": 2026},
    )
    for i in (1, 2):
        services.task_create(
            actor=users.owner,
            unit=tree.district_a,
            plan=plan,
            data={"title": f"Nhiệm vụ {i}", "item_number": str(i)},
        )
    return plan


def save(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "kế hoạch.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


def new_rows(data: bytes, titles: list[str | None]) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for title in titles:
        wb["Nhiệm vụ"].append({COL["title"]: title})
    return save(wb)


def make_job(plan, user, **fields) -> ImportJob:
    """A job row as `import_job_create` leaves it (the file itself is not needed by the pages)."""
    return ImportJob.objects.create(
        plan=plan,
        unit_path=plan.unit_path,
        original_name="a.xlsx",
        storage_name=f"imports/{ImportJob.objects.count()}",
        created_by=user,
        **fields,
    )


def import_url(plan) -> str:
    return reverse("work:plan_import", args=[plan.pk])


# ---------------------------------------------------------------------------------------------------------
# The job


def test_an_upload_runs_the_job_and_reports_the_counts(
    plan, users, client_for, immediate_tasks, django_capture_on_commit_callbacks
):
    client = client_for(users.owner)
    data = new_rows(client.get(reverse("work:plan_export", args=[plan.pk])).content, ["Việc mới"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(import_url(plan), {"file": upload(data)})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "work:import_status", args=[job.pk]
    )
    assert (job.status, job.original_name, job.created_by) == (
        ImportJob.JobStatus.DONE,
        "kế hoạch.xlsx",
        users.owner,
    )
    assert (job.rows_total, job.rows_done) == (3, 3)
    assert (job.created_count, job.updated_count, job.unchanged_count) == (1, 0, 2)
    assert job.unit_path == plan.unit_path and job.errors == []
    assert Task.objects.filter(plan=plan, title="Việc mới").exists()
    assert stored_files(immediate_tasks) == []  # the upload is deleted once the job ran
    note = Notification.objects.get(user=users.owner, kind=Notification.Kind.IMPORT)
    assert note.url == reverse("work:import_status", args=[job.pk])
    assert "Kế hoạch năm 2026" in note.text
    page = client.get(reverse("work:import_status", args=[job.pk]))
    assert page.status_code == 200
    assert "hx-get" not in page.content.decode()  # finished: no more polling


def test_a_failed_job_keeps_the_errors_and_writes_nothing(plan, users, django_capture_on_commit_callbacks):
    data = new_rows(xlsx.export_plan(user=users.owner, plan=plan), ["Tốt", None, "Cũng tốt"])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb["Nhiệm vụ"].cell(5, COL["item_number"]).value = "3"  # row 5: an item without a task
    before = Task.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        job = xlsx.import_job_create(actor=users.owner, plan=plan, uploaded_file=upload(save(wb)))
    job.refresh_from_db()
    assert job.status == ImportJob.JobStatus.FAILED
    assert [(e["row"], e["column"]) for e in job.errors] == [(5, "Nội dung nhiệm vụ")]
    assert job.errors[0]["message"]
    assert (job.created_count, job.updated_count) == (0, 0)
    assert Task.objects.count() == before
    assert Notification.objects.filter(user=users.owner, kind=Notification.Kind.IMPORT).count() == 1


def test_progress_is_committed_while_rows_are_checked(
    plan, users, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(xlsx_import, "PROGRESS_EVERY", 2)
    seen = []
    real = tasks._progress

    def spy(job_id):
        report = real(job_id)

        def wrapped(done, total):
            report(done, total)
            seen.append(
                ImportJob.objects.filter(pk=job_id).values_list("status", "rows_done", "rows_total").get()
            )

        return wrapped

    monkeypatch.setattr(tasks, "_progress", spy)
    data = new_rows(xlsx.export_plan(user=users.owner, plan=plan), [f"Mới {i}" for i in range(5)])
    with django_capture_on_commit_callbacks(execute=True):
        job = xlsx.import_job_create(actor=users.owner, plan=plan, uploaded_file=upload(data))
    assert seen == [
        ("running", 0, 7),
        ("running", 2, 7),
        ("running", 4, 7),
        ("running", 6, 7),
        ("running", 7, 7),
    ]
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total, job.created_count) == ("done", 7, 7, 5)


def test_a_job_runs_once(plan, users, django_capture_on_commit_callbacks):
    data = new_rows(xlsx.export_plan(user=users.owner, plan=plan), ["Một lần"])
    with django_capture_on_commit_callbacks(execute=True):
        job = xlsx.import_job_create(actor=users.owner, plan=plan, uploaded_file=upload(data))
    assert tasks.run_plan_import.call(job.pk) == "done"
    assert Task.objects.filter(title="Một lần").count() == 1
    assert tasks.run_plan_import.call(10**9) == "missing"


def test_a_job_whose_user_lost_the_role_fails(plan, users):
    data = new_rows(xlsx.export_plan(user=users.owner, plan=plan), ["Không được"])
    job = xlsx.import_job_create(actor=users.owner, plan=plan, uploaded_file=upload(data))  # queued, not run
    RoleGrant.objects.filter(user=users.owner).update(role="viewer")
    assert tasks.run_plan_import.call(job.pk) == "failed"
    job.refresh_from_db()
    assert len(job.errors) == 1 and job.errors[0]["row"] is None
    assert not Task.objects.filter(title="Không được").exists()


def test_a_5000_row_file_of_new_tasks_runs_through_the_job(
    plan, users, tree, django_capture_on_commit_callbacks
):
    """The acceptance size through the job path, all new tasks: checked row by row with progress, then written
    in bulk in one transaction (units, working days and audit as `task_create` writes them), and each
    recipient notified once."""
    commune_secretary = UserFactory(username="sec_a1", language="en")
    RoleGrant.objects.create(
        user=commune_secretary, unit=tree.commune_a1, unit_path=tree.commune_a1.path, role="secretary"
    )
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(xlsx.HEADER)
    commune = f"Xã Vũ Bình [{tree.commune_a1.pk}]"
    for i in range(5000):
        row = {COL["item_number"]: str(i + 1), COL["title"]: f"Việc nhập {i}"}
        if i % 2:
            row[COL["lead_units"]] = commune
        elif i % 4 == 0:
            row[COL["cooperating_units"]] = commune
        if i % 5 == 0:
            row[COL["start_date"]], row[COL["due_working_days"]] = "13/02/2026", 5
        else:
            row[COL["due_date"]] = "31/12/2026"
        ws.append(row)
    with django_capture_on_commit_callbacks(execute=True):
        job = xlsx.import_job_create(actor=users.owner, plan=plan, uploaded_file=upload(save(wb)))
    job.refresh_from_db()
    assert job.errors == []
    assert (job.status, job.rows_total, job.rows_done) == ("done", 5000, 5000)
    assert (job.created_count, job.updated_count, job.unchanged_count) == (5000, 0, 0)
    assert Task.objects.filter(plan=plan).count() == 5002
    shares = Assignment.objects.filter(task__plan=plan, task__title__startswith="Việc nhập ")
    assert shares.filter(role="lead", unit=tree.commune_a1).count() == 2500
    assert shares.filter(role="lead", unit=tree.district_a).count() == 2500
    assert shares.filter(role="cooperate", unit=tree.commune_a1).count() == 1250
    assert Task.objects.get(title="Việc nhập 0").due_date == datetime.date(2026, 2, 27)  # Tết skipped
    assert Task.objects.get(title="Việc nhập 1").due_date == datetime.date(2026, 12, 31)
    assert (
        AuditEntry.objects.filter(
            action="create",
            content_type__in=ContentType.objects.get_for_models(Task, Assignment).values(),
            actor=users.owner,
        ).count()
        == 2 + 2 + 5000 + 6250  # the fixture's tasks and assignments, then the import's
    )
    notes = Notification.objects.filter(kind=Notification.Kind.ASSIGNED)
    assert sorted(notes.values_list("user__username", flat=True)) == ["admin", "sec_a1"]
    assert notes.get(user=commune_secretary).text == (
        "Huyện Lạc Sơn assigned you 3750 tasks of the plan Kế hoạch năm 2026"
    )
    assert not notes.filter(user=users.owner).exists()


def test_a_5000_row_file_with_one_bad_row_writes_nothing(
    plan, users, tree, django_capture_on_commit_callbacks
):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(xlsx.HEADER)
    lead = f"Xã Vũ Bình [{tree.commune_a1.pk}]"
    for i in range(5000):
        ws.append(
            {
                COL["title"]: f"Nhiệm vụ {i}",
                COL["lead_units"]: lead if i % 2 else "",
                COL["due_date"]: "31/12/2026",
            }
        )
    ws.cell(4000, COL["due_date"]).value = "32/12/2026"
    with django_capture_on_commit_callbacks(execute=True):
        job = xlsx.import_job_create(actor=users.owner, plan=plan, uploaded_file=upload(save(wb)))
    job.refresh_from_db()
    assert (job.status, job.rows_total, job.rows_done) == ("failed", 5000, 5000)
    assert [(e["row"], e["column"]) for e in job.errors] == [(4000, "Hạn hoàn thành")]
    assert Task.objects.filter(plan=plan).count() == 2


# ---------------------------------------------------------------------------------------------------------
# Pages


def test_the_status_partial_polls_while_the_job_runs(plan, users, client_for):
    job = make_job(plan, users.owner, status=ImportJob.JobStatus.RUNNING, rows_total=200, rows_done=50)
    url = reverse("work:import_status", args=[job.pk])
    response = client_for(users.owner).get(url, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert f'hx-get="{url}"' in body and 'value="25"' in body
    job.status, job.rows_done = ImportJob.JobStatus.FAILED, 200
    job.errors = [{"row": 7, "column": "Hạn hoàn thành", "message": "Ngày sai"}]
    job.save()
    body = client_for(users.owner).get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-get" not in body and "Ngày sai" in body and "Hạn hoàn thành" in body


@pytest.mark.parametrize("status", [ImportJob.JobStatus.RUNNING, ImportJob.JobStatus.QUEUED])
def test_a_job_without_progress_for_minutes_is_shown_stopped(plan, users, client_for, status):
    """Its worker died (or none runs): the page stops polling, says so and offers a new import; the row is
    left alone, so a worker that was only slow still records its outcome."""
    job = make_job(plan, users.owner, status=status, rows_total=200, rows_done=50)
    url = reverse("work:import_status", args=[job.pk])
    client = client_for(users.owner)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - xlsx.STALLED_AFTER / 2)
    body = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert f'hx-get="{url}"' in body and "import-stalled" not in body
    assert "import-stalled" not in client.get(import_url(plan)).content.decode()
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - xlsx.STALLED_AFTER * 1.1)
    body = client.get(url).content.decode()
    assert "hx-get" not in body and 'id="import-stalled"' in body
    assert f'href="{import_url(plan)}"' in body
    job.refresh_from_db()
    assert job.status == status
    assert f'id="import-stalled-{job.pk}"' in client.get(import_url(plan)).content.decode()


def test_a_file_that_is_not_xlsx_is_refused_and_not_stored(plan, users, client_for, immediate_tasks):
    response = client_for(users.owner).post(import_url(plan), {"file": upload(b"%PDF-1.7 ...", "a.xlsx")})
    assert response.status_code == 400
    assert ImportJob.objects.count() == 0 and stored_files(immediate_tasks) == []


def test_a_file_over_the_limit_is_refused(plan, users, client_for, settings, immediate_tasks):
    settings.STEERDESK_UPLOAD_MAX_MB = 0.01
    response = client_for(users.owner).post(import_url(plan), {"file": upload(b"PK\x03\x04" + b"0" * 20000)})
    assert response.status_code == 413
    assert ImportJob.objects.count() == 0 and stored_files(immediate_tasks) == []


def test_the_upload_page_shows_the_form(plan, users, client_for):
    response = client_for(users.owner).get(import_url(plan))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'type="file"' in body and reverse("work:plan_export", args=[plan.pk]) in body


@pytest.mark.parametrize("name", ["plan_export", "plan_import", "import_status", "unit_tasks_export"])
def test_anonymous_users_are_sent_to_log_in(client, plan, users, name):
    job = make_job(plan, users.owner)
    args = [] if name == "unit_tasks_export" else [job.pk if name == "import_status" else plan.pk]
    response = client.get(reverse(f"work:{name}", args=args))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_other_units_get_404(plan, users, client_for):
    job = make_job(plan, users.owner)
    client = client_for(users.outsider)
    assert client.get(reverse("work:plan_export", args=[plan.pk])).status_code == 404
    assert client.get(import_url(plan)).status_code == 404
    assert client.post(import_url(plan), {"file": upload(b"PK\x03\x04")}).status_code == 404
    assert client.get(reverse("work:import_status", args=[job.pk])).status_code == 404
    assert ImportJob.objects.count() == 1


def test_read_only_roles_export_but_get_403_on_import(plan, users, client_for):
    job = make_job(plan, users.owner)
    for user in (users.viewer, users.member):
        client = client_for(user)
        assert client.get(reverse("work:plan_export", args=[plan.pk])).status_code == 200
        assert client.get(import_url(plan)).status_code == 403
        assert (
            client.post(
                import_url(plan), {"file": upload(xlsx.export_plan(user=users.owner, plan=plan))}
            ).status_code
            == 403
        )
        assert client.get(reverse("work:import_status", args=[job.pk])).status_code == 403
    assert ImportJob.objects.count() == 1
