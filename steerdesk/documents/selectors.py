"""Reads of registers, documents, references and routings. Every selector starts from
`Model.objects.for_user(user)`: outside scope is 404, and lists never show a sibling subtree's rows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from steerdesk.core.audit import audit_history_of

from . import numbering
from .models import Attachment, Document, DocumentType, Recipient, Reference, Register, Routing

CHAIN_DEPTH = 5  # levels up and down shown on the document page (central → ministry → province → district …)


def _int(pk) -> int:
    try:
        return int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc


# ---------------------------------------------------------------------------------------------------------
# Registers and types


def register_list(
    *, user, unit=None, direction: str | None = None, active_only: bool = False
) -> QuerySet[Register]:
    """Registers the user may see, with their unit and the number of documents (one query)."""
    qs = Register.objects.for_user(user).select_related("unit", "committee")
    if unit is not None:
        qs = qs.in_subtree(unit.path)
    if direction:
        qs = qs.filter(direction=direction)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.annotate(document_count=Count("documents")).order_by("unit_path", "direction", "name")


def register_get(*, user, pk) -> Register:
    register = Register.objects.for_user(user).select_related("unit", "committee").filter(pk=_int(pk)).first()
    if register is None:
        raise Http404
    return register


def document_type_list(*, active_only: bool = True) -> QuerySet[DocumentType]:
    qs = DocumentType.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def document_type_by_name_or_code(value: str, system: str) -> DocumentType | None:
    """A type by its name (case-insensitive) or by its code in `system`; None when unknown or ambiguous."""
    value = (value or "").strip()
    if not value:
        return None
    by_name = [t for t in DocumentType.objects.all() if t.name.casefold() == value.casefold()]
    if by_name:
        return by_name[0]
    code_field = "party_code" if system == Register.System.PARTY else "state_code"
    matches = list(DocumentType.objects.filter(**{code_field: value}, is_normative=False)[:2])
    if len(matches) == 1:
        return matches[0]
    matches = list(DocumentType.objects.filter(**{code_field: value})[:2])
    return matches[0] if len(matches) == 1 else None


# ---------------------------------------------------------------------------------------------------------
# Documents


@dataclass
class DocumentFilters:
    register: Register | None = None
    direction: str = ""
    doc_type: DocumentType | None = None
    status: str = ""
    year: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    unit: object = None  # an OrgUnit: its subtree


def _date_q(lookup: str, value) -> Q:
    """Documents whose register date matches: incoming date for received ones, signing date for outgoing."""
    return Q(direction=Document.Direction.INCOMING, **{f"incoming_date__{lookup}": value}) | Q(
        direction=Document.Direction.OUTGOING, **{f"signing_date__{lookup}": value}
    )


def apply_document_filters(qs: QuerySet[Document], f: DocumentFilters) -> QuerySet[Document]:
    """Narrow a scoped document queryset by the filters (register, direction, type, status, year, date range,
    unit subtree)."""
    if f.register is not None:
        qs = qs.filter(register=f.register)
    if f.direction:
        qs = qs.filter(direction=f.direction)
    if f.doc_type is not None:
        qs = qs.filter(doc_type=f.doc_type)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.year:
        qs = qs.filter(_date_q("year", f.year))
    if f.date_from:
        qs = qs.filter(_date_q("gte", f.date_from))
    if f.date_to:
        qs = qs.filter(_date_q("lte", f.date_to))
    if f.unit is not None:
        qs = qs.in_subtree(f.unit.path)
    return qs


def document_list(*, user, filters: DocumentFilters | None = None) -> QuerySet[Document]:
    """Documents the user may see, filtered, with what a register table shows in one query."""
    f = filters or DocumentFilters()
    qs = apply_document_filters(
        Document.objects.for_user(user).select_related("doc_type", "register", "unit"), f
    )
    incoming = f.register.direction if f.register is not None else f.direction
    if incoming == Register.Direction.INCOMING:
        return qs.order_by("-incoming_date", "-incoming_number", "-id")
    return qs.order_by("-issued_at", "-number", "-id")


def document_get(*, user, pk) -> Document:
    """A document the user may see (its unit's subtree, or addressed to them as recipient or routing target,
    minus restricted ones they are not named on), else 404."""
    document = (
        Document.objects.for_user(user)
        .select_related("doc_type", "register", "unit", "source", "register__unit")
        .filter(pk=_int(pk))
        .first()
    )
    if document is None:
        raise Http404
    return document


def document_recipients(*, document: Document) -> list[Recipient]:
    return list(document.recipients.select_related("unit", "opened_by", "incoming").order_by("unit__path"))


def document_routings(*, document: Document) -> list[Routing]:
    return list(document.routings.select_related("to_unit", "to_user", "created_by"))


def number_lookup(*, user, text: str) -> QuerySet[Document]:
    """Documents with exactly this number, however it is spelled (`01/qđ-ubnd` finds `1/QĐ-UBND`)."""
    key = numbering.normalize_number(text or "")
    if not key:
        return Document.objects.none()
    return (
        Document.objects.for_user(user).filter(number_key=key).select_related("doc_type", "register", "unit")
    )


# ---------------------------------------------------------------------------------------------------------
# The reference chain


@dataclass
class ChainNode:
    """A document in the chain with the kind of link that brought it and its further links (same direction)."""

    document: Document
    kind: str
    kind_label: str
    reference_id: int
    links: list[ChainNode] = field(default_factory=list)


@dataclass
class Chain:
    up: list[ChainNode]  # what this document implements / is based on …, recursively
    down: list[ChainNode]  # documents that implement / are based on this one, recursively

    def __bool__(self) -> bool:
        return bool(self.up or self.down)


def _walk(user, start: Document, *, upward: bool, depth: int) -> list[ChainNode]:
    """Breadth-first over references, one query per level; only documents the user may see; each document
    appears once (cycles and diamonds are cut)."""
    visible = Document.objects.for_user(user).values("pk")
    seen = {start.pk}
    roots: list[ChainNode] = []
    frontier: dict[int, list[ChainNode]] = {start.pk: roots}
    labels = dict(Reference.Kind.choices)
    for _level in range(depth):
        if not frontier:
            break
        if upward:
            refs = Reference.objects.filter(source_id__in=frontier, target__in=visible).select_related(
                "target__doc_type", "target__register"
            )
        else:
            refs = Reference.objects.filter(target_id__in=frontier, source__in=visible).select_related(
                "source__doc_type", "source__register"
            )
        next_frontier: dict[int, list[ChainNode]] = {}
        for ref in refs.order_by("id"):
            here, other = (ref.source_id, ref.target) if upward else (ref.target_id, ref.source)
            if other.pk in seen:
                continue
            seen.add(other.pk)
            node = ChainNode(
                document=other, kind=ref.kind, kind_label=str(labels[ref.kind]), reference_id=ref.pk
            )
            frontier[here].append(node)
            next_frontier[other.pk] = node.links
        frontier = next_frontier
    return roots


def document_chain(*, user, document: Document, depth: int = CHAIN_DEPTH) -> Chain:
    """References both ways, recursively (a central resolution → the ministry's plan → each unit's plan),
    limited to `depth` levels, only documents the user may see; one query per level and direction."""
    return Chain(
        up=_walk(user, document, upward=True, depth=depth),
        down=_walk(user, document, upward=False, depth=depth),
    )


def reference_get(*, user, pk) -> Reference:
    """A reference whose source the user may see (its target too), else 404."""
    visible = Document.objects.for_user(user).values("pk")
    ref = (
        Reference.objects.filter(pk=_int(pk), source__in=visible, target__in=visible)
        .select_related("source", "target")
        .first()
    )
    if ref is None:
        raise Http404
    return ref


def reference_list(*, user) -> QuerySet[Reference]:
    visible = Document.objects.for_user(user).values("pk")
    return Reference.objects.filter(source__in=visible, target__in=visible).select_related("source", "target")


@dataclass
class Suggestion:
    number: str  # as found in the text, canonical
    document: Document


def reference_suggestions(*, user, document: Document) -> list[Suggestion]:
    """Documents cited in the text (summary, body, extracted text of the current files) that the user may see,
    matched exactly by number key, minus those already linked and the document's own copies."""
    from .references import extract_refs

    texts = [document.summary, document.body_text]
    texts += list(
        Attachment.objects.filter(document=document, is_current=True).values_list("extracted_text", flat=True)
    )
    found: dict[str, str] = {}
    for text in texts:
        for ref in extract_refs(text or ""):
            found.setdefault(numbering.normalize_number(ref.number), ref.number)
    found.pop(document.number_key, None)
    if not found:
        return []
    linked = Reference.objects.filter(source=document).values("target_id")
    candidates = (
        Document.objects.for_user(user)
        .filter(number_key__in=list(found))
        .exclude(pk=document.pk)
        .exclude(pk__in=linked)
        .select_related("doc_type", "register", "unit")
        .order_by("number_key", "direction", "id")
    )
    return [Suggestion(number=found[d.number_key], document=d) for d in candidates]


# ---------------------------------------------------------------------------------------------------------
# Routing (hook for the work app) and history


def routing_get_for_task(*, user, pk) -> Routing:
    """A routing the user may see (through its document), for the work app to turn into a task; else 404."""
    routing = (
        Routing.objects.filter(pk=_int(pk), document__in=Document.objects.for_user(user).values("pk"))
        .select_related("document", "to_unit", "to_user")
        .first()
    )
    if routing is None:
        raise Http404
    return routing


def document_history(*, document: Document) -> list[dict]:
    """The document's audit entries with those of its routings, newest first (one query)."""
    routing_ids = list(document.routings.values_list("pk", flat=True))
    groups = [(Document, [document.pk])]
    if routing_ids:
        groups.append((Routing, routing_ids))
    return audit_history_of(groups)


def documents_prefetch_recipients(qs: QuerySet[Document]) -> QuerySet[Document]:
    return qs.prefetch_related(Prefetch("recipients", queryset=Recipient.objects.select_related("unit")))
