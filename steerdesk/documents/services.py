"""Writes on registers, document types, documents (outgoing and incoming), routing and references.

Every entry point (pages, API, the import command, demo data) calls these. Each checks permissions with
`has_role`, validates, writes inside `transaction.atomic()` and records the audit entry. Rules come from
Decree 30/2020/NĐ-CP (State documents) and Guidance 36-HD/VPTW (Party documents), see VIETNAMESE.md §4.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from steerdesk.core.audit import audit_record
from steerdesk.core.locking import instance_create, instance_update
from steerdesk.core.scope import Role, has_role, role_at, scope_paths, user_grants
from steerdesk.core.text import nfc, nfc_keep_lines
from steerdesk.orgs.models import OrgUnit
from steerdesk.work.workdays import add_working_days

from . import numbering, search
from .models import Document, DocumentType, NumberCounter, Recipient, Reference, Register, Routing

# ---------------------------------------------------------------------------------------------------------
# Helpers


def require_role(actor, path: str, role: str, message: str | None = None) -> None:
    """PermissionDenied unless `actor` holds at least `role` over the unit at `path`."""
    if not has_role(actor, path, role):
        raise PermissionDenied(message or _("You do not have permission to change this."))


def _require_superuser(actor) -> None:
    if not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("Only a superuser can change document types."))


def _clean(data: dict[str, Any], multiline: Iterable[str] = ()) -> dict[str, Any]:
    """NFC-normalise every string at the service boundary (VIETNAMESE.md §1)."""
    multiline = set(multiline)
    return {
        key: (nfc_keep_lines(value) if key in multiline else nfc(value)) if isinstance(value, str) else value
        for key, value in data.items()
    }


def _unknown(fields: dict, allowed: Iterable[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})


def _index(document: Document) -> None:
    """Refresh the document's search tokens (`search.index_document`), inside the caller's transaction."""
    search.index_document(document)


def _today() -> datetime.date:
    return timezone.localdate()


# ---------------------------------------------------------------------------------------------------------
# Document types


def document_types_ensure() -> int:
    """Insert the standard document types (`numbering.seed_document_types()`) that are missing, by name.

    Existing rows are left as admins edited them. Idempotent; returns how many rows were added. Called by the
    demo data and by the register pages when the table is empty (no data migration: types are plain data)."""
    existing = set(DocumentType.objects.values_list("name", flat=True))
    rows = [DocumentType(**row) for row in numbering.seed_document_types() if row["name"] not in existing]
    if rows:
        with transaction.atomic():
            DocumentType.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


TYPE_FIELDS = ("name", "state_code", "party_code", "is_normative", "is_active")


def _check_type_codes(data: dict) -> None:
    for field in ("state_code", "party_code"):
        code = data.get(field)
        if code:
            try:
                numbering._code(code, "code")
            except ValueError:
                raise ValidationError({field: _("Letters, digits and hyphens only.")}) from None


def document_type_create(
    *, actor, name: str, state_code: str = "", party_code: str = "", **fields
) -> DocumentType:
    """A new document type (superusers: types are shared by every unit)."""
    _require_superuser(actor)
    _unknown(fields, TYPE_FIELDS)
    data = _clean({"name": name, "state_code": state_code, "party_code": party_code, **fields})
    _check_type_codes(data)
    with transaction.atomic():
        return instance_create(actor=actor, instance=DocumentType(**data))


def document_type_update(
    *, actor, doc_type: DocumentType, expected_version: int | None, **fields
) -> DocumentType:
    """Edit a document type's name, codes, normative flag or active flag (superusers)."""
    _require_superuser(actor)
    _unknown(fields, TYPE_FIELDS)
    data = _clean(fields)
    _check_type_codes(data)
    with transaction.atomic():
        instance_update(actor=actor, instance=doc_type, expected_version=expected_version, data=data)
    return doc_type


# ---------------------------------------------------------------------------------------------------------
# Registers

REGISTER_FIELDS = (
    "name",
    "committee",
    "system",
    "period",
    "series",
    "issuer_code",
    "term_start",
    "is_active",
)


def _check_register(data: dict, unit: OrgUnit) -> None:
    committee = data.get("committee")
    if committee is not None and committee.unit_id != unit.pk:
        raise ValidationError({"committee": _("The committee must belong to the register's unit.")})
    if data.get("period") == Register.Period.TERM and not data.get("term_start"):
        raise ValidationError({"term_start": _("A per-term register needs the term's start date.")})
    if data.get("issuer_code"):
        try:
            numbering._code(data["issuer_code"], "issuer code")
        except ValueError:
            raise ValidationError(
                {"issuer_code": _("Letters, digits and hyphens only, e.g. UBND or BCĐ.")}
            ) from None


def register_create(
    *,
    actor,
    unit: OrgUnit,
    name: str,
    direction: str,
    system: str = Register.System.STATE,
    period: str | None = None,
    series: str = Register.Series.SINGLE,
    issuer_code: str = "",
    term_start: datetime.date | None = None,
    committee=None,
    is_active: bool = True,
) -> Register:
    """A register of `unit` (admins of the unit). Party registers number per term by default, State per year."""
    require_role(actor, unit.path, Role.ADMIN, _("Only an administrator of the unit can create registers."))
    if period is None:
        period = Register.Period.TERM if system == Register.System.PARTY else Register.Period.YEAR
    data = _clean(
        {
            "name": name,
            "direction": direction,
            "system": system,
            "period": period,
            "series": series,
            "issuer_code": issuer_code or unit.code,
            "term_start": term_start,
            "committee": committee,
            "is_active": is_active,
        }
    )
    _check_register(data, unit)
    with transaction.atomic():
        return instance_create(actor=actor, instance=Register(unit=unit, unit_path=unit.path, **data))


def register_update(*, actor, register: Register, expected_version: int | None, **fields) -> Register:
    """Edit a register's name and numbering policy (admins). The direction never changes."""
    require_role(
        actor, register.unit_path, Role.ADMIN, _("Only an administrator of the unit can edit registers.")
    )
    _unknown(fields, REGISTER_FIELDS)
    data = _clean(fields)
    merged = {f: getattr(register, f) for f in REGISTER_FIELDS} | data
    _check_register(merged, register.unit)
    with transaction.atomic():
        instance_update(actor=actor, instance=register, expected_version=expected_version, data=data)
    return register


def _default_incoming_register(unit: OrgUnit) -> Register:
    """The unit's first active incoming register; created ("Sổ văn bản đến") when it has none."""
    register = (
        Register.objects.filter(unit=unit, direction=Register.Direction.INCOMING, is_active=True)
        .order_by("id")
        .first()
    )
    if register is None:
        register = Register(
            unit=unit,
            unit_path=unit.path,
            name=_("Incoming documents"),
            direction=Register.Direction.INCOMING,
            issuer_code=unit.code,
        )
        instance_create(actor=None, instance=register)
    return register


# ---------------------------------------------------------------------------------------------------------
# Numbering


def _next_number(register: Register, period_key: str, series_key: str) -> int:
    """Increment and return the counter of (register, period, series). Call inside `transaction.atomic()`.

    The counter row is created if missing (in a savepoint: a concurrent creator makes ours fail with
    IntegrityError, which is harmless), then locked with SELECT … FOR UPDATE (PostgreSQL; SQLite's IMMEDIATE
    transactions already serialise writers). If anything later in the caller's transaction fails, the
    increment rolls back with it: a number is never skipped nor handed out twice."""
    lookup = {"register": register, "period_key": period_key, "series_key": series_key}
    if not NumberCounter.objects.filter(**lookup).exists():
        try:
            with transaction.atomic():
                NumberCounter.objects.get_or_create(**lookup)
        except IntegrityError:
            pass
    counter = NumberCounter.objects.select_for_update().get(**lookup)
    NumberCounter.objects.filter(pk=counter.pk).update(last_number=F("last_number") + 1)
    return counter.last_number + 1


def series_key_for(register: Register, doc_type: DocumentType, *, secret: bool) -> str:
    """`*` for one series, the type code for one series per type; State secret documents keep their own series
    (`secret`, `secret:<code>`, Decree 30/2020 Art. 15), Party secret documents continue the normal series
    (Guidance 36-HD/VPTW)."""
    if register.series == Register.Series.PER_TYPE:
        key = doc_type.code_for(register.system) or f"#{doc_type.pk}"
    else:
        key = "*"
    if secret and register.system == Register.System.STATE:
        key = "secret" if key == "*" else f"secret:{key}"
    return key


def format_number(register: Register, doc_type: DocumentType, number: int, on: datetime.date) -> str:
    """The number text of an outgoing document of `register` (ValidationError when a code is missing)."""
    issuer = register.issuer_code or register.unit.code
    if not issuer:
        raise ValidationError(_("The register has no issuer code: set one (e.g. UBND, BCĐ) before issuing."))
    code = doc_type.code_for(register.system)
    try:
        if register.system == Register.System.PARTY:
            if not code:
                raise ValidationError(
                    _("The type “%(type)s” has no Party code: choose another type or add the code.")
                    % {"type": doc_type.name}
                )
            return numbering.format_party_number(number, code, issuer)
        year = on.year if doc_type.is_normative else None
        return numbering.format_state_number(number, code or None, issuer, year=year)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def _period_key(register: Register, on: datetime.date) -> str:
    try:
        return numbering.period_key(register.period, on, register.term_start)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


# ---------------------------------------------------------------------------------------------------------
# Outgoing documents

DRAFT_FIELDS = (
    "doc_type",
    "summary",
    "body_text",
    "signer_name",
    "signer_title",
    "signing_authority",
    "signing_date",
    "place",
    "urgency",
    "confidentiality",
    "secret_level",
    "external_recipients",
    "issuer_name",
)
INCOMING_FIELDS = (
    "doc_type",
    "number_text",
    "summary",
    "body_text",
    "issuer_name",
    "signer_name",
    "signer_title",
    "signing_date",
    "incoming_date",
    "urgency",
    "confidentiality",
    "secret_level",
)
MULTILINE = ("body_text", "external_recipients")


def allowed_recipient_units(user):
    """Units a user may send documents to: those in their scope and the ancestors of their scope roots (a
    district reports to its province); never a sibling subtree's units."""
    visible = OrgUnit.objects.for_user(user).filter(is_active=True)
    if user.is_superuser:
        return visible
    ancestors = {p[:i] for p in scope_paths(user) for i in range(4, len(p), 4)}
    return OrgUnit.objects.filter(is_active=True).filter(
        pk__in=visible.values("pk")
    ) | OrgUnit.objects.filter(is_active=True, path__in=ancestors)


def _check_document(data: dict, *, has_attachments: bool = False) -> None:
    if data.get("confidentiality") == Document.Confidentiality.SECRET:
        if data.get("body_text"):
            raise ValidationError(
                {
                    "body_text": _(
                        "A secret document is registered by its metadata only: leave the text empty."
                    )
                }
            )
        if has_attachments:
            raise ValidationError(
                {
                    "confidentiality": _(
                        "This document has attached files: a secret document is registered by its metadata only."
                    )
                }
            )
        if not data.get("secret_level"):
            data["secret_level"] = Document.SecretLevel.MAT
    elif "confidentiality" in data:
        data["secret_level"] = ""
    doc_type = data.get("doc_type")
    if doc_type is not None and not doc_type.is_active:
        raise ValidationError({"doc_type": _("This document type is no longer in use.")})


def _set_recipients(actor, document: Document, units) -> None:
    allowed = set(allowed_recipient_units(actor).values_list("pk", flat=True))
    wanted = {u.pk: u for u in units}
    bad = [u.name for pk, u in wanted.items() if pk not in allowed]
    if bad:
        raise ValidationError(
            {"recipients": _("You cannot send documents to: %(units)s") % {"units": ", ".join(bad)}}
        )
    if document.unit_id in wanted:
        raise ValidationError({"recipients": _("A document is not sent to its own unit.")})
    current = set(document.recipients.values_list("unit_id", flat=True))
    document.recipients.exclude(unit_id__in=wanted).delete()
    Recipient.objects.bulk_create(
        [
            Recipient(document=document, unit=u, unit_path=u.path)
            for pk, u in wanted.items()
            if pk not in current
        ]
    )
    if current != set(wanted):
        names = dict(OrgUnit.objects.filter(pk__in=current | set(wanted)).values_list("pk", "name"))
        # Plain text on both sides: the history shows it as "old → new".
        audit_record(
            actor=actor,
            instance=document,
            action="update",
            changes={
                "recipients": [
                    ", ".join(sorted(names[pk] for pk in current)) or None,
                    ", ".join(sorted(names[pk] for pk in wanted)) or None,
                ]
            },
        )


def _set_restricted(document: Document, users) -> None:
    if users is not None:
        document.restricted_to.set(users)


def document_create_draft(
    *,
    actor,
    register: Register,
    doc_type: DocumentType,
    summary: str,
    recipients=(),
    restricted_to=None,
    **fields,
) -> Document:
    """A draft outgoing document in `register` (secretaries of the register's unit). No number yet: it is
    assigned at issue. Secret documents carry no body text."""
    require_role(actor, register.unit_path, Role.SECRETARY)
    if register.direction != Register.Direction.OUTGOING:
        raise ValidationError({"register": _("Drafts are written in an outgoing register.")})
    if not register.is_active:
        raise ValidationError({"register": _("This register is closed.")})
    _unknown(fields, DRAFT_FIELDS)
    data = _clean({"doc_type": doc_type, "summary": summary, **fields}, MULTILINE)
    _check_document(data)
    data.setdefault("issuer_name", register.unit.name)
    with transaction.atomic():
        document = Document(
            unit=register.unit,
            unit_path=register.unit_path,
            register=register,
            direction=Document.Direction.OUTGOING,
            status=Document.Status.DRAFT,
            **data,
        )
        instance_create(actor=actor, instance=document)
        _set_recipients(actor, document, recipients)
        _set_restricted(document, restricted_to)
        _index(document)
    return document


def document_update(
    *,
    actor,
    document: Document,
    expected_version: int | None,
    recipients=None,
    restricted_to=None,
    **fields,
) -> Document:
    """Edit a document (secretaries of its unit), version-checked. The number of an issued document never
    changes; recipients change only while the document is not issued; an incoming entry's own number (their
    number as written) may be corrected."""
    require_role(actor, document.unit_path, Role.SECRETARY)
    allowed = INCOMING_FIELDS if document.direction == Document.Direction.INCOMING else DRAFT_FIELDS
    if "number_text" in fields and document.direction == Document.Direction.OUTGOING:
        raise ValidationError(
            {"number_text": _("The number of an outgoing document is assigned when it is issued.")}
        )
    _unknown(fields, allowed)
    data = _clean(fields, MULTILINE)
    if (
        document.status == Document.Status.ISSUED
        and "doc_type" in data
        and data["doc_type"] != document.doc_type
    ):
        raise ValidationError(
            {"doc_type": _("The type of an issued document cannot change: its number depends on it.")}
        )
    if document.status == Document.Status.ISSUED and "confidentiality" in data:
        was_secret = document.is_secret
        if was_secret != (data["confidentiality"] == Document.Confidentiality.SECRET):
            raise ValidationError(
                {"confidentiality": _("An issued document cannot move in or out of the secret series.")}
            )
    merged = {
        "confidentiality": document.confidentiality,
        "body_text": document.body_text,
        "secret_level": document.secret_level,
    } | data
    _check_document(merged, has_attachments=document.attachments.exists())
    if "confidentiality" in data:
        data["secret_level"] = merged["secret_level"]
    if "number_text" in data:
        data["number_key"] = numbering.normalize_number(data["number_text"]) if data["number_text"] else ""
    with transaction.atomic():
        instance_update(actor=actor, instance=document, expected_version=expected_version, data=data)
        if recipients is not None:
            if document.status == Document.Status.ISSUED:
                if set(document.recipients.values_list("unit_id", flat=True)) != {u.pk for u in recipients}:
                    raise ValidationError(
                        {"recipients": _("The recipients of an issued document cannot change.")}
                    )
            else:
                _set_recipients(actor, document, recipients)
        _set_restricted(document, restricted_to)
        _index(document)
    return document


SIGN_FIELDS = ("signer_name", "signer_title", "signing_authority", "signing_date", "place")


def document_sign(*, actor, document: Document, expected_version: int | None, **fields) -> Document:
    """Draft → signed: records who signed and when (signing date today when not given). Secretaries."""
    require_role(actor, document.unit_path, Role.SECRETARY)
    _unknown(fields, SIGN_FIELDS)
    if document.direction != Document.Direction.OUTGOING or document.status != Document.Status.DRAFT:
        raise ValidationError(_("Only a draft outgoing document can be signed."))
    data = _clean(fields)
    data.setdefault("signer_name", document.signer_name)
    if not data["signer_name"]:
        raise ValidationError({"signer_name": _("Who signed the document?")})
    if not data.get("signing_date"):
        data["signing_date"] = _today()
    data["status"] = Document.Status.SIGNED
    with transaction.atomic():
        instance_update(actor=actor, instance=document, expected_version=expected_version, data=data)
        _index(document)
    return document


def document_issue(*, actor, document: Document, expected_version: int | None = None) -> Document:
    """Signed → issued: assigns the next number of the document's series and delivers it to internal recipients.

    Runs in one transaction: the counter row of (register, period, series) is locked, incremented, the number
    formatted (Decree 30/2020 Art. 15 / Guidance 36-HD/VPTW), the document saved (version-checked), and each
    internal recipient unit gets an incoming entry in its incoming register. Any failure rolls all of it back,
    so numbers are consecutive and unique. Secretaries of the document's unit."""
    require_role(actor, document.unit_path, Role.SECRETARY)
    if document.direction != Document.Direction.OUTGOING or document.status != Document.Status.SIGNED:
        raise ValidationError(_("Only a signed outgoing document can be issued."))
    register = document.register
    if not register.is_active:
        raise ValidationError(_("This register is closed."))
    doc_type = document.doc_type
    today = _today()
    now = timezone.now()
    period = _period_key(register, today)
    series = series_key_for(register, doc_type, secret=document.is_secret)
    with transaction.atomic():
        number = _next_number(register, period, series)
        text = format_number(register, doc_type, number, today)
        instance_update(
            actor=actor,
            instance=document,
            expected_version=expected_version,
            data={
                "status": Document.Status.ISSUED,
                "number": number,
                "number_text": text,
                "issued_at": now,
                "signing_date": document.signing_date or today,
            },
        )
        # Derived keys (lookup key, period and series of the counter) are not audited: the number says it all.
        keys = {"number_key": numbering.normalize_number(text), "period_key": period, "series_key": series}
        Document.objects.filter(pk=document.pk).update(**keys)
        for name, value in keys.items():
            setattr(document, name, value)
        for recipient in document.recipients.select_related("unit").filter(incoming__isnull=True):
            _deliver(document, recipient, today)
        _index(document)
    return document


def _deliver(document: Document, recipient: Recipient, today: datetime.date) -> Document:
    """Create the incoming entry of an internal issue in the recipient unit's incoming register."""
    register = _default_incoming_register(recipient.unit)
    period = str(today.year)
    incoming = Document(
        unit=recipient.unit,
        unit_path=recipient.unit.path,
        register=register,
        direction=Document.Direction.INCOMING,
        status=Document.Status.REGISTERED,
        doc_type=document.doc_type,
        number_text=document.number_text,
        number_key=document.number_key,
        period_key=period,
        series_key="incoming",
        incoming_number=_next_number(register, period, "incoming"),
        incoming_date=today,
        summary=document.summary,
        body_text=document.body_text,
        issuer_name=document.unit.name,
        signer_name=document.signer_name,
        signer_title=document.signer_title,
        signing_authority=document.signing_authority,
        signing_date=document.signing_date,
        place=document.place,
        urgency=document.urgency,
        confidentiality=document.confidentiality,
        secret_level=document.secret_level,
        source=document,
    )
    instance_create(actor=None, instance=incoming)
    if document.confidentiality == Document.Confidentiality.RESTRICTED:
        incoming.restricted_to.set(document.restricted_to.all())
    Recipient.objects.filter(pk=recipient.pk).update(incoming=incoming)
    recipient.incoming = incoming
    _index(incoming)
    return incoming


# ---------------------------------------------------------------------------------------------------------
# Incoming documents


def document_register_incoming(
    *,
    actor,
    register: Register,
    doc_type: DocumentType,
    number_text: str,
    summary: str,
    issuer_name: str,
    signing_date: datetime.date | None = None,
    incoming_date: datetime.date | None = None,
    restricted_to=None,
    **fields,
) -> Document:
    """Register a document received from outside (Decree 30/2020 Art. 20–22): their number as written (NFC,
    with its lookup key), issuer and date; the next incoming number of the register's year (the year of the
    incoming date, today when not given). Secretaries of the register's unit."""
    require_role(actor, register.unit_path, Role.SECRETARY)
    if register.direction != Register.Direction.INCOMING:
        raise ValidationError({"register": _("Received documents are registered in an incoming register.")})
    if not register.is_active:
        raise ValidationError({"register": _("This register is closed.")})
    _unknown(fields, INCOMING_FIELDS)
    data = _clean(
        {
            "doc_type": doc_type,
            "number_text": number_text,
            "summary": summary,
            "issuer_name": issuer_name,
            **fields,
        },
        MULTILINE,
    )
    if not data["number_text"]:
        raise ValidationError({"number_text": _("Enter the number written on the document.")})
    _check_document(data)
    incoming_date = incoming_date or _today()
    if signing_date and signing_date > incoming_date:
        raise ValidationError(
            {"signing_date": _("The document's date cannot be after the day it was received.")}
        )
    period = str(incoming_date.year)
    with transaction.atomic():
        document = Document(
            unit=register.unit,
            unit_path=register.unit_path,
            register=register,
            direction=Document.Direction.INCOMING,
            status=Document.Status.REGISTERED,
            number_key=numbering.normalize_number(data["number_text"]),
            period_key=period,
            series_key="incoming",
            incoming_number=_next_number(register, period, "incoming"),
            incoming_date=incoming_date,
            signing_date=signing_date,
            **data,
        )
        instance_create(actor=actor, instance=document)
        _set_restricted(document, restricted_to)
        _index(document)
    return document


def _routing_user_path(user, document: Document) -> str:
    """The unit path a routed person sees the document through: their grant inside the document's subtree."""
    paths = [p for p, _r in user_grants(user) if p.startswith(document.unit_path)]
    return min(paths, key=len) if paths else ""


def document_route(
    *,
    actor,
    document: Document,
    to_unit: OrgUnit | None = None,
    to_user=None,
    instruction: str = "",
    deadline: datetime.date | None = None,
    deadline_working_days: int | None = None,
) -> Routing:
    """Route an incoming document to a unit and/or a person with an instruction (bút phê) and an optional
    handling deadline (Decree 30/2020 Art. 22); the document becomes "routed". Secretaries of its unit; the
    target unit must be in the actor's scope, the person must work in or above the document's unit.

    The deadline may be given as a handling time in working days instead (Decree 30/2020 counts them): it is
    then that many working days after today (`work.workdays`: weekends, public holidays, day swaps)."""
    require_role(actor, document.unit_path, Role.SECRETARY)
    if document.direction != Document.Direction.INCOMING:
        raise ValidationError(_("Only incoming documents are routed."))
    if to_unit is None and to_user is None:
        raise ValidationError(_("Route the document to a person or a unit."))
    if to_unit is not None and not OrgUnit.objects.for_user(actor).filter(pk=to_unit.pk).exists():
        raise ValidationError({"to_unit": _("Choose a unit you work with.")})
    if to_user is not None and not to_user.is_superuser:
        from steerdesk.core.scope import forget_grants

        forget_grants(to_user)
        if role_at(to_user, document.unit_path) is None and not _routing_user_path(to_user, document):
            raise ValidationError({"to_user": _("This person does not work in the document's unit.")})
    if deadline_working_days is not None:
        if deadline is not None:
            raise ValidationError(
                {"deadline_working_days": _("Give either a deadline or a number of working days.")}
            )
        if deadline_working_days < 1:
            raise ValidationError({"deadline_working_days": _("Give at least one working day.")})
        deadline = add_working_days(_today(), deadline_working_days)
    if deadline is not None and deadline < (document.incoming_date or _today()):
        raise ValidationError({"deadline": _("The deadline cannot be before the document was received.")})
    unit_path = (
        to_unit.path if to_unit is not None else (_routing_user_path(to_user, document) if to_user else "")
    )
    with transaction.atomic():
        routing = instance_create(
            actor=actor,
            instance=Routing(
                document=document,
                to_unit=to_unit,
                to_user=to_user,
                unit_path=unit_path,
                instruction=nfc_keep_lines(instruction),
                deadline=deadline,
            ),
        )
        if document.status == Document.Status.REGISTERED:
            instance_update(
                actor=actor, instance=document, expected_version=None, data={"status": Document.Status.ROUTED}
            )
    return routing


def document_mark_handled(*, actor, document: Document, expected_version: int | None = None) -> Document:
    """Registered/routed → handled: the secretary of the document's unit or a person it was routed to."""
    routed_to_actor = document.routings.filter(to_user_id=actor.pk).exists()
    if not routed_to_actor:
        require_role(actor, document.unit_path, Role.SECRETARY)
    if document.direction != Document.Direction.INCOMING or document.status not in (
        Document.Status.REGISTERED,
        Document.Status.ROUTED,
    ):
        raise ValidationError(_("Only a received document that is not yet handled can be marked handled."))
    with transaction.atomic():
        instance_update(
            actor=actor,
            instance=document,
            expected_version=expected_version,
            data={"status": Document.Status.HANDLED},
        )
    return document


def recipient_mark_opened(*, user, document: Document) -> int:
    """Record the first time a user of a recipient unit opens an internally issued document or its incoming
    entry (read receipt). People of the issuing unit (or above it) do not count. Returns rows updated."""
    if not user.is_authenticated or user.is_superuser:
        return 0
    if document.direction == Document.Direction.OUTGOING:
        rows = Recipient.objects.filter(document=document, opened_at__isnull=True)
        issuer_path = document.unit_path
    elif document.source_id:
        rows = Recipient.objects.filter(incoming=document, opened_at__isnull=True)
        issuer_path = (
            Document.objects.filter(pk=document.source_id).values_list("unit_path", flat=True).first()
        )
    else:
        return 0
    if issuer_path is None or role_at(user, issuer_path) is not None:
        return 0
    mine = [r.pk for r in rows.only("pk", "unit_path") if role_at(user, r.unit_path) is not None]
    if not mine:
        return 0
    with transaction.atomic():
        return Recipient.objects.filter(pk__in=mine, opened_at__isnull=True).update(
            opened_at=timezone.now(), opened_by=user
        )


# ---------------------------------------------------------------------------------------------------------
# References


def reference_add(*, actor, source: Document, target: Document, kind: str) -> Reference:
    """Link `source` to `target` (implements, based on, replaces, amends, guides). Secretaries of the source's
    unit; the target must be a document the actor may see."""
    require_role(actor, source.unit_path, Role.SECRETARY)
    if kind not in Reference.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of reference.")})
    if source.pk == target.pk:
        raise ValidationError({"target": _("A document cannot refer to itself.")})
    if not Document.objects.for_user(actor).filter(pk=target.pk).exists():
        raise ValidationError({"target": _("Unknown document.")})
    if Reference.objects.filter(source=source, target=target, kind=kind).exists():
        raise ValidationError({"target": _("This reference already exists.")})
    with transaction.atomic():
        reference = Reference(source=source, target=target, kind=kind)
        instance_create(actor=actor, instance=reference)
        audit_record(
            actor=actor,
            instance=source,
            action="update",
            changes={"references_out": [None, f"{reference.get_kind_display()} {target}"]},
        )
    return reference


def reference_remove(*, actor, reference: Reference) -> None:
    """Remove a link (secretaries of the source document's unit); the removal is kept in the source's history."""
    source = reference.source
    require_role(actor, source.unit_path, Role.SECRETARY)
    with transaction.atomic():
        audit_record(
            actor=actor,
            instance=source,
            action="update",
            changes={"references_out": [f"{reference.get_kind_display()} {reference.target}", None]},
        )
        reference.delete()


# ---------------------------------------------------------------------------------------------------------
# Work-app hook


def routing_link_task(*, actor, routing: Routing, task_id: int) -> Routing:
    """Remember the task the work app created from a routing (secretaries of the document's unit or the
    routed person)."""
    if routing.to_user_id != getattr(actor, "pk", None):
        require_role(actor, routing.document.unit_path, Role.SECRETARY)
    with transaction.atomic():
        Routing.objects.filter(pk=routing.pk).update(task_id=task_id, version=F("version") + 1)
        audit_record(
            actor=actor,
            instance=routing,
            action="update",
            changes={"task_id": [routing.task_id, task_id]},
            unit_path=routing.document.unit_path,
        )
        routing.task_id = task_id
    return routing


# ---------------------------------------------------------------------------------------------------------
# Import of an existing register


def documents_import(*, actor, register: Register, rows: list[dict[str, Any]]) -> list[Document]:
    """Load already-numbered documents of an existing register (the `import_documents` command), all in one
    transaction. Each row: doc_type, number_text, signing_date, summary, and signer_name/external_recipients
    (outgoing) or issuer_name/incoming_number/incoming_date (incoming). Outgoing numbers are parsed and
    checked unique per period and series; the register's counters move up so new issues continue after them.
    Admins of the register's unit."""
    require_role(
        actor, register.unit_path, Role.ADMIN, _("Only an administrator of the unit can import registers.")
    )
    outgoing = register.direction == Register.Direction.OUTGOING
    created = []
    top: dict[tuple[str, str], int] = {}
    with transaction.atomic():
        for row in rows:
            data = _clean(dict(row), MULTILINE)
            doc = Document(
                unit=register.unit,
                unit_path=register.unit_path,
                register=register,
                direction=register.direction,
                number_key=numbering.normalize_number(data["number_text"]),
                **data,
            )
            if outgoing:
                doc.status = Document.Status.ISSUED
                doc.number = int(numbering.parse_number(doc.number_text).number)
                doc.period_key = _period_key(register, doc.signing_date)
                doc.series_key = series_key_for(register, doc.doc_type, secret=False)
                doc.issuer_name = doc.issuer_name or register.unit.name
                key = (doc.period_key, doc.series_key)
                top[key] = max(top.get(key, 0), doc.number)
            else:
                doc.status = Document.Status.HANDLED
                doc.period_key = str(doc.incoming_date.year)
                doc.series_key = "incoming"
                key = (doc.period_key, "incoming")
                top[key] = max(top.get(key, 0), doc.incoming_number)
            instance_create(actor=actor, instance=doc)
            _index(doc)
            created.append(doc)
        for (period, series), number in top.items():
            counter, _created = NumberCounter.objects.select_for_update().get_or_create(
                register=register, period_key=period, series_key=series
            )
            if counter.last_number < number:
                NumberCounter.objects.filter(pk=counter.pk).update(last_number=number)
    return created
