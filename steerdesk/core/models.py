"""Shared model pieces: the base model, the path field, the unit-scope manager and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .scope import ScopedManager, ScopedQuerySet  # noqa: F401  (re-exported for apps)


class CollationCField(models.CharField):
    """A CharField compared byte by byte: collation "C" on PostgreSQL, SQLite's default BINARY elsewhere.

    Used for materialised paths (range queries on an index) and sort keys (plain byte order).
    """

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class PathField(CollationCField):
    """A copy of a unit's materialised path; every such column is rewritten when a unit moves."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 255)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)


class BaseModel(models.Model):
    """Timestamps, who created/updated, and `version` for optimistic locking (DESIGN §5)."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class ScopedModel(BaseModel):
    """A row that belongs to a unit: carries `unit_path`, a copy of its unit's path, for subtree queries.

    Subclasses may declare:
    - `scope_addressed`: names of reverse relations to rows that carry an addressee's `unit_path`
      (a document's recipients, a task's assignees); the row is visible to those addressees too.
    - `scope_extra_path_fields`: other path columns of the row itself whose subtree also sees it (an
      assignment is seen by its assignee unit and by the unit that assigned the task).
    - `scope_restricted_q(user)`: a classmethod returning a Q of rows to hide from this user.
    """

    unit_path = PathField(_("unit path"))

    objects = ScopedManager()

    scope_path_field = "unit_path"
    scope_addressed: tuple[str, ...] = ()
    scope_extra_path_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """One create/update/delete done through a service: who, when, which fields from → to (Lịch sử)."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("updated")
        DELETE = "delete", _("deleted")

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("object"), max_length=300)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    unit_path = PathField(_("unit path"), blank=True, default="")
    request_id = models.CharField(max_length=64, blank=True, default="")

    objects = ScopedManager()
    scope_path_field = "unit_path"
    scope_addressed: tuple[str, ...] = ()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"], name="core_audit_object_idx")]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"
