"""DOCX generation from documents: the context built from an issued document (number, date line, committee members
with diacritics), both numbering systems, permissions (secret refused, viewer 403, sibling 404), the generate
page action, and uploaded templates (malicious ones refused at upload and never stored; good ones render)."""

from __future__ import annotations

import datetime
import io

import docx as python_docx
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from steerdesk.core.models import AuditEntry
from steerdesk.documents import generation, services
from steerdesk.documents.models import Attachment, Document, DocxTemplate, Register
from steerdesk.orgs.models import Membership
from steerdesk.orgs.tests.factories import MembershipFactory, PersonFactory

from .attachment_fixtures import media  # noqa: F401 - a private MEDIA_ROOT per test
from .document_fixtures import *  # noqa: F403
from .document_fixtures import freeze

MALICIOUS = "{{ ''.__class__.__mro__[1].__subclasses__() }}"


@pytest.fixture(autouse=True)
def _media(media):  # noqa: F811
    return media


def _paragraph_texts(container):
    for block in container.iter_inner_content():
        if hasattr(block, "rows"):
            for row in block.rows:
                for cell in row.cells:
                    yield from _paragraph_texts(cell)
        else:
            yield block.text


def attachment_texts(attachment: Attachment) -> list[str]:
    with default_storage.open(attachment.storage_name, "rb") as handle:
        return list(_paragraph_texts(python_docx.Document(io.BytesIO(handle.read()))))


def docx_bytes(*lines: str) -> bytes:
    document = python_docx.Document()
    for line in lines:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_upload(*lines: str, name="mau.docx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, docx_bytes(*lines))


@pytest.fixture
def roster(tree):
    """The current roster of district A's committee (and one ended membership that must not appear)."""
    unit = tree.district_a
    people = {
        "head": PersonFactory(
            home_unit=unit, full_name="Nguyễn Thị Minh Khai", title="Phó Chủ tịch UBND huyện"
        ),
        "deputy": PersonFactory(home_unit=unit, full_name="Đặng Văn Ơn", title="Trưởng Công an huyện"),
        "member": PersonFactory(home_unit=unit, full_name="Bùi Thị Hường", title="Chánh Văn phòng"),
        "past": PersonFactory(home_unit=unit, full_name="Lê Văn Cũ", title="Nguyên Phó Chủ tịch"),
    }
    c = tree.committee_a
    MembershipFactory(committee=c, person=people["head"], role=Membership.Role.HEAD)
    MembershipFactory(committee=c, person=people["deputy"], role=Membership.Role.DEPUTY)
    MembershipFactory(committee=c, person=people["member"], role=Membership.Role.MEMBER)
    MembershipFactory(
        committee=c,
        person=people["past"],
        role=Membership.Role.MEMBER,
        start_date=datetime.date(2020, 1, 1),
        end_date=datetime.date(2021, 1, 1),
    )
    return people


def issued_decision(users, register, doc_types, *, day=datetime.date(2025, 3, 5), **fields):
    values = {
        "summary": "Về việc kiện toàn Ban Chỉ đạo 35 huyện Lạc Sơn",
        "body_text": "Căn cứ Luật Tổ chức chính quyền địa phương;\n"
        "Điều 1. Kiện toàn Ban Chỉ đạo 35 huyện gồm các ông (bà) có tên sau:\n"
        "Điều 2. Quyết định này có hiệu lực kể từ ngày ký./.",
        "external_recipients": "Thường trực Huyện ủy",
        "place": "Lạc Sơn",
    }
    values.update(fields)
    with freeze(day):
        doc = services.document_create_draft(
            actor=users.owner, register=register, doc_type=doc_types.qd, **values
        )
        services.document_sign(
            actor=users.owner,
            document=doc,
            expected_version=doc.version,
            signer_name="Bùi Văn Khánh",
            signer_title="Chủ tịch",
            signing_authority="TM.",
            signing_date=day,
        )
        return services.document_issue(actor=users.owner, document=doc, expected_version=doc.version)


@pytest.fixture
def state_register(tree, users, doc_types):
    return services.register_create(
        actor=users.admin,
        unit=tree.district_a,
        name="Sổ quyết định",
        direction=Register.Direction.OUTGOING,
        issuer_code="UBND",
    )


# --- Generation from a document ---------------------------------------------------------------------------


def test_committee_decision_is_attached_with_number_date_line_and_members(
    users, tree, doc_types, state_register, roster
):
    doc = issued_decision(users, state_register, doc_types)
    attachment = generation.document_generate_docx(actor=users.owner, document=doc, kind="decision")

    assert Attachment.objects.filter(document=doc).count() == 1
    assert attachment.original_name == f"QD-{doc.number:02d}-UBND.docx"
    assert attachment.original_name.isascii()
    assert attachment.content_type.endswith("wordprocessingml.document")
    lines = attachment_texts(attachment)
    assert f"Số: {doc.number:02d}/QĐ-UBND" in lines
    assert "Lạc Sơn, ngày 05 tháng 3 năm 2025" in lines
    assert "HUYỆN LẠC SƠN" in lines  # issuer (the unit) under its superior body
    assert "TỈNH HÒA BÌNH" in lines
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in lines
    for name in ("Nguyễn Thị Minh Khai", "Đặng Văn Ơn", "Bùi Thị Hường"):
        assert name in lines
    assert "Lê Văn Cũ" not in lines  # ended membership
    assert lines.index("Trưởng ban") < lines.index("Phó Trưởng ban") < lines.index("Thành viên")
    assert "Căn cứ Luật Tổ chức chính quyền địa phương;" in lines
    assert lines.index("Bùi Thị Hường") < lines.index("Điều 2. Quyết định này có hiệu lực kể từ ngày ký./.")
    assert "- Thường trực Huyện ủy;" in lines
    assert "TM. HUYỆN LẠC SƠN" in lines
    assert "Bùi Văn Khánh" in lines
    assert AuditEntry.objects.filter(object_id=str(attachment.pk), action="create").exists()


def test_the_date_line_keeps_the_leading_zero_for_january_and_february(
    users, doc_types, state_register, roster
):
    doc = issued_decision(users, state_register, doc_types, day=datetime.date(2025, 2, 9))
    lines = attachment_texts(
        generation.document_generate_docx(actor=users.owner, document=doc, kind="decision")
    )
    assert "Lạc Sơn, ngày 09 tháng 02 năm 2025" in lines


def test_the_register_committee_issues_under_its_unit(users, tree, doc_types, roster):
    register = services.register_create(
        actor=users.admin,
        unit=tree.district_a,
        name="Sổ của Ban Chỉ đạo",
        direction=Register.Direction.OUTGOING,
        issuer_code="BCĐ",
        committee=tree.committee_a,
    )
    doc = issued_decision(users, register, doc_types)
    attachment = generation.document_generate_docx(actor=users.owner, document=doc, kind="decision")
    lines = attachment_texts(attachment)
    assert "BAN CHỈ ĐẠO 35 HUYỆN LẠC SƠN" in lines
    assert "HUYỆN LẠC SƠN" in lines
    assert f"Số: {doc.number:02d}/QĐ-BCĐ" in lines
    assert "Đặng Văn Ơn" in lines
    assert attachment.original_name == f"QD-{doc.number:02d}-BCD.docx"


def test_party_register_gives_the_party_header_and_number(users, tree, doc_types, roster):
    register = services.register_create(
        actor=users.admin,
        unit=tree.district_a,
        name="Sổ văn bản Đảng",
        direction=Register.Direction.OUTGOING,
        system=Register.System.PARTY,
        issuer_code="HU",
        term_start=datetime.date(2020, 10, 20),
    )
    doc = issued_decision(users, register, doc_types)
    lines = attachment_texts(
        generation.document_generate_docx(actor=users.owner, document=doc, kind="decision")
    )
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in lines
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" not in lines
    assert f"Số {doc.number:02d}-QĐ/HU" in lines
    assert "T/M HUYỆN LẠC SƠN" in lines
    assert "Nguyễn Thị Minh Khai" in lines


def test_a_draft_gets_a_blank_number_with_its_type_code(users, doc_types, state_register):
    doc = services.document_create_draft(
        actor=users.owner, register=state_register, doc_type=doc_types.kh, summary="Kế hoạch tuyên truyền"
    )
    attachment = generation.document_generate_docx(actor=users.owner, document=doc, kind="plan")
    lines = attachment_texts(attachment)
    assert any(line.startswith("Số:") and line.endswith("/KH-UBND") and "\u00a0" in line for line in lines)
    assert "KẾ HOẠCH" in lines
    assert attachment.original_name == f"KH-du-thao-{doc.pk}.docx"


def test_secret_documents_are_refused_with_a_clear_message(users, doc_types, state_register):
    doc = services.document_create_draft(
        actor=users.owner,
        register=state_register,
        doc_type=doc_types.qd,
        summary="Về công tác bảo vệ bí mật",
        confidentiality=Document.Confidentiality.SECRET,
        secret_level=Document.SecretLevel.MAT,
    )
    with pytest.raises(ValidationError) as exc:
        generation.document_generate_docx(actor=users.owner, document=doc, kind="decision")
    assert "metadata only" in exc.value.messages[0]
    assert not Attachment.objects.exists()


def test_read_only_roles_cannot_generate(users, doc_types, state_register):
    doc = issued_decision(users, state_register, doc_types)
    for user in (users.viewer, users.member):
        with pytest.raises(PermissionDenied):
            generation.document_generate_docx(actor=user, document=doc, kind="decision")
    assert not Attachment.objects.exists()


def test_unknown_kind_is_refused(users, doc_types, state_register):
    doc = issued_decision(users, state_register, doc_types)
    with pytest.raises(ValidationError):
        generation.document_generate_docx(actor=users.owner, document=doc, kind="memo")


# --- The page action ----------------------------------------------------------------------------------------


def test_document_page_offers_the_form_to_secretaries_only(users, doc_types, state_register, client_for):
    doc = issued_decision(users, state_register, doc_types)
    url = reverse("documents:document_generate", args=[doc.pk])
    assert url in client_for(users.owner).get(doc.get_absolute_url()).content.decode()
    assert url not in client_for(users.viewer).get(doc.get_absolute_url()).content.decode()


def test_posting_the_form_attaches_the_file(users, doc_types, state_register, roster, client_for):
    doc = issued_decision(users, state_register, doc_types)
    response = client_for(users.owner).post(
        reverse("documents:document_generate", args=[doc.pk]), {"kind": "decision"}, follow=True
    )
    assert response.status_code == 200
    attachment = Attachment.objects.get(document=doc)
    assert attachment.original_name in response.content.decode()
    assert "Đặng Văn Ơn" in attachment_texts(attachment)


def test_viewer_gets_403_and_sibling_404(users, doc_types, state_register, client_for):
    doc = issued_decision(users, state_register, doc_types)
    url = reverse("documents:document_generate", args=[doc.pk])
    assert client_for(users.viewer).post(url, {"kind": "decision"}).status_code == 403
    assert client_for(users.outsider).post(url, {"kind": "decision"}).status_code == 404
    assert not Attachment.objects.exists()


def test_secret_document_via_the_page_shows_the_message(users, doc_types, state_register, client_for):
    doc = services.document_create_draft(
        actor=users.owner,
        register=state_register,
        doc_type=doc_types.qd,
        summary="Về công tác bảo vệ bí mật",
        confidentiality=Document.Confidentiality.SECRET,
        secret_level=Document.SecretLevel.MAT,
    )
    response = client_for(users.owner).post(
        reverse("documents:document_generate", args=[doc.pk]), {"kind": "decision"}, follow=True
    )
    assert "metadata only" in response.content.decode()
    assert not Attachment.objects.exists()


# --- Uploaded templates -------------------------------------------------------------------------------------


def test_malicious_template_is_refused_at_upload_and_not_stored(users):
    with pytest.raises(ValidationError) as exc:
        generation.docx_template_upload(
            actor=users.superuser, name="Mẫu độc", kind="other", system="state", file=docx_upload(MALICIOUS)
        )
    assert "may not use" in " ".join(exc.value.messages)
    assert not DocxTemplate.objects.exists()


def test_malicious_template_upload_page_answers_400_with_the_message(users, client_for):
    response = client_for(users.superuser).post(
        reverse("documents:docx_template_upload"),
        {"name": "Mẫu độc", "kind": "other", "system": "state", "file": docx_upload(MALICIOUS)},
    )
    assert response.status_code == 400
    assert "may not use" in response.content.decode()
    assert not DocxTemplate.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [b"not a word file", b"PK\x03\x04garbage"],
)
def test_a_file_that_is_not_a_docx_is_refused(users, payload):
    with pytest.raises(ValidationError):
        generation.docx_template_upload(
            actor=users.superuser,
            name="Hỏng",
            kind="other",
            system="state",
            file=SimpleUploadedFile("x.docx", payload),
        )
    assert not DocxTemplate.objects.exists()


def test_a_template_with_an_unknown_field_is_refused(users):
    with pytest.raises(ValidationError) as exc:
        generation.docx_template_upload(
            actor=users.superuser, name="Sai", kind="other", system="state", file=docx_upload("{{ so_hieu }}")
        )
    assert "does not exist" in " ".join(exc.value.messages)


def test_only_superusers_upload_templates(users):
    with pytest.raises(PermissionDenied):
        generation.docx_template_upload(
            actor=users.admin, name="Mẫu", kind="other", system="state", file=docx_upload("{{ summary }}")
        )


def test_good_uploaded_template_renders_the_document(users, doc_types, state_register, roster, client_for):
    response = client_for(users.superuser).post(
        reverse("documents:docx_template_upload"),
        {
            "name": "Mẫu quyết định riêng",
            "kind": "decision",
            "system": "state",
            "file": docx_upload(
                "{{ number_line }}",
                "{{ date_line }}",
                "Trích yếu: {{ summary }}",
                "{%p for m in members %}",
                "{{ m.index }}. {{ m.full_name }} — {{ m.role_label }}",
                "{%p endfor %}",
            ),
        },
    )
    assert response.status_code == 302
    template = DocxTemplate.objects.get()
    assert template.created_by == users.superuser and template.is_active
    doc = issued_decision(users, state_register, doc_types)
    response = client_for(users.owner).post(
        reverse("documents:document_generate", args=[doc.pk]), {"kind": "decision", "template": template.pk}
    )
    assert response.status_code == 302
    lines = attachment_texts(Attachment.objects.get(document=doc))
    assert lines[:3] == [
        f"Số: {doc.number:02d}/QĐ-UBND",
        "Lạc Sơn, ngày 05 tháng 3 năm 2025",
        "Trích yếu: Về việc kiện toàn Ban Chỉ đạo 35 huyện Lạc Sơn",
    ]
    assert "1. Nguyễn Thị Minh Khai — Trưởng ban" in lines


def test_deactivated_template_is_no_longer_offered(users, doc_types, state_register, client_for):
    template = generation.docx_template_upload(
        actor=users.superuser, name="Mẫu cũ", kind="plan", system="state", file=docx_upload("{{ summary }}")
    )
    doc = issued_decision(users, state_register, doc_types)
    assert "Mẫu cũ" in client_for(users.owner).get(doc.get_absolute_url()).content.decode()
    response = client_for(users.superuser).post(
        reverse("documents:docx_template_deactivate", args=[template.pk]), {"version": template.version}
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert not template.is_active
    assert "Mẫu cũ" not in client_for(users.owner).get(doc.get_absolute_url()).content.decode()
    with pytest.raises(ValidationError):
        generation.document_generate_docx(actor=users.owner, document=doc, template=template)


def test_template_pages_are_404_for_everyone_but_superusers(users, client_for):
    template = generation.docx_template_upload(
        actor=users.superuser, name="Mẫu", kind="plan", system="state", file=docx_upload("{{ summary }}")
    )
    for user in (users.admin, users.owner):
        client = client_for(user)
        assert client.get(reverse("documents:docx_template_list")).status_code == 404
        assert client.get(reverse("documents:docx_template_upload")).status_code == 404
        deactivate = reverse("documents:docx_template_deactivate", args=[template.pk])
        assert client.post(deactivate, {"version": template.version}).status_code == 404
    superuser = client_for(users.superuser)
    page = superuser.get(reverse("documents:docx_template_list"))
    assert page.status_code == 200 and "Mẫu" in page.content.decode()
    assert (
        reverse("documents:docx_template_list")
        in superuser.get(reverse("documents:type_list")).content.decode()
    )
