"""The audit log: services record every create/update/delete with who, when and which fields from → to."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext

from .middleware import current_request_id
from .models import AuditEntry, PathField

# Derived or internal columns: not what a user changed.
AUDIT_EXCLUDE = {
    "id",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "version",
    "unit_path",
    "path",
    "name_sort_key",
    "search_tokens",
    "number_key",
    "storage_name",
    "sha256",
    "password",
    "last_login",
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


def audited_fields(instance: models.Model) -> list[str]:
    return [
        f.name
        for f in instance._meta.concrete_fields
        if f.name not in AUDIT_EXCLUDE
        and not getattr(f, "audit_exclude", False)
        and not isinstance(f, PathField)  # copies of unit paths: derived, not what a user changed
    ]


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """Plain values of the audited fields (foreign keys as their text)."""
    out = {}
    for name in fields or audited_fields(instance):
        field = instance._meta.get_field(name)
        if field.is_relation:
            value = getattr(instance, name)
            out[name] = None if value is None else str(value)
        else:
            out[name] = _plain(getattr(instance, field.attname))
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for every field whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def audit_record(
    *,
    actor,
    instance: models.Model,
    action: str,
    changes: dict[str, Any] | None = None,
    unit_path: str | None = None,
) -> AuditEntry:
    """Write one audit entry. Call inside the service's transaction so the entry and the change land together."""
    if unit_path is None:
        unit_path = getattr(instance, getattr(instance, "scope_path_field", "unit_path"), "") or ""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=str(instance.pk),
        object_repr=str(instance)[:300],
        changes=changes or {},
        unit_path=unit_path,
        request_id=current_request_id() or "",
    )


def labelled_changes(model: type[models.Model], changes: dict[str, Any]) -> list[dict[str, Any]]:
    """`[{field, old, new}]` with the field's verbose name and choice labels resolved on `model`."""
    out = []
    for name, values in changes.items():
        try:
            field = model._meta.get_field(name)
        except Exception:  # a field that no longer exists (or a pseudo-field such as grant_role): raw name
            field = None
        if field is not None and hasattr(field, "verbose_name"):
            label = str(field.verbose_name)
        elif field is not None and field.is_relation:  # a reverse relation: the related rows' plural name
            label = str(field.related_model._meta.verbose_name_plural)
        else:
            label = name
        choices = dict(field.flatchoices) if field is not None and getattr(field, "choices", None) else {}
        old, new = (list(values) + [None, None])[:2] if isinstance(values, list) else (None, values)
        if isinstance(field, models.DateTimeField):
            old, new = _display_datetime(old), _display_datetime(new)
        elif isinstance(field, models.DateField):
            old, new = _display_date(old), _display_date(new)
        elif isinstance(field, models.BooleanField):
            old, new = (None if v is None else (gettext("Yes") if v else gettext("No")) for v in (old, new))
        out.append({"field": label, "old": choices.get(old, old), "new": choices.get(new, new)})
    return out


def _display_datetime(value: Any) -> Any:
    """An ISO timestamp as dd/mm/yyyy HH:MM in the local time zone; anything else unchanged."""
    if isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%d/%m/%Y %H:%M")
    return value


def _display_date(value: Any) -> Any:
    """An ISO date string as dd/mm/yyyy (VIETNAMESE.md §3); anything else unchanged."""
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value


def audit_history_of(
    groups: list[tuple[type[models.Model], list[Any]]], *, limit: int = 100
) -> list[dict[str, Any]]:
    """Audit entries of several objects, newest first, in one query: `groups` is `[(Model, [pk, …]), …]`.

    Each row is `{"entry", "changes"}` with labels resolved on the entry's own model.
    """
    types = ContentType.objects.get_for_models(*[model for model, _ids in groups], for_concrete_models=True)
    q = models.Q(pk__in=[])
    by_type = {}
    for model, ids in groups:
        content_type = types[model]
        by_type[content_type.id] = model
        q |= models.Q(content_type=content_type, object_id__in=[str(i) for i in ids])
    entries = AuditEntry.objects.filter(q).select_related("actor").order_by("-at", "-id")[:limit]
    return [
        {"entry": entry, "changes": labelled_changes(by_type[entry.content_type_id], entry.changes or {})}
        for entry in entries
    ]


def audit_history(*, instance: models.Model, limit: int = 100) -> list[dict[str, Any]]:
    """The audit entries of one object, newest first, with field and choice labels resolved."""
    return audit_history_of([(type(instance), [instance.pk])], limit=limit)
