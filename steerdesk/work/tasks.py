"""Background jobs of the work app (django-tasks, database backend: DESIGN §6).

`run_plan_import(job_id)` runs an `ImportJob`: it reads the stored XLSX file, checks every row while
committing its progress (`rows_done` / `rows_total`, which the import page polls), then applies everything in
one transaction through the work services (`xlsx_import.import_plan_tasks`). Any problem leaves the plan untouched and
the job FAILED with its row/column errors. The importing user is notified either way. The stored file is
deleted once the job has run.

Idempotent: only a QUEUED job is claimed (one UPDATE … WHERE status = queued), so a job enqueued or picked up
twice runs once. `xlsx.import_job_create` enqueues it with `transaction.on_commit`; `make worker` runs the
queue; tests use `django_tasks.backends.immediate.ImmediateBackend`.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from steerdesk.orgs.importing import ImportRejected, RowError

from .models import ImportJob, Notification

logger = logging.getLogger(__name__)

JobStatus = ImportJob.JobStatus


def _error_rows(errors: list[RowError]) -> list[dict]:
    from .xlsx import MAX_STORED_ERRORS

    rows = [{"row": e.row, "column": e.column, "message": str(e.message)} for e in errors[:MAX_STORED_ERRORS]]
    if len(errors) > MAX_STORED_ERRORS:
        rows.append(
            {
                "row": None,
                "column": "",
                "message": _("… and %(count)s more problems.") % {"count": len(errors) - MAX_STORED_ERRORS},
            }
        )
    return rows


def _progress(job_id: int):
    def report(done: int, total: int) -> None:
        # Autocommit: each update is its own short transaction, visible to the polling page at once.
        ImportJob.objects.filter(pk=job_id).update(
            rows_done=done, rows_total=total, updated_at=timezone.now()
        )

    return report


def _notify(job: ImportJob) -> None:
    from . import notifications

    values = {"plan": job.plan.title}
    if job.status == JobStatus.DONE:
        text = _(
            "Import into “%(plan)s” finished: %(created)s new, %(updated)s changed, %(unchanged)s unchanged."
        ) % {
            **values,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
        }
    else:
        text = _("Import into “%(plan)s” failed: nothing was changed.") % values
    url = reverse("work:import_status", args=[job.pk])
    notifications.notify(user_texts={job.created_by_id: [(Notification.Kind.IMPORT, text, url)]})


def _run(job: ImportJob) -> tuple[str, object, list[RowError]]:
    from . import xlsx, xlsx_import

    actor = job.created_by
    try:
        if actor is None or not actor.is_active:
            raise PermissionDenied
        with default_storage.open(job.storage_name, "rb") as handle:
            data = handle.read(xlsx.IMPORT_MAX_BYTES + 1)
        counts = xlsx_import.import_plan_tasks(
            actor=actor, plan=job.plan, data=data, progress=_progress(job.pk)
        )
    except ImportRejected as exc:
        return JobStatus.FAILED, None, exc.errors
    except PermissionDenied:
        return JobStatus.FAILED, None, [RowError(None, "", _("You may no longer change this plan."))]
    except OSError:
        logger.exception("Import job %s: the stored file cannot be read", job.pk)
        return (
            JobStatus.FAILED,
            None,
            [RowError(None, "", _("The uploaded file is missing: upload it again."))],
        )
    except Exception:  # a bug must not kill the worker nor leave the job running forever
        logger.exception("Import job %s failed", job.pk)
        return (
            JobStatus.FAILED,
            None,
            [RowError(None, "", _("The import failed unexpectedly: nothing was changed."))],
        )
    return JobStatus.DONE, counts, []


@task()
def run_plan_import(job_id: int) -> str:
    """Run one import job; returns its final status ("missing" when the row is gone)."""
    claimed = ImportJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        return ImportJob.objects.filter(pk=job_id).values_list("status", flat=True).first() or "missing"
    job = ImportJob.objects.select_related("plan", "plan__unit", "created_by").get(pk=job_id)
    language = getattr(job.created_by, "language", "") or "vi"
    with translation.override(language):
        status, counts, errors = _run(job)
        job.refresh_from_db(fields=["rows_total", "rows_done"])
        job.status = status
        job.errors = _error_rows(errors)
        job.finished_at = timezone.now()
        if counts is not None:
            job.created_count = counts.created
            job.updated_count = counts.updated
            job.unchanged_count = counts.unchanged
            job.rows_done = job.rows_total
        job.save(
            update_fields=[
                "status",
                "errors",
                "finished_at",
                "created_count",
                "updated_count",
                "unchanged_count",
                "rows_done",
                "updated_at",
            ]
        )
        try:
            default_storage.delete(job.storage_name)
        except OSError:
            logger.warning("Import job %s: could not delete the stored file", job.pk)
        if job.created_by_id:
            _notify(job)
    return status
