"""Writes on the unit tree, committees, people and memberships. Every entry point (views, API, CLI, import)
calls these; each checks permissions, validates, writes in a transaction and records the audit entry."""

from __future__ import annotations

import datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from steerdesk.core.audit import audit_record
from steerdesk.core.locking import ConflictError, instance_create, instance_update
from steerdesk.core.models import PathField
from steerdesk.core.scope import Role, has_role, subtree_q
from steerdesk.core.text import name_sort_key, nfc, nfc_keep_lines, split_name

from .models import PATH_ALPHABET, PATH_STEP, Committee, Membership, OrgUnit, Person

# ---------------------------------------------------------------------------------------------------------
# Permissions


def require_role(actor, path: str, role: str) -> None:
    """Raise PermissionDenied unless `actor` holds at least `role` over the unit at `path`."""
    if not has_role(actor, path, role):
        raise PermissionDenied(_("You do not have permission to change this."))


def _clean_text(data: dict[str, Any], multiline: tuple[str, ...] = ()) -> dict[str, Any]:
    """NFC-normalise every string value at the service boundary (VIETNAMESE.md §1)."""
    out = {}
    for key, value in data.items():
        if isinstance(value, str):
            out[key] = nfc_keep_lines(value) if key in multiline else nfc(value)
        else:
            out[key] = value
    return out


# ---------------------------------------------------------------------------------------------------------
# Units


def _encode_segment(n: int) -> str:
    if n < 0 or n >= len(PATH_ALPHABET) ** PATH_STEP:
        raise ValidationError(_("Too many units under one parent."))
    digits = []
    for _i in range(PATH_STEP):
        n, r = divmod(n, len(PATH_ALPHABET))
        digits.append(PATH_ALPHABET[r])
    return "".join(reversed(digits))


def _decode_segment(segment: str) -> int:
    n = 0
    for ch in segment:
        n = n * len(PATH_ALPHABET) + PATH_ALPHABET.index(ch)
    return n


def _next_child_path(parent: OrgUnit | None) -> str:
    """The path for a new last child of `parent` (or a new root). Call inside a transaction."""
    if parent is None:
        siblings = OrgUnit.objects.filter(parent__isnull=True)
        prefix = ""
    else:
        # Lock the parent so two concurrent creations under it cannot pick the same segment (PostgreSQL);
        # SQLite's IMMEDIATE transactions already serialise writers.
        OrgUnit.objects.select_for_update().filter(pk=parent.pk).first()
        siblings = OrgUnit.objects.filter(parent=parent)
        prefix = parent.path
    last = siblings.aggregate(m=Max("path"))["m"]
    n = 0 if last is None else _decode_segment(last[len(prefix) : len(prefix) + PATH_STEP]) + 1
    return prefix + _encode_segment(n)


UNIT_FIELDS = ("name", "short_name", "code", "kind")


def unit_create(
    *, actor, parent: OrgUnit | None, name: str, kind: str, short_name: str = "", code: str = ""
) -> OrgUnit:
    """Create a unit under `parent` (a root needs a superuser). Requires admin over the parent."""
    if parent is None:
        if not getattr(actor, "is_superuser", False):
            raise PermissionDenied(_("Only a superuser can create a top-level unit."))
    else:
        require_role(actor, parent.path, Role.ADMIN)
        if not parent.is_active:
            raise ValidationError({"parent": _("The parent unit is inactive.")})
    data = _clean_text({"name": name, "short_name": short_name, "code": code, "kind": kind})
    with transaction.atomic():
        path = _next_child_path(parent)
        unit = OrgUnit(parent=parent, path=path, depth=len(path) // PATH_STEP - 1, **data)
        return instance_create(actor=actor, instance=unit)


def unit_update(*, actor, unit: OrgUnit, expected_version: int | None, **fields) -> OrgUnit:
    """Rename or recode a unit (name, short name, code, kind). Requires admin over the unit."""
    require_role(actor, unit.path, Role.ADMIN)
    unknown = set(fields) - set(UNIT_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        instance_update(
            actor=actor, instance=unit, expected_version=expected_version, data=_clean_text(fields)
        )
    return unit


def _path_columns():
    """Every (model, field name) that stores a copy of a unit path: all PathFields of all installed models."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, PathField):
                yield model, field.name


def unit_move(*, actor, unit: OrgUnit, new_parent: OrgUnit, expected_version: int | None = None) -> OrgUnit:
    """Move a unit (and its subtree) under `new_parent`.

    Rewrites, in one transaction, the paths of the subtree and every column that copies them (every
    `PathField` of every model), so scoped rows follow their unit. Requires admin over the unit and over the
    new parent; refuses to move a unit into its own subtree or a root.
    """
    require_role(actor, unit.path, Role.ADMIN)
    require_role(actor, new_parent.path, Role.ADMIN)
    if unit.parent_id is None:
        raise ValidationError(_("A top-level unit cannot be moved."))
    if new_parent.path.startswith(unit.path):
        raise ValidationError({"parent": _("A unit cannot be moved into its own subtree.")})
    if new_parent.pk == unit.parent_id:
        return unit
    with transaction.atomic():
        current = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        if expected_version is not None and current.version != expected_version:
            raise ConflictError(current_version=current.version)
        old_path = current.path
        old_parent = str(current.parent)
        new_path = _next_child_path(new_parent)
        depth_shift = (len(new_path) - len(old_path)) // PATH_STEP
        for model, field in _path_columns():
            model._base_manager.filter(subtree_q(field, [old_path])).update(
                **{field: Concat(Value(new_path), Substr(field, len(old_path) + 1), output_field=PathField())}
            )
        OrgUnit.objects.filter(subtree_q("path", [new_path])).update(depth=F("depth") + depth_shift)
        OrgUnit.objects.filter(pk=unit.pk).update(
            parent=new_parent, version=F("version") + 1, updated_by=actor
        )
        unit.refresh_from_db()
        audit_record(
            actor=actor, instance=unit, action="update", changes={"parent": [old_parent, str(new_parent)]}
        )
    return unit


def unit_deactivate(*, actor, unit: OrgUnit, expected_version: int | None = None) -> OrgUnit:
    """Mark a unit inactive (never deleted: its history stays). Refuses while it has active child units."""
    require_role(actor, unit.path, Role.ADMIN)
    if OrgUnit.objects.filter(parent=unit, is_active=True).exists():
        raise ValidationError(_("Deactivate or move the child units first."))
    with transaction.atomic():
        instance_update(
            actor=actor, instance=unit, expected_version=expected_version, data={"is_active": False}
        )
    return unit


# ---------------------------------------------------------------------------------------------------------
# Committees

COMMITTEE_FIELDS = (
    "name",
    "short_name",
    "code",
    "description",
    "established_by_ref",
    "established_on",
    "is_active",
)


def committee_create(*, actor, unit: OrgUnit, name: str, **fields) -> Committee:
    """Create a committee in `unit`. Requires secretary over the unit."""
    require_role(actor, unit.path, Role.SECRETARY)
    unknown = set(fields) - set(COMMITTEE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    data = _clean_text({"name": name, **fields}, multiline=("description",))
    with transaction.atomic():
        return instance_create(actor=actor, instance=Committee(unit=unit, unit_path=unit.path, **data))


def committee_update(*, actor, committee: Committee, expected_version: int | None, **fields) -> Committee:
    require_role(actor, committee.unit_path, Role.SECRETARY)
    unknown = set(fields) - set(COMMITTEE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        instance_update(
            actor=actor,
            instance=committee,
            expected_version=expected_version,
            data=_clean_text(fields, multiline=("description",)),
        )
    return committee


# ---------------------------------------------------------------------------------------------------------
# People

PERSON_FIELDS = (
    "full_name",
    "family_name",
    "middle_name",
    "given_name",
    "title",
    "email",
    "phone",
    "is_active",
)


def _person_name_fields(data: dict[str, Any], current: Person | None = None) -> dict[str, Any]:
    """Derive name parts from the full name unless the caller gave them; recompute the sort key."""
    full_name = data.get("full_name", current.full_name if current else "")
    if not full_name:
        raise ValidationError({"full_name": _("The full name is required.")})
    explicit = {k: data[k] for k in ("family_name", "middle_name", "given_name") if data.get(k)}
    if "full_name" in data and not explicit:
        parts = split_name(full_name)
        data.update(family_name=parts.family, middle_name=parts.middle, given_name=parts.given)
    given = data.get("given_name", current.given_name if current else "")
    middle = data.get("middle_name", current.middle_name if current else "")
    family = data.get("family_name", current.family_name if current else "")
    if not given:
        raise ValidationError({"given_name": _("The given name is required.")})
    data["name_sort_key"] = name_sort_key(given=given, middle=middle, family=family)
    return data


def person_create(*, actor, home_unit: OrgUnit, full_name: str, **fields) -> Person:
    """Create a person in `home_unit`. Name parts default to the Vietnamese split of the full name."""
    require_role(actor, home_unit.path, Role.SECRETARY)
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    data = _person_name_fields(_clean_text({"full_name": full_name, **fields}))
    with transaction.atomic():
        return instance_create(
            actor=actor, instance=Person(home_unit=home_unit, unit_path=home_unit.path, **data)
        )


def person_update(*, actor, person: Person, expected_version: int | None, **fields) -> Person:
    require_role(actor, person.unit_path, Role.SECRETARY)
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    data = _person_name_fields(_clean_text(fields), current=person)
    with transaction.atomic():
        instance_update(actor=actor, instance=person, expected_version=expected_version, data=data)
    return person


# ---------------------------------------------------------------------------------------------------------
# Memberships


def _integrity_to_validation(exc: IntegrityError) -> ValidationError:
    # PostgreSQL names the constraint; SQLite names its columns: only the committee for the head rule,
    # committee + person + role for the "same position twice" rule.
    text = str(exc)
    if "one_current_head" in text or text.rstrip().endswith("orgs_membership.committee_id"):
        return ValidationError({"role": _("This committee already has a current head.")})
    if "membership_current_unique" in text or "orgs_membership.person_id" in text:
        return ValidationError({"role": _("This person already holds this position in the committee.")})
    return ValidationError(_("The change conflicts with existing data."))


def membership_appoint(
    *,
    actor,
    committee: Committee,
    person: Person,
    role: str,
    start_date: datetime.date | None = None,
    decision_ref: str = "",
    duty: str = "",
) -> Membership:
    """Appoint `person` to `committee` in a position or group. Requires secretary over the committee's unit.

    Only one current head per committee: a second one is refused (also by a DB constraint).
    """
    require_role(actor, committee.unit_path, Role.SECRETARY)
    if not committee.is_active:
        raise ValidationError(_("The committee is inactive."))
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Unknown position or group.")})
    if not Person.objects.for_user(actor).filter(pk=person.pk).exists():
        raise ValidationError({"person": _("This person is not in your units.")})
    membership = Membership(
        committee=committee,
        person=person,
        unit_path=committee.unit_path,
        role=role,
        start_date=start_date or timezone.localdate(),
        **_clean_text({"decision_ref": decision_ref, "duty": duty}),
    )
    try:
        with transaction.atomic():
            return instance_create(actor=actor, instance=membership)
    except IntegrityError as exc:
        raise _integrity_to_validation(exc) from exc


def membership_end(
    *,
    actor,
    membership: Membership,
    end_date: datetime.date | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> Membership:
    """End a current membership (the row stays: history is never deleted)."""
    require_role(actor, membership.unit_path, Role.SECRETARY)
    if membership.end_date is not None:
        raise ValidationError(_("This membership has already ended."))
    end_date = end_date or timezone.localdate()
    if end_date < membership.start_date:
        raise ValidationError({"end_date": _("The end date cannot be before the start date.")})
    with transaction.atomic():
        instance_update(
            actor=actor,
            instance=membership,
            expected_version=expected_version,
            data={"end_date": end_date, "end_reason": nfc(reason)},
        )
    return membership


def membership_replace(
    *,
    actor,
    membership: Membership,
    new_person: Person,
    date: datetime.date | None = None,
    decision_ref: str = "",
    reason: str = "",
    expected_version: int | None = None,
) -> Membership:
    """Replace the holder of a membership: end it and appoint `new_person` to the same role, same decision,
    in one transaction. Returns the new membership."""
    date = date or timezone.localdate()
    decision_ref = decision_ref or membership.decision_ref
    with transaction.atomic():
        membership_end(
            actor=actor,
            membership=membership,
            end_date=date,
            reason=reason or _("Replaced by %(name)s") % {"name": new_person.full_name},
            expected_version=expected_version,
        )
        return membership_appoint(
            actor=actor,
            committee=membership.committee,
            person=new_person,
            role=membership.role,
            start_date=date,
            decision_ref=decision_ref,
            duty=membership.duty,
        )
