"""API of registers, documents and references: scope (404), permissions (403), the draft → signed → issued
workflow, incoming registration, routing, references, no mass assignment, 409 on stale versions, search."""

from __future__ import annotations

import datetime

import pytest
from rest_framework.test import APIClient

from steerdesk.documents import services
from steerdesk.documents.models import Document, Reference, Register

from .document_fixtures import *  # noqa: F403
from .document_fixtures import freeze, issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_for(db):
    def make(user=None):
        client = APIClient()
        client.cookies["steerdesk_language"] = "en"
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def b_doc(tree, users, doc_types):
    register = services.register_create(
        actor=users.superuser, unit=tree.district_b, name="Sổ đi B", direction=Register.Direction.OUTGOING
    )
    with freeze(datetime.date(2026, 3, 5)):
        return issue(users.superuser, register, doc_types.kh, summary="Kế hoạch Mai Châu")


def test_lists_are_scoped_and_objects_outside_scope_are_404(api_for, users, registers, doc_types, b_doc):
    with freeze(datetime.date(2026, 3, 5)):
        mine = issue(users.owner, registers.out, doc_types.kh)
    client = api_for(users.owner)
    ids = [d["id"] for d in client.get("/api/v1/documents/").json()["results"]]
    assert mine.pk in ids and b_doc.pk not in ids
    assert client.get(f"/api/v1/documents/{b_doc.pk}/").status_code == 404
    assert client.post(f"/api/v1/documents/{b_doc.pk}/issue/", {"version": 1}).status_code == 404
    assert client.get(f"/api/v1/registers/{b_doc.register_id}/").status_code == 404
    assert api_for().get("/api/v1/documents/").status_code == 401


def test_draft_sign_issue_through_the_api_ignores_mass_assignment(api_for, users, registers, doc_types):
    client = api_for(users.owner)
    response = client.post(
        "/api/v1/documents/",
        {
            "register": registers.out.pk,
            "doc_type": doc_types.kh.pk,
            "summary": "Kế hoạch tuyên truyền",
            "number": 99,
            "number_text": "99/KH-UBND",
            "status": "issued",
            "unit": 12345,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["number"] is None and body["number_text"] == ""
    pk, version = body["id"], body["version"]
    response = client.post(
        f"/api/v1/documents/{pk}/sign/", {"version": version, "signer_name": "Phạm Văn Cường"}, format="json"
    )
    assert response.status_code == 200, response.content
    version = response.json()["version"]
    assert (
        client.post(f"/api/v1/documents/{pk}/issue/", {"version": version - 1}, format="json").status_code
        == 409
    )
    assert client.post(f"/api/v1/documents/{pk}/issue/", {}, format="json").status_code == 400
    with freeze(datetime.date(2026, 5, 1)):
        response = client.post(f"/api/v1/documents/{pk}/issue/", {"version": version}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["number_text"] == "01/KH-UBND"


def test_update_needs_the_version_and_refuses_stale_ones(api_for, users, registers, doc_types):
    doc = services.document_create_draft(
        actor=users.owner, register=registers.out, doc_type=doc_types.kh, summary="Bản đầu"
    )
    client = api_for(users.owner)
    url = f"/api/v1/documents/{doc.pk}/"
    assert client.patch(url, {"summary": "x"}, format="json").status_code == 400
    assert client.patch(url, {"summary": "Bản hai", "version": doc.version}, format="json").status_code == 200
    response = client.patch(url, {"summary": "Bản ba", "version": doc.version}, format="json")
    assert response.status_code == 409
    assert Document.objects.get(pk=doc.pk).summary == "Bản hai"


def test_viewers_get_403_on_writes(api_for, users, registers, doc_types):
    doc = services.document_create_draft(
        actor=users.owner, register=registers.out, doc_type=doc_types.kh, summary="x"
    )
    client = api_for(users.viewer)
    assert client.get(f"/api/v1/documents/{doc.pk}/").status_code == 200
    assert (
        client.patch(
            f"/api/v1/documents/{doc.pk}/", {"summary": "y", "version": 1}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/documents/",
            {"register": registers.out.pk, "doc_type": doc_types.kh.pk, "summary": "z"},
            format="json",
        ).status_code
        == 403
    )


def test_register_incoming_route_and_reference(api_for, users, tree, registers, doc_types):
    client = api_for(users.owner)
    response = client.post(
        "/api/v1/documents/register-incoming/",
        {
            "register": registers.inc.pk,
            "doc_type": doc_types.nd.pk,
            "number_text": "30/2020/NĐ-CP",
            "issuer_name": "Chính phủ",
            "signing_date": "2020-03-05",
            "summary": "Nghị định về công tác văn thư",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    decree = response.json()
    assert decree["incoming_number"] == 1 and decree["status"] == "registered"
    response = client.post(
        f"/api/v1/documents/{decree['id']}/route/",
        {"to_unit": tree.commune_a1.pk, "instruction": "Triển khai"},
        format="json",
    )
    assert response.status_code == 201, response.content
    draft = services.document_create_draft(
        actor=users.owner, register=registers.out, doc_type=doc_types.kh, summary="Kế hoạch"
    )
    response = client.post(
        "/api/v1/document-references/",
        {"source": draft.pk, "target": decree["id"], "kind": "based_on"},
        format="json",
    )
    assert response.status_code == 201, response.content
    ref = Reference.objects.get()
    assert client.get("/api/v1/document-references/").json()["results"][0]["id"] == ref.pk
    assert client.delete(f"/api/v1/document-references/{ref.pk}/").status_code == 204
    assert client.get("/api/v1/documents/", {"number": "30/2020/nđ-cp"}).json()["count"] == 1


def test_search_answers_without_errors_and_stays_in_scope(api_for, users, registers, doc_types, b_doc):
    services.document_register_incoming(
        actor=users.owner,
        register=registers.inc,
        doc_type=doc_types.nq,
        number_text="35-NQ/TW",
        issuer_name="Bộ Chính trị",
        summary="Về tăng cường bảo vệ nền tảng tư tưởng của Đảng",
    )
    client = api_for(users.owner)
    for query in ('"', "-", "*", ":", "a:b OR NOT", "x" * 2000, "Kế hoạch Mai Châu"):
        response = client.get("/api/v1/documents/", {"search": query})
        assert response.status_code == 200, query
        assert b_doc.pk not in [d["id"] for d in response.json()["results"]]
    body = client.get("/api/v1/documents/", {"search": "35-NQ/TW"}).json()
    assert body["count"] == 1


def test_registers_api_needs_admins(api_for, users, tree):
    payload = {
        "unit": tree.district_a.pk,
        "name": "Sổ đi Ban Chỉ đạo",
        "direction": "outgoing",
        "issuer_code": "BCĐ",
    }
    assert api_for(users.owner).post("/api/v1/registers/", payload, format="json").status_code == 403
    response = api_for(users.admin).post("/api/v1/registers/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["period"] == "year"
    assert api_for(users.viewer).get("/api/v1/document-types/").status_code == 200
