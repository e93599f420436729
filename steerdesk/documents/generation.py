"""DOCX generation for documents (issue 4 item 7): the context built from a document, the built-in or uploaded
template rendered by `documents.docx`, the result attached through `attachments.attachment_add`; and the upload of
admins' templates (`DocxTemplate`), each checked by a trial render in the sandbox before it is stored.

Services: `document_generate_docx(*, actor, document, kind=None, template=None) -> Attachment`,
`docx_template_upload(*, actor, name, kind, system, file) -> DocxTemplate`,
`docx_template_deactivate(*, actor, template, expected_version=None)`.
Reads: `docx_context(*, user, document, kind)`, `docx_template_list(*, user)`, `docx_template_get(*, user, pk)`
(404 for everyone but superusers: templates are global, like document types), `docx_templates_for(document)`.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from steerdesk.core.locking import instance_create, instance_update
from steerdesk.core.scope import Role, has_role
from steerdesk.core.text import nfc, nfc_keep_lines
from steerdesk.orgs.models import Committee, Membership

from . import docx
from .attachments import DOCX, attachment_add
from .models import Attachment, Document, DocxTemplate, Register

# The member list of a decision establishing a committee: positions only (groups are set up separately), with
# the Vietnamese labels the decision uses whatever the language of the person generating it.
MEMBER_LABELS = {
    Membership.Role.HEAD: "Trưởng ban",
    Membership.Role.STANDING_DEPUTY: "Phó Trưởng ban Thường trực",
    Membership.Role.DEPUTY: "Phó Trưởng ban",
    Membership.Role.MEMBER: "Thành viên",
}

# The head whose name KT./TL./TUQ. sign for, when nothing better is known.
_HEAD_TITLE = {"committee": "Trưởng ban", Register.System.PARTY: "Bí thư", Register.System.STATE: "Chủ tịch"}


# ---------------------------------------------------------------------------------------------------------
# Context


def _document_committee(document: Document) -> Committee | None:
    """The committee a decision is about: the register's committee, else the unit's first active committee."""
    if document.register.committee_id:
        return document.register.committee
    return Committee.objects.filter(unit_id=document.unit_id, is_active=True).order_by("name", "id").first()


def committee_members(*, user, committee: Committee) -> list[docx.Member]:
    """The committee's current positions (head, standing deputy, deputies, members), each sorted by name."""
    from steerdesk.orgs.selectors import committee_roster

    roster = committee_roster(user=user, committee=committee)
    members = []
    for section in roster["positions"]:
        for membership in section["members"]:
            members.append(
                docx.Member(
                    full_name=membership.person.full_name,
                    role_label=MEMBER_LABELS.get(section["role"], str(section["label"])),
                    title=membership.person.title or membership.duty,
                )
            )
    return members


def _authority_line(document: Document, issuer_name: str, system: str) -> str:
    mode = document.signing_authority
    if not mode:
        return ""
    if mode == Document.SigningAuthority.TM:
        holder = issuer_name
    else:
        holder = _HEAD_TITLE["committee" if document.register.committee_id else system]
    return docx.signing_authority_line(mode, holder, system)


def _split_body(lines: list[str], *, with_members: bool) -> tuple[list[str], list[str], list[str]]:
    """(legal bases, body, body after the member list): leading `Căn cứ …` lines are the legal bases; with a
    member list the body ends at the first `Điều 1` line and the rest follows the list."""
    bases = []
    rest = list(lines)
    while rest and rest[0].lower().startswith("căn cứ"):
        bases.append(rest.pop(0))
    if not with_members:
        return bases, rest, []
    for i, line in enumerate(rest):
        if re.match(r"^điều\s+1\b", line, re.IGNORECASE):
            return bases, rest[: i + 1], rest[i + 1 :]
    return bases, rest, []


def docx_context(*, user, document: Document, kind: str | None) -> docx.DocxContext:
    """What the templates show about `document`: header (superior body and issuer), number (blank until
    issued), place and date, summary, body, members (decisions), signature and recipients."""
    register = document.register
    system = register.system
    unit = document.unit
    committee = register.committee if register.committee_id else None
    if committee is not None:
        issuer_name, superior_body = committee.name, unit.name
    else:
        issuer_name, superior_body = unit.name, (unit.parent.name if unit.parent_id else "")
    issued = document.direction == Document.Direction.INCOMING or document.status == Document.Status.ISSUED
    members: list[docx.Member] = []
    about = _document_committee(document) if kind in (None, "decision") else None
    if about is not None:
        members = committee_members(user=user, committee=about)
    lines = [line.strip() for line in nfc_keep_lines(document.body_text).split("\n") if line.strip()]
    bases, body, body_after = _split_body(lines, with_members=bool(members))
    recipients = [r.unit.name for r in document.recipients.select_related("unit").order_by("unit__path")]
    recipients += [line.strip() for line in document.external_recipients.splitlines() if line.strip()]
    authority_title = ""
    if kind == "decision":
        authority_title = (
            f"{document.signer_title} {issuer_name}"
            if document.signer_title and not document.signing_authority
            else issuer_name
        )
    return docx.DocxContext(
        system=system,
        superior_body=superior_body,
        issuer_name=issuer_name,
        issuer_code=register.issuer_code,
        type_code=document.doc_type.code_for(system),
        number_text=document.number_text if issued else "",
        place=document.place,
        date=document.signing_date or timezone.localdate(),
        type_name=document.doc_type.name,
        summary=document.summary,
        authority_title=authority_title,
        legal_bases=bases,
        body=body,
        body_after=body_after,
        members=members,
        signing_authority=_authority_line(document, issuer_name, system),
        signer_title=document.signer_title,
        signer_name=document.signer_name,
        recipients=recipients,
        extra={
            "unit_name": unit.name,
            "committee_name": about.name if about is not None else "",
            "register_name": register.name,
            "type_code": document.doc_type.code_for(system),
        },
    )


def _ascii(text: str) -> str:
    text = nfc(text).replace("Đ", "D").replace("đ", "d")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9]+", "-", text.encode("ascii", "ignore").decode()).strip("-")


def docx_file_name(document: Document, kind: str | None) -> str:
    """`QD-12-UBND.docx` for an issued document, `QD-du-thao-<id>.docx` for one without a number (ASCII)."""
    system = document.register.system
    type_code = _ascii(document.doc_type.code_for(system)) or _ascii(kind or "") or "VB"
    if document.number is not None or (
        document.direction == Document.Direction.INCOMING and document.number_text
    ):
        number = (
            str(document.number).zfill(2) if document.number is not None else _ascii(document.number_text)
        )
        parts = [type_code, number, _ascii(document.register.issuer_code)]
    else:
        parts = [type_code, "du-thao", str(document.pk)]
    return "-".join(p for p in parts if p)[:120] + ".docx"


# ---------------------------------------------------------------------------------------------------------
# Generation


def docx_templates_for(document: Document) -> QuerySet[DocxTemplate]:
    """The active uploaded templates of the document's numbering system (offered on the document page)."""
    return DocxTemplate.objects.filter(is_active=True, system=document.register.system).order_by("name", "id")


def document_generate_docx(
    *, actor, document: Document, kind: str | None = None, template: DocxTemplate | None = None
) -> Attachment:
    """Render the document into a Word file (a built-in `kind`, or an uploaded `template`) and attach it.

    Secretary over the document's unit (PermissionDenied); secret documents, unknown kinds, inactive templates
    and templates that fail to render are refused with a ValidationError whose message says why. The file is
    stored and audited by `attachment_add`."""
    if not has_role(actor, document.unit_path, Role.SECRETARY):
        raise PermissionDenied(_("Only a secretary of the document's unit can generate its file."))
    if document.is_secret:
        raise ValidationError(
            _("A secret document is registered by its metadata only: no file can be generated for it."),
            code="secret",
        )
    if template is not None:
        if not template.is_active:
            raise ValidationError(_("This template has been deactivated."), code="inactive")
        if kind is None and template.kind in docx.BUILTIN_KINDS:
            kind = template.kind
    elif kind not in docx.BUILTIN_KINDS:
        raise ValidationError(_("Choose a kind of document to generate."), code="kind")
    context = docx_context(
        user=actor, document=document, kind=kind if template is None else (kind or "decision")
    )
    try:
        if template is not None:
            data = docx.render_uploaded(bytes(template.content), context)
        else:
            data = docx.render_builtin(kind, context)
    except docx.TemplateRenderError as exc:
        raise ValidationError(str(exc), code="template") from None
    uploaded = SimpleUploadedFile(docx_file_name(document, kind), data, content_type=DOCX.content_type)
    return attachment_add(actor=actor, document=document, uploaded_file=uploaded)


# ---------------------------------------------------------------------------------------------------------
# Uploaded templates (superusers)


def _require_superuser(actor) -> None:
    if not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("Only a superuser can manage DOCX templates."))


def sample_context(system: str) -> docx.DocxContext:
    """Data of every kind for the trial render of an uploaded template."""
    return docx.DocxContext(
        system=system,
        superior_body="Ủy ban nhân dân tỉnh Hòa Bình",
        issuer_name="Ban Chỉ đạo 35",
        issuer_code="BCĐ",
        type_code="QĐ",
        number_text="12/QĐ-BCĐ" if system == Register.System.STATE else "12-QĐ/BCĐ",
        place="Hòa Bình",
        date=datetime.date(2024, 2, 5),
        type_name="Quyết định",
        summary="Về việc kiện toàn Ban Chỉ đạo 35",
        authority_title="Trưởng Ban Chỉ đạo 35",
        legal_bases=["Căn cứ Luật Tổ chức chính quyền địa phương;"],
        body=["Điều 1. Kiện toàn Ban Chỉ đạo 35 gồm các ông (bà) có tên sau:"],
        body_after=["Điều 2. Quyết định này có hiệu lực kể từ ngày ký./."],
        sections=[docx.Section(heading="Mục đích, yêu cầu", paragraphs=["Nâng cao nhận thức."])],
        members=[
            docx.Member("Nguyễn Thị Minh Khai", "Trưởng ban", "Phó Chủ tịch UBND tỉnh"),
            docx.Member("Đặng Văn Ơn", "Thành viên", "Giám đốc Sở Nội vụ"),
        ],
        signing_authority="TM. Ban Chỉ đạo",
        signer_title="Trưởng ban",
        signer_name="Bùi Văn Khánh",
        recipients=["Thường trực Tỉnh ủy", "Như Điều 3"],
        invitee="Đồng chí Giám đốc Sở Nội vụ",
        time=datetime.datetime(2024, 2, 5, 8, 30),
        venue="Phòng họp số 1",
        extra={
            "unit_name": "Tỉnh Hòa Bình",
            "committee_name": "Ban Chỉ đạo 35",
            "register_name": "Sổ đi",
            "type_code": "QĐ",
        },
    )


def _read_upload(file) -> bytes:
    size = getattr(file, "size", None)
    if size is not None and size > DocxTemplate.MAX_BYTES:
        raise ValidationError(_("The template file is larger than 5 MB."), code="too_large")
    file.seek(0)
    data = file.read(DocxTemplate.MAX_BYTES + 1)
    if len(data) > DocxTemplate.MAX_BYTES:
        raise ValidationError(_("The template file is larger than 5 MB."), code="too_large")
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    return bytes(data)


def docx_template_upload(*, actor, name: str, kind: str, system: str, file) -> DocxTemplate:
    """Store an uploaded Word template after checking the package and rendering it once with sample data in
    the sandbox: a template that is not a safe DOCX, misuses a field or reaches for Python internals is refused
    with the renderer's message (ValidationError) and nothing is stored. Superusers only."""
    _require_superuser(actor)
    name = nfc(name)
    if not name:
        raise ValidationError({"name": _("Give the template a name.")})
    if kind not in DocxTemplate.Kind.values:
        raise ValidationError({"kind": _("Choose a kind.")})
    if system not in Register.System.values:
        raise ValidationError({"system": _("Choose a numbering system.")})
    data = _read_upload(file)
    try:
        docx.check_template_package(data)
        docx.render_uploaded(data, sample_context(system))
    except docx.TemplateRenderError as exc:
        raise ValidationError({"file": str(exc)}) from None
    from .attachments import clean_filename

    template = DocxTemplate(
        name=name,
        kind=kind,
        system=system,
        original_name=clean_filename(getattr(file, "name", ""), fallback_extension=".docx"),
        content=data,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        is_active=True,
    )
    with transaction.atomic():
        return instance_create(actor=actor, instance=template)


def docx_template_deactivate(*, actor, template: DocxTemplate, expected_version: int | None = None) -> None:
    """Hide a template from the generation form (kept for the record). Superusers only."""
    _require_superuser(actor)
    with transaction.atomic():
        instance_update(
            actor=actor, instance=template, expected_version=expected_version, data={"is_active": False}
        )


def docx_template_list(*, user) -> QuerySet[DocxTemplate]:
    if not getattr(user, "is_superuser", False):
        raise Http404
    return DocxTemplate.objects.select_related("created_by").defer("content")


def docx_template_get(*, user, pk) -> DocxTemplate:
    """A template for a superuser; for everyone else the page does not exist (404)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    template = DocxTemplate.objects.filter(pk=pk).first() if getattr(user, "is_superuser", False) else None
    if template is None:
        raise Http404
    return template
