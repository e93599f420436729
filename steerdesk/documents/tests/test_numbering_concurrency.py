"""Concurrent issues on one register hand out distinct, consecutive numbers (no duplicate, no gap), on SQLite
(IMMEDIATE transactions serialise writers, with a busy timeout) and on PostgreSQL (the counter row is locked
with SELECT … FOR UPDATE; a missing counter row is created safely by whichever thread comes first)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from steerdesk.documents import services
from steerdesk.documents.models import Document, NumberCounter

from .document_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tree(transactional_db):
    """The shared tree, built inside a transaction: OrgUnitFactory locks the parent row (SELECT … FOR UPDATE),
    which PostgreSQL refuses outside a transaction in a `transaction=True` test."""
    from types import SimpleNamespace

    from django.db import transaction

    from steerdesk.orgs.tests.factories import OrgUnitFactory

    with transaction.atomic():
        province = OrgUnitFactory(name="Tỉnh Hòa Bình", kind="province", code="UBND")
        district_a = OrgUnitFactory(name="Huyện Lạc Sơn", kind="district", parent=province)
        return SimpleNamespace(
            province=province,
            district_a=district_a,
            commune_a1=OrgUnitFactory(name="Xã Vũ Bình", kind="commune", parent=district_a),
            district_b=OrgUnitFactory(name="Huyện Mai Châu", kind="district", parent=province),
        )


def test_concurrent_issues_get_distinct_consecutive_numbers(users, registers, doc_types):
    threads_count = 50
    drafts = []
    for i in range(threads_count):
        doc = services.document_create_draft(
            actor=users.owner, register=registers.out, doc_type=doc_types.kh, summary=f"Kế hoạch {i}"
        )
        services.document_sign(
            actor=users.owner, document=doc, expected_version=doc.version, signer_name="Lê An"
        )
        drafts.append(doc.pk)
    assert not NumberCounter.objects.exists()  # the first issuers race to create the counter row too

    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def work(pk: int) -> None:
        try:
            document = Document.objects.select_related("register__unit", "doc_type").get(pk=pk)
            barrier.wait(timeout=60)
            services.document_issue(actor=users.owner, document=document, expected_version=document.version)
        except BaseException as exc:  # reported below: a thread's exception must fail the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(pk,)) for pk in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    numbers = sorted(Document.objects.filter(pk__in=drafts).values_list("number", flat=True))
    assert numbers == list(range(1, threads_count + 1)), connection.vendor
    texts = set(Document.objects.filter(pk__in=drafts).values_list("number_text", flat=True))
    assert len(texts) == threads_count
    assert NumberCounter.objects.get().last_number == threads_count
