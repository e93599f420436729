"""Optimistic locking and the generic create/update steps every service uses (DESIGN §5)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record, diff, snapshot


class ConflictError(Exception):
    """Someone else saved the object since the user loaded it: nothing was written."""

    def __init__(self, *, current_version: int | None, message: str | None = None):
        self.current_version = current_version
        self.message = message or _(
            "Someone else changed this record while you were editing it. "
            "Nothing was saved: reload to see their changes, then make yours again."
        )
        super().__init__(self.message)


def instance_create(*, actor, instance: models.Model) -> models.Model:
    """Save a new object with created_by/updated_by set and record a "create" audit entry with all values."""
    if getattr(actor, "pk", None):
        instance.created_by = actor
        instance.updated_by = actor
    instance.full_clean()
    instance.save()
    audit_record(
        actor=actor,
        instance=instance,
        action="create",
        changes={k: [None, v] for k, v in snapshot(instance).items() if v not in (None, "")},
    )
    return instance


def instance_update(
    *, actor, instance: models.Model, expected_version: int | None, data: dict[str, Any]
) -> dict[str, list[Any]]:
    """Apply `data` to `instance` if its version is still `expected_version`; return the changes.

    One `UPDATE … WHERE version = expected` does the check and the write, so two concurrent editors can never
    both succeed. A stale version raises ConflictError and writes nothing. Records an "update" audit entry.
    Call inside `transaction.atomic`.
    """
    model = type(instance)
    if expected_version is None:
        expected_version = instance.version
    before = snapshot(instance, list(data))
    for name, value in data.items():
        setattr(instance, name, value)
    instance.full_clean()
    after = snapshot(instance, list(data))
    changes = diff(before, after)
    values = {
        model._meta.get_field(name).attname: getattr(instance, model._meta.get_field(name).attname)
        for name in data
    }
    now = timezone.now()
    updated = model._base_manager.filter(pk=instance.pk, version=expected_version).update(
        **values,
        version=F("version") + 1,
        updated_at=now,
        updated_by=actor if getattr(actor, "pk", None) else None,
    )
    if updated == 0:
        current = model._base_manager.filter(pk=instance.pk).values_list("version", flat=True).first()
        raise ConflictError(current_version=current)
    instance.version = expected_version + 1
    instance.updated_at = now
    if changes:
        audit_record(actor=actor, instance=instance, action="update", changes=changes)
    return changes
