"""The plan import as a background job: upload → ImportJob → django-tasks job → progress → result or errors;
the pages (permissions, htmx polling) and a 5,000-row import through the job path."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from steerdesk.accounts.models import RoleGrant
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


def _bulk_tasks(plan, units, n: int) -> list[Task]:
    """`n` plan items made directly in the database (the services would take minutes on a busy test machine):
    the same rows `task_create` writes, each with one lead assignment."""
    unit = plan.unit
    Task.objects.bulk_create(
        [
            Task(
                unit=unit,
                unit_path=unit.path,
                plan=plan,
                item_number=str(i + 1),
                title=f"Nhiệm vụ số {i + 1} của kế hoạch",
                due_date=datetime.date(2026, 12, 31),
                source_kind=Task.SourceKind.PLAN_ITEM,
            )
            for i in range(n)
        ],
        batch_size=500,
    )
    created = list(Task.objects.filter(plan=plan).exclude(item_number__in=["1", "2"]).order_by("id"))
    created += list(
        Task.objects.filter(plan=plan, title__startswith="Nhiệm vụ số ", item_number__in=["1", "2"])
    )
    Assignment.objects.bulk_create(
        [
            Assignment(
                task=t,
                root_task=t,
                unit=units[i % len(units)],
                unit_path=units[i % len(units)].path,
                task_unit_path=unit.path,
                due_date=t.due_date,
            )
            for i, t in enumerate(created)
        ],
        batch_size=500,
    )
    return created


def test_a_5000_row_file_runs_through_the_job(plan, users, tree, django_capture_on_commit_callbacks):
    """The acceptance size through the job path: 5,000 exported tasks checked row by row (with progress), the
    few edited or new rows applied, the rest left untouched. A 5,000-row import of *new* tasks takes minutes
    here (one `task_create` per row) and is measured outside the suite."""
    _bulk_tasks(plan, [tree.district_a, tree.commune_a1], 4993)
    data = xlsx.export_plan(user=users.owner, plan=plan)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["Nhiệm vụ"]
    assert ws.max_row == 4996  # the header and 4,995 tasks; with 5 new rows the file has 5,000 rows
    edited = [ws.cell(r, COL["code"]).value for r in range(2, 4997, 500)]
    for r in range(2, 4997, 500):
        ws.cell(r, COL["title"]).value = f"{ws.cell(r, COL['title']).value} (đã sửa)"
    for i in range(5):
        ws.append(
            {COL["title"]: f"Nhiệm vụ bổ sung {i}", COL["lead_units"]: f"Xã Vũ Bình [{tree.commune_a1.pk}]"}
        )
    versions = dict(Task.objects.values_list("pk", "version"))
    with django_capture_on_commit_callbacks(execute=True):
        job = xlsx.import_job_create(actor=users.owner, plan=plan, uploaded_file=upload(save(wb)))
    job.refresh_from_db()
    assert job.errors == []
    assert (job.status, job.rows_total, job.rows_done) == ("done", 5000, 5000)
    assert (job.created_count, job.updated_count, job.unchanged_count) == (5, 10, 4985)
    after = dict(Task.objects.values_list("pk", "version"))
    assert {pk for pk in versions if after[pk] != versions[pk]} == set(edited)
    assert Task.objects.filter(plan=plan).count() == 5000
    assert Task.objects.filter(title__endswith="(đã sửa)").count() == 10


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
