"""Pages of registers and documents: permissions (anonymous → login, sibling district → 404, read-only → 403),
behaviour (create, sign, issue, route, link, export, print) and query budgets."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse

from steerdesk.documents import services
from steerdesk.documents.models import Document, Reference, Register

from .document_fixtures import *  # noqa: F403
from .document_fixtures import freeze, issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(users, registers, doc_types):
    with freeze(datetime.date(2026, 3, 5)):
        return issue(users.owner, registers.out, doc_types.kh, summary="Kế hoạch phòng chống tham nhũng")


@pytest.fixture
def b_doc(tree, users, doc_types):
    register = services.register_create(
        actor=users.superuser,
        unit=tree.district_b,
        name="Sổ đi Mai Châu",
        direction=Register.Direction.OUTGOING,
    )
    with freeze(datetime.date(2026, 3, 5)):
        return issue(users.superuser, register, doc_types.kh, summary="Kế hoạch Mai Châu")


def test_anonymous_users_are_sent_to_login(client, issued):
    for url in (reverse("documents:register_list"), issued.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_sibling_district_gets_404_on_document_pages(client_for, users, b_doc):
    client = client_for(users.owner)
    for name in ("document_detail", "document_edit"):
        assert client.get(reverse(f"documents:{name}", args=[b_doc.pk])).status_code == 404
    assert client.get(reverse("documents:register_detail", args=[b_doc.register_id])).status_code == 404
    assert client.post(reverse("documents:document_issue", args=[b_doc.pk])).status_code == 404


def test_a_viewer_gets_403_on_writes(client_for, users, registers, issued):
    client = client_for(users.viewer)
    assert client.get(issued.get_absolute_url()).status_code == 200
    assert client.get(reverse("documents:document_create", args=[registers.out.pk])).status_code == 403
    assert client.get(reverse("documents:document_edit", args=[issued.pk])).status_code == 403
    assert client.post(reverse("documents:document_issue", args=[issued.pk])).status_code == 403
    assert client.get(reverse("documents:register_edit", args=[registers.out.pk])).status_code == 403
    assert client.get(reverse("documents:register_create")).status_code == 403


def test_the_document_page_shows_the_number_and_no_write_buttons_for_viewers(client_for, users, issued):
    body = client_for(users.viewer).get(issued.get_absolute_url()).content.decode()
    assert "Số: 01/KH-UBND" in body
    assert reverse("documents:document_edit", args=[issued.pk]) not in body
    body = client_for(users.owner).get(issued.get_absolute_url()).content.decode()
    assert reverse("documents:document_edit", args=[issued.pk]) in body


def test_a_secretary_drafts_signs_and_issues_through_the_pages(client_for, users, registers, doc_types):
    client = client_for(users.owner)
    response = client.post(
        reverse("documents:document_create", args=[registers.out.pk]),
        {
            "doc_type": doc_types.qd.pk,
            "summary": "Quyết định thành lập Tổ giúp việc",
            "urgency": "normal",
            "confidentiality": "internal",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    doc = Document.objects.get(summary="Quyết định thành lập Tổ giúp việc")
    response = client.post(
        reverse("documents:document_sign", args=[doc.pk]),
        {"version": doc.version, "signer_name": "Trần Thị Hoa", "signing_date": "05/03/2026"},
    )
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.status == "signed" and doc.signing_date == datetime.date(2026, 3, 5)
    with freeze(datetime.date(2026, 3, 5)):
        client.post(reverse("documents:document_issue", args=[doc.pk]), {"version": doc.version})
    doc.refresh_from_db()
    assert doc.number_text == "01/QĐ-UBND"


def test_a_stale_edit_shows_the_conflict_and_saves_nothing(client_for, users, issued):
    client = client_for(users.owner)
    response = client.post(
        reverse("documents:document_edit", args=[issued.pk]),
        {
            "version": issued.version - 1,
            "doc_type": issued.doc_type_id,
            "summary": "Ghi đè",
            "urgency": "normal",
            "confidentiality": "internal",
        },
    )
    assert response.status_code == 400
    assert "Someone else changed" in response.content.decode()
    issued.refresh_from_db()
    assert issued.summary != "Ghi đè"


def test_registering_and_routing_an_incoming_document(client_for, users, tree, registers, doc_types):
    client = client_for(users.owner)
    response = client.post(
        reverse("documents:document_create", args=[registers.inc.pk]),
        {
            "doc_type": doc_types.nq.pk,
            "number_text": "35-NQ/TW",
            "issuer_name": "Bộ Chính trị",
            "signing_date": "22/10/2018",
            "summary": "Về tăng cường bảo vệ nền tảng tư tưởng của Đảng",
            "urgency": "normal",
            "confidentiality": "internal",
        },
    )
    assert response.status_code == 302
    doc = Document.objects.get(number_text="35-NQ/TW")
    assert doc.incoming_number == 1
    response = client.post(
        reverse("documents:document_route", args=[doc.pk]),
        {"to_unit": tree.commune_a1.pk, "instruction": "Xã Vũ Bình triển khai", "deadline": ""},
    )
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.status == "routed" and doc.routings.get().to_unit == tree.commune_a1
    body = client.get(doc.get_absolute_url()).content.decode()
    assert "Số 35-NQ/TW" in body and "Xã Vũ Bình triển khai" in body


def test_one_click_link_from_a_suggestion(client_for, users, registers, doc_types):
    central = services.document_register_incoming(
        actor=users.owner,
        register=registers.inc,
        doc_type=doc_types.nq,
        number_text="35-NQ/TW",
        summary="Nghị quyết 35",
        issuer_name="Bộ Chính trị",
    )
    draft = services.document_create_draft(
        actor=users.owner,
        register=registers.out,
        doc_type=doc_types.kh,
        summary="Kế hoạch thực hiện Nghị quyết số 35-NQ/TW",
    )
    client = client_for(users.owner)
    body = client.get(draft.get_absolute_url()).content.decode()
    assert f'name="target" value="{central.pk}"' in body
    client.post(
        reverse("documents:reference_add", args=[draft.pk]), {"target": central.pk, "kind": "implements"}
    )
    ref = Reference.objects.get()
    assert (ref.source, ref.target, ref.kind) == (draft, central, "implements")
    body = client.get(draft.get_absolute_url()).content.decode()
    assert "Nghị quyết 35" in body and f'name="target" value="{central.pk}"' not in body
    client.post(reverse("documents:reference_remove", args=[ref.pk]))
    assert not Reference.objects.exists()


def test_register_export_and_print(client_for, users, registers, issued):
    from openpyxl import load_workbook

    client = client_for(users.viewer)
    response = client.get(reverse("documents:register_export", args=[registers.out.pk]))
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][0] == "01/KH-UBND" and rows[1][1] == "05/03/2026"
    body = client.get(reverse("documents:register_print", args=[registers.out.pk])).content.decode()
    assert "01/KH-UBND" in body and "print.css" in body


def test_register_filters(client_for, users, registers, doc_types, issued):
    with freeze(datetime.date(2026, 3, 6)):
        issue(users.owner, registers.out, doc_types.bc, summary="Báo cáo sơ kết")
    client = client_for(users.viewer)
    url = reverse("documents:register_detail", args=[registers.out.pk])
    body = client.get(url, {"doc_type": doc_types.bc.pk}).content.decode()
    assert "Báo cáo sơ kết" in body and "phòng chống tham nhũng" not in body
    body = client.get(url, {"year": "2025"}).content.decode()
    assert "Báo cáo sơ kết" not in body
    assert client.get(url, {"year": "abc", "date_from": "99/99/9999", "page": "-1"}).status_code == 200


def _fill(users, registers, doc_types, n):
    with freeze(datetime.date(2026, 3, 5)):
        for i in range(n):
            doc = services.document_register_incoming(
                actor=users.owner,
                register=registers.inc,
                doc_type=doc_types.cv,
                number_text=f"{i + 1}/UBND-VP",
                summary=f"Công văn {i}",
                issuer_name="UBND tỉnh",
            )
            services.reference_add(actor=users.owner, source=doc, target=registers.hub, kind="implements")


@pytest.mark.parametrize("page", ["register", "document"])
def test_query_counts_do_not_grow_with_rows(
    client_for, users, registers, doc_types, django_assert_max_num_queries, page
):
    registers.hub = services.document_register_incoming(
        actor=users.owner,
        register=registers.inc,
        doc_type=doc_types.nq,
        number_text="35-NQ/TW",
        summary="Nghị quyết 35",
        issuer_name="Bộ Chính trị",
    )
    client = client_for(users.owner)
    url = (
        reverse("documents:register_detail", args=[registers.inc.pk])
        if page == "register"
        else registers.hub.get_absolute_url()
    )
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _fill(users, registers, doc_types, 5)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _fill(users, registers, doc_types, 45)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) <= len(small) + 1, [q["sql"] for q in large.captured_queries]
    assert len(large) < 45


def test_the_history_shows_recipient_changes(client_for, users, tree, registers, doc_types):
    doc = services.document_create_draft(
        actor=users.owner,
        register=registers.out,
        doc_type=doc_types.kh,
        summary="Gửi xã",
        recipients=[tree.commune_a1],
    )
    body = client_for(users.owner).get(doc.get_absolute_url()).content.decode()
    assert "Xã Vũ Bình" in body
