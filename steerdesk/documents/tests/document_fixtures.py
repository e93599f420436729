"""Fixtures of the documents services, views and API tests (imported with `*`): document types, registers of
district A (outgoing State, incoming) and a helper that drafts, signs and issues a document through the
services."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from unittest import mock

import pytest
from django.utils import timezone

from steerdesk.documents import services
from steerdesk.documents.models import DocumentType, Register

TZ = datetime.timezone(datetime.timedelta(hours=7))


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the source strings)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def doc_types(db):
    services.document_types_ensure()
    return SimpleNamespace(
        kh=DocumentType.objects.get(name="Kế hoạch"),
        qd=DocumentType.objects.get(name="Quyết định"),
        bc=DocumentType.objects.get(name="Báo cáo"),
        nq=DocumentType.objects.get(name="Nghị quyết"),
        cv=DocumentType.objects.get(name="Công văn"),
        nd=DocumentType.objects.get(name="Nghị định"),
        hd=DocumentType.objects.get(name="Hướng dẫn"),
    )


@pytest.fixture
def registers(tree, users, doc_types):
    a = tree.district_a
    return SimpleNamespace(
        out=services.register_create(
            actor=users.admin, unit=a, name="Sổ văn bản đi", direction=Register.Direction.OUTGOING
        ),
        inc=services.register_create(
            actor=users.admin, unit=a, name="Sổ văn bản đến", direction=Register.Direction.INCOMING
        ),
    )


def freeze(day: datetime.date, hour: int = 9):
    """Patch Django's clock (timezone.now, hence localdate) to `day` at `hour`:00 in Hà Nội."""
    moment = datetime.datetime(day.year, day.month, day.day, hour, tzinfo=TZ)
    return mock.patch.object(timezone, "now", return_value=moment)


def issue(actor, register, doc_type, summary="Kế hoạch triển khai", **fields):
    """Draft, sign and issue one document through the services; returns it."""
    recipients = fields.pop("recipients", ())
    doc = services.document_create_draft(
        actor=actor, register=register, doc_type=doc_type, summary=summary, recipients=recipients, **fields
    )
    services.document_sign(
        actor=actor, document=doc, expected_version=doc.version, signer_name="Nguyễn Văn An"
    )
    return services.document_issue(actor=actor, document=doc, expected_version=doc.version)
