"""The assignee's page: progress reports (plain and htmx, 409 on a stale version), evidence files (size limit
while streaming, scoped download), splitting further down, and the bulk status change."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from steerdesk.orgs.tests.factories import OrgUnitFactory
from steerdesk.work.models import Assignment, Evidence, ProgressReport, Status, Task

from .view_fixtures import *  # noqa: F403
from .view_fixtures import assert_login_redirect

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def url(name, *args):
    return reverse(f"work:{name}", args=args)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


def report(client, assignment, *, version=None, htmx=False, **data):
    payload = {"version": assignment.version if version is None else version, "percent": 50} | data
    return client.post(url("assignment_report", assignment.pk), payload, headers=HTMX if htmx else {})


# ---------------------------------------------------------------------------------------------------------
# Permissions


def test_anonymous_users_are_sent_to_login(client, work):
    a = work.assignment
    for path in (url("assignment_detail", a.pk), url("assignment_split", a.pk), url("evidence_download", 1)):
        assert_login_redirect(client.get(path))
    for path in (
        url("assignment_report", a.pk),
        url("assignment_split", a.pk),
        url("assignment_bulk_status"),
    ):
        assert_login_redirect(client.post(path))


def test_a_sibling_district_gets_404_and_changes_nothing(client_for, users, work):
    client = client_for(users.outsider)
    a = work.assignment
    assert client.get(url("assignment_detail", a.pk)).status_code == 404
    assert client.get(url("assignment_split", a.pk)).status_code == 404
    assert report(client, a, percent=90).status_code == 404
    assert client.post(url("assignment_split", a.pk), {"title": "x", "kind": "commune"}).status_code == 404
    bulk = client.post(url("assignment_bulk_status"), {"ids": [a.pk], "status": "in_progress"})
    assert bulk.status_code == 404
    a.refresh_from_db()
    assert (a.percent, a.status) == (0, Status.NOT_STARTED)


def test_a_viewer_reads_the_page_without_the_form_and_gets_403_on_writes(client_for, users, work):
    client = client_for(users.viewer)
    a = work.assignment
    body = client.get(url("assignment_detail", a.pk)).content.decode()
    assert "Xã Vũ Bình" in body and url("assignment_report", a.pk) not in body
    assert report(client, a).status_code == 403
    assert report(client, a, htmx=True).status_code == 403
    assert client.get(url("assignment_split", a.pk)).status_code == 403
    assert client.post(url("assignment_split", a.pk), {"title": "x", "kind": "commune"}).status_code == 403
    assert (
        client.post(url("assignment_bulk_status"), {"ids": [a.pk], "status": "in_progress"}).status_code
        == 403
    )
    assert not ProgressReport.objects.exists()


# ---------------------------------------------------------------------------------------------------------
# Progress reports


def test_the_assignee_page_shows_status_due_date_and_the_report_form(client_for, users, work):
    body = client_for(users.owner).get(url("assignment_detail", work.assignment.pk)).content.decode()
    assert "Tổ chức hội nghị quán triệt" in body and "15/04/2026" in body
    assert 'hx-post="' + url("assignment_report", work.assignment.pk) in body
    assert 'name="version" value="1"' in body and 'enctype="multipart/form-data"' in body
    assert 'style="' not in body


def test_a_plain_report_redirects_and_the_history_shows_it(client_for, users, work):
    client = client_for(users.owner)
    response = report(client, work.assignment, percent=40, comment="Đã xây dựng dự thảo kế hoạch")
    assert response.status_code == 302 and response["Location"] == work.assignment.get_absolute_url()
    work.assignment.refresh_from_db()
    assert (work.assignment.percent, work.assignment.status) == (40, Status.IN_PROGRESS)
    body = client.get(work.assignment.get_absolute_url()).content.decode()
    assert "Đã xây dựng dự thảo kế hoạch" in body and "40%" in body


def test_an_htmx_report_answers_with_the_refreshed_panel(client_for, users, work):
    response = report(
        client_for(users.owner), work.assignment, htmx=True, percent=60, comment="Đang triển khai"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith('<div id="assignment-live"') and "<html" not in body
    assert "60%" in body and "Đang triển khai" in body and 'name="version" value="2"' in body


def test_a_stale_htmx_report_is_a_409_with_the_current_state_and_overwrites_nothing(client_for, users, work):
    first, second = client_for(users.owner), client_for(users.owner)
    assert (
        report(first, work.assignment, htmx=True, percent=70, comment="Báo cáo thứ nhất").status_code == 200
    )
    response = report(second, work.assignment, version=1, htmx=True, percent=20, comment="Báo cáo thứ hai")
    body = response.content.decode()
    assert response.status_code == 409
    assert body.startswith('<div id="assignment-live"') and "form-errors" in body and 'class="notice"' in body
    assert "70%" in body  # the panel shows what the other person reported
    assert "Báo cáo thứ hai" in body  # their own text is kept in the form...
    assert 'name="version" value="2"' in body  # ...on the current version, to send again on purpose
    work.assignment.refresh_from_db()
    assert work.assignment.percent == 70 and ProgressReport.objects.count() == 1
    again = report(second, work.assignment, version=2, htmx=True, percent=20, comment="Báo cáo thứ hai")
    assert again.status_code == 200 and ProgressReport.objects.count() == 2


def test_a_stale_plain_report_reshows_the_page_with_the_conflict(client_for, users, work):
    client = client_for(users.owner)
    report(client, work.assignment, percent=70)
    response = report(client, work.assignment, version=1, percent=20)
    assert response.status_code == 400 and "form-errors" in response.content.decode()
    assert "<html" in response.content.decode()


def test_done_needs_a_result_then_closes_the_assignment(client_for, users, work):
    client = client_for(users.owner)
    response = report(client, work.assignment, htmx=True, percent=100)
    assert response.status_code == 400 and 'class="error"' in response.content.decode()
    work.assignment.refresh_from_db()
    assert work.assignment.status == Status.NOT_STARTED
    response = report(client, work.assignment, percent=100, result="Đã tổ chức hội nghị cho 120 đảng viên")
    work.assignment.refresh_from_db()
    assert response.status_code == 302 and work.assignment.status == Status.DONE
    body = client.get(work.assignment.get_absolute_url()).content.decode()
    assert "Đã tổ chức hội nghị cho 120 đảng viên" in body
    assert url("assignment_report", work.assignment.pk) not in body  # closed: no more reports


# ---------------------------------------------------------------------------------------------------------
# Evidence files


def test_evidence_is_uploaded_with_a_report_and_downloaded_within_scope_only(client_for, users, work):
    client = client_for(users.owner)
    upload = SimpleUploadedFile("Biên bản hội nghị.pdf", PDF, content_type="application/pdf")
    response = report(client, work.assignment, percent=30, files=[upload])
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.report is not None and evidence.original_name == "Biên bản hội nghị.pdf"
    body = client.get(work.assignment.get_absolute_url()).content.decode()
    assert url("evidence_download", evidence.pk) in body and "Biên bản hội nghị.pdf" in body

    download = client.get(url("evidence_download", evidence.pk))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "filename*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n" in download["Content-Disposition"]
    assert client_for(users.viewer).get(url("evidence_download", evidence.pk)).status_code == 200
    assert client_for(users.outsider).get(url("evidence_download", evidence.pk)).status_code == 404


def test_an_upload_over_the_limit_is_a_413_and_stores_nothing(client_for, users, work, settings):
    settings.STEERDESK_UPLOAD_MAX_MB = 0.01  # about 10 KB
    big = SimpleUploadedFile("lon.pdf", PDF + b"0" * 20_000, content_type="application/pdf")
    response = report(client_for(users.owner), work.assignment, htmx=True, percent=30, files=[big])
    assert response.status_code == 413
    assert not Evidence.objects.exists() and not ProgressReport.objects.exists()


def test_a_file_of_the_wrong_type_is_refused_with_the_report(client_for, users, work):
    bad = SimpleUploadedFile("script.pdf", b"#!/bin/sh\necho hi\n", content_type="application/pdf")
    response = report(client_for(users.owner), work.assignment, percent=30, files=[bad])
    assert response.status_code == 400
    assert not Evidence.objects.exists() and not ProgressReport.objects.exists()


# ---------------------------------------------------------------------------------------------------------
# Split further down, bulk status


def test_the_assignee_splits_its_assignment_to_the_units_below(client_for, users, tree, work):
    village = OrgUnitFactory(name="Thôn Đồng Bài", kind="other", parent=tree.commune_a1)
    client = client_for(users.owner)
    page = client.get(url("assignment_split", work.assignment.pk)).content.decode()
    assert "Thôn Đồng Bài" in page
    response = client.post(
        url("assignment_split", work.assignment.pk),
        {"title": "Tổ chức sinh hoạt chi bộ thôn", "units": [village.pk]},
    )
    child = Task.objects.get(parent_assignment=work.assignment)
    assert response.status_code == 302 and response["Location"] == child.get_absolute_url()
    assert child.root_task == work.task and child.unit == tree.commune_a1
    assert list(child.assignments.values_list("unit", flat=True)) == [village.pk]
    assert "Tổ chức sinh hoạt chi bộ thôn" in client.get(work.assignment.get_absolute_url()).content.decode()


def test_bulk_status_changes_the_chosen_work_and_goes_back_to_a_local_page(client_for, users, tree, work):
    from .view_fixtures import make_task

    other = make_task(users.owner, tree.district_a, lead=[tree.commune_a1], title="Việc thứ hai")
    ids = [work.assignment.pk, other.assignments.get().pk]
    client = client_for(users.owner)
    back = url("unit_tasks") + "?direction=by"
    response = client.post(url("assignment_bulk_status"), {"ids": ids, "status": "in_progress", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert set(Assignment.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Status.IN_PROGRESS}
    # Done without a result: refused, nothing changes; the page says why.
    response = client.post(
        url("assignment_bulk_status"), {"ids": ids, "status": "done", "next": "https://example.com/"}
    )
    assert response["Location"] == url("unit_tasks")  # never another site
    assert set(Assignment.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Status.IN_PROGRESS}
    response = client.post(
        url("assignment_bulk_status"), {"ids": ids, "status": "done", "result": "Hoàn thành"}
    )
    assert set(Assignment.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Status.DONE}
