"""Services of the documents app: numbering at issue, series and periods, secret documents, internal delivery,
read receipts, incoming registration, routing, references and restricted documents."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from steerdesk.core.locking import ConflictError
from steerdesk.documents import selectors, services
from steerdesk.documents.models import Document, DocumentType, NumberCounter, Recipient, Reference, Register

from .document_fixtures import *  # noqa: F403
from .document_fixtures import freeze, issue

pytestmark = pytest.mark.django_db


def test_document_types_are_seeded_once(doc_types):
    count = DocumentType.objects.count()
    assert services.document_types_ensure() == 0
    assert DocumentType.objects.count() == count
    assert doc_types.nd.state_code == "NĐ" and doc_types.nd.is_normative


def test_it_numbers_consecutively_with_leading_zero(users, registers, doc_types):
    with freeze(datetime.date(2026, 3, 5)):
        first = issue(users.owner, registers.out, doc_types.kh)
        second = issue(users.owner, registers.out, doc_types.qd)
    assert (first.number, second.number) == (1, 2)
    assert first.number_text == "01/KH-UBND"
    assert second.number_text == "02/QĐ-UBND"
    assert first.status == Document.Status.ISSUED
    assert first.period_key == "2026" and first.series_key == "*"
    assert first.number_key == "1/KH-UBND"


def test_a_normative_document_carries_the_year(users, registers, doc_types):
    with freeze(datetime.date(2026, 3, 5)):
        doc = issue(users.owner, registers.out, doc_types.nd)
    assert doc.number_text == "01/2026/NĐ-UBND"


def test_a_failure_after_the_increment_skips_no_number(users, registers, doc_types):
    doc = services.document_create_draft(
        actor=users.owner, register=registers.out, doc_type=doc_types.kh, summary="Kế hoạch"
    )
    services.document_sign(
        actor=users.owner, document=doc, expected_version=doc.version, signer_name="Lê Văn B"
    )
    with mock.patch.object(services, "_index", side_effect=RuntimeError("index down")):
        with pytest.raises(RuntimeError):
            services.document_issue(actor=users.owner, document=doc, expected_version=doc.version)
    doc = Document.objects.get(pk=doc.pk)
    assert doc.status == Document.Status.SIGNED and doc.number is None
    assert not NumberCounter.objects.filter(last_number__gt=0).exists()
    doc = services.document_issue(actor=users.owner, document=doc, expected_version=doc.version)
    assert doc.number == 1


def test_a_stale_version_issues_nothing(users, registers, doc_types):
    doc = services.document_create_draft(
        actor=users.owner, register=registers.out, doc_type=doc_types.kh, summary="Kế hoạch"
    )
    services.document_sign(
        actor=users.owner, document=doc, expected_version=doc.version, signer_name="Lê Văn B"
    )
    with pytest.raises(ConflictError):
        services.document_issue(actor=users.owner, document=doc, expected_version=doc.version - 1)
    assert Document.objects.get(pk=doc.pk).number is None
    assert not NumberCounter.objects.filter(last_number__gt=0).exists()


def test_only_signed_documents_are_issued_and_only_by_secretaries(users, registers, doc_types):
    doc = services.document_create_draft(
        actor=users.owner, register=registers.out, doc_type=doc_types.kh, summary="Kế hoạch"
    )
    with pytest.raises(ValidationError):
        services.document_issue(actor=users.owner, document=doc)
    with pytest.raises(PermissionDenied):
        services.document_create_draft(
            actor=users.viewer, register=registers.out, doc_type=doc_types.kh, summary="x"
        )
    with pytest.raises(PermissionDenied):
        services.document_sign(
            actor=users.member, document=doc, expected_version=doc.version, signer_name="A"
        )


def test_the_state_series_restarts_at_01_on_1_january(users, registers, doc_types):
    with freeze(datetime.date(2025, 12, 31), hour=23):
        issue(users.owner, registers.out, doc_types.kh)
        last = issue(users.owner, registers.out, doc_types.kh)
    with freeze(datetime.date(2026, 1, 1), hour=7):
        first = issue(users.owner, registers.out, doc_types.kh)
    assert last.number_text == "02/KH-UBND" and last.period_key == "2025"
    assert first.number_text == "01/KH-UBND" and first.period_key == "2026"


def test_the_party_series_restarts_when_a_new_term_starts(tree, users, doc_types):
    register = services.register_create(
        actor=users.admin,
        unit=tree.district_a,
        name="Sổ văn bản đi của Huyện ủy",
        direction=Register.Direction.OUTGOING,
        system=Register.System.PARTY,
        series=Register.Series.PER_TYPE,
        issuer_code="HU",
        term_start=datetime.date(2020, 10, 16),
    )
    with freeze(datetime.date(2024, 12, 31)):
        issue(users.owner, register, doc_types.nq)
    with freeze(datetime.date(2025, 1, 2)):  # a new year, same term: the series goes on
        second = issue(users.owner, register, doc_types.nq)
    assert second.number_text == "02-NQ/HU"
    services.register_update(
        actor=users.admin,
        register=register,
        expected_version=register.version,
        term_start=datetime.date(2025, 10, 20),
    )
    register.refresh_from_db()
    with freeze(datetime.date(2025, 11, 3)):
        first_of_term = issue(users.owner, register, doc_types.nq)
    assert first_of_term.number_text == "01-NQ/HU"
    assert first_of_term.period_key == "2025-10-20"


def test_a_party_register_refuses_to_issue_before_its_term(tree, users, doc_types):
    register = services.register_create(
        actor=users.admin,
        unit=tree.district_a,
        name="Sổ đi",
        direction=Register.Direction.OUTGOING,
        system=Register.System.PARTY,
        issuer_code="HU",
        term_start=datetime.date(2025, 10, 20),
    )
    doc = services.document_create_draft(
        actor=users.owner, register=register, doc_type=doc_types.nq, summary="NQ"
    )
    services.document_sign(actor=users.owner, document=doc, expected_version=doc.version, signer_name="A")
    with (
        freeze(datetime.date(2025, 5, 1)),
        pytest.raises(ValidationError, match="before the start of the term"),
    ):
        services.document_issue(actor=users.owner, document=doc)


def test_per_type_series_count_each_type_apart(tree, users, doc_types):
    register = services.register_create(
        actor=users.admin,
        unit=tree.district_a,
        name="Sổ đi theo loại",
        direction=Register.Direction.OUTGOING,
        series=Register.Series.PER_TYPE,
    )
    with freeze(datetime.date(2026, 4, 1)):
        a = issue(users.owner, register, doc_types.kh)
        b = issue(users.owner, register, doc_types.qd)
        c = issue(users.owner, register, doc_types.kh)
    assert [a.number_text, b.number_text, c.number_text] == ["01/KH-UBND", "01/QĐ-UBND", "02/KH-UBND"]
    assert (a.series_key, b.series_key) == ("KH", "QĐ")


def test_single_series_counts_all_types_together(users, registers, doc_types):
    with freeze(datetime.date(2026, 4, 1)):
        numbers = [
            issue(users.owner, registers.out, t).number for t in (doc_types.kh, doc_types.qd, doc_types.bc)
        ]
    assert numbers == [1, 2, 3]


def test_secret_documents_have_their_own_state_series(users, registers, doc_types):
    with freeze(datetime.date(2026, 4, 1)):
        normal = issue(users.owner, registers.out, doc_types.kh)
        secret = issue(users.owner, registers.out, doc_types.kh, confidentiality="secret")
        normal2 = issue(users.owner, registers.out, doc_types.kh)
    assert (normal.number, secret.number, normal2.number) == (1, 1, 2)
    assert secret.series_key == "secret" and secret.secret_level == "mat"


def test_secret_documents_refuse_body_text_and_files(users, registers, doc_types):
    with pytest.raises(ValidationError, match="metadata only"):
        services.document_create_draft(
            actor=users.owner,
            register=registers.out,
            doc_type=doc_types.kh,
            summary="Mật",
            confidentiality="secret",
            body_text="Nội dung",
        )
    doc = services.document_create_draft(
        actor=users.owner,
        register=registers.out,
        doc_type=doc_types.kh,
        summary="Mật",
        confidentiality="secret",
    )
    from django.core.files.base import ContentFile

    from steerdesk.documents.attachments import attachment_add

    with pytest.raises(ValidationError, match="metadata only"):
        attachment_add(
            actor=users.owner, document=doc, uploaded_file=ContentFile(b"%PDF-1.4 x", name="a.pdf")
        )
    with pytest.raises(ValidationError, match="metadata only"):
        services.document_update(actor=users.owner, document=doc, expected_version=doc.version, body_text="x")


def test_internal_issue_creates_incoming_entries_for_the_recipient_unit(tree, users, registers, doc_types):
    with freeze(datetime.date(2026, 4, 1)):
        own_other = issue(users.owner, registers.out, doc_types.bc, summary="Báo cáo nội bộ")
        sent = issue(
            users.owner,
            registers.out,
            doc_types.kh,
            summary="Kế hoạch gửi xã",
            recipients=[tree.commune_a1, tree.province],
        )
    recipients = {r.unit_id: r for r in Recipient.objects.filter(document=sent)}
    entry = recipients[tree.province.pk].incoming
    assert entry.direction == Document.Direction.INCOMING and entry.unit == tree.province
    assert entry.number_text == sent.number_text and entry.source == sent
    assert entry.incoming_number == 1 and entry.incoming_date == datetime.date(2026, 4, 1)
    assert entry.issuer_name == tree.district_a.name
    assert entry.register.direction == Register.Direction.INCOMING  # a default incoming register was created
    # A provincial user (a grant on the province only is above district A: make one on a new sibling unit).
    from steerdesk.accounts.tests.factories import RoleGrantFactory, UserFactory

    province_clerk = UserFactory(username="clerk")
    RoleGrantFactory(user=province_clerk, unit=tree.province, role="viewer")
    assert Document.objects.for_user(province_clerk).filter(pk=entry.pk).exists()
    # The district-B outsider sees nothing of district A's documents.
    assert not Document.objects.for_user(users.outsider).filter(pk__in=[sent.pk, own_other.pk]).exists()


def test_a_recipient_sees_the_sent_document_but_nothing_else_of_the_issuer(tree, users, doc_types):
    b_out = services.register_create(
        actor=users.superuser,
        unit=tree.district_b,
        name="Sổ đi Mai Châu",
        direction=Register.Direction.OUTGOING,
    )
    with freeze(datetime.date(2026, 4, 1)):
        private = issue(users.superuser, b_out, doc_types.bc, summary="Báo cáo riêng")
        sent = issue(
            users.superuser, b_out, doc_types.kh, summary="Kế hoạch gửi Lạc Sơn", recipients=[tree.district_a]
        )
    visible = set(Document.objects.for_user(users.owner).values_list("pk", flat=True))
    entry = Recipient.objects.get(document=sent).incoming
    assert sent.pk in visible and entry.pk in visible
    assert private.pk not in visible
    with pytest.raises(Http404):
        selectors.document_get(user=users.owner, pk=private.pk)


def test_opened_at_is_recorded_once_for_recipient_users_only(tree, users, registers, doc_types):
    from steerdesk.accounts.tests.factories import RoleGrantFactory, UserFactory

    with freeze(datetime.date(2026, 4, 1)):
        sent = issue(users.owner, registers.out, doc_types.kh, recipients=[tree.commune_a1])
    assert services.recipient_mark_opened(user=users.owner, document=sent) == 0  # the issuer's own people
    commune_user = UserFactory(username="xa")
    RoleGrantFactory(user=commune_user, unit=tree.commune_a1, role="viewer")
    recipient = Recipient.objects.get(document=sent)
    assert services.recipient_mark_opened(user=commune_user, document=recipient.incoming) == 1
    recipient.refresh_from_db()
    assert recipient.opened_by == commune_user and recipient.opened_at is not None
    first = recipient.opened_at
    assert services.recipient_mark_opened(user=commune_user, document=sent) == 0
    recipient.refresh_from_db()
    assert recipient.opened_at == first


def test_recipients_are_limited_to_units_in_scope_or_above(tree, users, registers, doc_types):
    with pytest.raises(ValidationError, match="cannot send"):
        services.document_create_draft(
            actor=users.owner,
            register=registers.out,
            doc_type=doc_types.kh,
            summary="x",
            recipients=[tree.district_b],
        )


def test_incoming_documents_get_the_next_incoming_number_of_the_year(users, registers, doc_types):
    with freeze(datetime.date(2026, 12, 30)):
        a = services.document_register_incoming(
            actor=users.owner,
            register=registers.inc,
            doc_type=doc_types.nd,
            number_text="30/2020/nđ-cp",
            summary="Nghị định về công tác văn thư",
            issuer_name="Chính phủ",
            signing_date=datetime.date(2020, 3, 5),
        )
        b = services.document_register_incoming(
            actor=users.owner,
            register=registers.inc,
            doc_type=doc_types.nq,
            number_text="Số 35 - NQ/TW",
            summary="Nghị quyết",
            issuer_name="Bộ Chính trị",
        )
    with freeze(datetime.date(2027, 1, 2)):
        c = services.document_register_incoming(
            actor=users.owner,
            register=registers.inc,
            doc_type=doc_types.hd,
            number_text="36-HD/VPTW",
            summary="Hướng dẫn",
            issuer_name="Văn phòng Trung ương Đảng",
        )
    assert (a.incoming_number, b.incoming_number, c.incoming_number) == (1, 2, 1)
    assert a.number_key == "30/2020/NĐ-CP" and b.number_key == "35-NQ/TW"
    assert a.status == Document.Status.REGISTERED
    assert [d.pk for d in selectors.number_lookup(user=users.viewer, text="30/2020/NĐ-CP")] == [a.pk]


def test_routing_sets_status_and_the_target_unit_path(tree, users, registers, doc_types):
    doc = services.document_register_incoming(
        actor=users.owner,
        register=registers.inc,
        doc_type=doc_types.cv,
        number_text="125/UBND-VP",
        summary="Công văn",
        issuer_name="UBND tỉnh",
    )
    routing = services.document_route(
        actor=users.owner, document=doc, to_unit=tree.commune_a1, instruction="Xã chủ trì", deadline=None
    )
    doc.refresh_from_db()
    assert doc.status == Document.Status.ROUTED and routing.unit_path == tree.commune_a1.path
    with pytest.raises(ValidationError):
        services.document_route(actor=users.owner, document=doc, to_unit=tree.district_b)
    routed_user = services.document_route(
        actor=users.owner, document=doc, to_user=users.member, instruction="Xem"
    )
    assert routed_user.to_user == users.member
    assert selectors.routing_get_for_task(user=users.member, pk=routing.pk) == routing
    services.routing_link_task(actor=users.owner, routing=routing, task_id=42)
    routing.refresh_from_db()
    assert routing.task_id == 42
    services.document_mark_handled(actor=users.member, document=doc)
    doc.refresh_from_db()
    assert doc.status == Document.Status.HANDLED


def _incoming(users, registers, doc_type, number, summary="Văn bản", issuer="Trung ương"):
    return services.document_register_incoming(
        actor=users.owner,
        register=registers.inc,
        doc_type=doc_type,
        number_text=number,
        summary=summary,
        issuer_name=issuer,
    )


def test_references_form_a_chain_both_ways(users, registers, doc_types):
    central = _incoming(users, registers, doc_types.nq, "35-NQ/TW", "Nghị quyết 35")
    plan = _incoming(users, registers, doc_types.kh, "10-KH/TU", "Kế hoạch của Tỉnh ủy")
    with freeze(datetime.date(2026, 4, 1)):
        own = issue(users.owner, registers.out, doc_types.kh, summary="Kế hoạch của huyện")
        child = issue(users.owner, registers.out, doc_types.bc, summary="Báo cáo")
    services.reference_add(actor=users.owner, source=plan, target=central, kind="implements")
    services.reference_add(actor=users.owner, source=own, target=plan, kind="implements")
    services.reference_add(actor=users.owner, source=child, target=own, kind="based_on")
    with pytest.raises(ValidationError):
        services.reference_add(actor=users.owner, source=own, target=plan, kind="implements")
    with pytest.raises(ValidationError):
        services.reference_add(actor=users.owner, source=own, target=own, kind="implements")
    chain = selectors.document_chain(user=users.viewer, document=own)
    assert [n.document for n in chain.up] == [plan]
    assert [n.document for n in chain.up[0].links] == [central]
    assert [n.document for n in chain.down] == [child]
    assert chain.down[0].kind == "based_on"


def test_the_chain_shows_only_visible_documents_in_bounded_queries(
    tree, users, registers, doc_types, django_assert_max_num_queries
):
    hub = _incoming(users, registers, doc_types.nq, "35-NQ/TW")
    with freeze(datetime.date(2026, 4, 1)):
        for i in range(6):
            plan = issue(users.owner, registers.out, doc_types.kh, summary=f"Kế hoạch {i}")
            services.reference_add(actor=users.owner, source=plan, target=hub, kind="implements")
    b_out = services.register_create(
        actor=users.superuser, unit=tree.district_b, name="Sổ đi B", direction=Register.Direction.OUTGOING
    )
    with freeze(datetime.date(2026, 4, 1)):
        hidden = issue(users.superuser, b_out, doc_types.kh, summary="Kế hoạch Mai Châu")
    Reference.objects.create(source=hidden, target=hub, kind="implements")
    with django_assert_max_num_queries(2 * (selectors.CHAIN_DEPTH + 1) + 2):
        chain = selectors.document_chain(user=users.owner, document=hub)
    assert len(chain.down) == 6 and hidden not in [n.document for n in chain.down]


def test_reference_suggestions_match_numbers_in_the_text(users, registers, doc_types):
    central = _incoming(users, registers, doc_types.nq, "35-NQ/TW", "Nghị quyết 35")
    decree = _incoming(users, registers, doc_types.nd, "30/2020/NĐ-CP", "Nghị định 30")
    draft = services.document_create_draft(
        actor=users.owner,
        register=registers.out,
        doc_type=doc_types.kh,
        summary="Kế hoạch thực hiện Nghị quyết số 35 - NQ/TW ngày 22/10/2018",
        body_text="Căn cứ Nghị định số 30/2020/NĐ-CP; Quyết định 99/QĐ-XYZ không có trong hệ thống.",
    )
    found = selectors.reference_suggestions(user=users.owner, document=draft)
    assert {s.document for s in found} == {central, decree}
    services.reference_add(actor=users.owner, source=draft, target=central, kind="implements")
    assert {s.document for s in selectors.reference_suggestions(user=users.owner, document=draft)} == {decree}


def test_restricted_documents_are_hidden_from_people_not_named(users, registers, doc_types):
    doc = services.document_create_draft(
        actor=users.owner,
        register=registers.out,
        doc_type=doc_types.kh,
        summary="Hạn chế",
        confidentiality="restricted",
        restricted_to=[users.owner],
    )
    assert Document.objects.for_user(users.owner).filter(pk=doc.pk).exists()
    assert Document.objects.for_user(users.admin).filter(pk=doc.pk).exists()  # the issuing unit's admin
    assert not Document.objects.for_user(users.viewer).filter(pk=doc.pk).exists()
    assert not Document.objects.for_user(users.member).filter(pk=doc.pk).exists()


def test_an_issued_document_keeps_its_number_and_type(users, registers, doc_types):
    with freeze(datetime.date(2026, 4, 1)):
        doc = issue(users.owner, registers.out, doc_types.kh)
    with pytest.raises(ValidationError):
        services.document_update(
            actor=users.owner, document=doc, expected_version=doc.version, number_text="9/KH"
        )
    with pytest.raises(ValidationError):
        services.document_update(
            actor=users.owner, document=doc, expected_version=doc.version, doc_type=doc_types.qd
        )
    services.document_update(
        actor=users.owner, document=doc, expected_version=doc.version, summary="Sửa trích yếu"
    )
    with pytest.raises(ConflictError):
        services.document_update(actor=users.owner, document=doc, expected_version=1, summary="Cũ")


def test_registers_need_admins_and_document_types_superusers(tree, users):
    with pytest.raises(PermissionDenied):
        services.register_create(actor=users.owner, unit=tree.district_a, name="x", direction="outgoing")
    with pytest.raises(PermissionDenied):
        services.document_type_create(actor=users.admin, name="Loại mới", state_code="LM")
    t = services.document_type_create(actor=users.superuser, name="Loại mới", state_code="LM")
    services.document_type_update(
        actor=users.superuser, doc_type=t, expected_version=t.version, party_code="LMi"
    )
    t.refresh_from_db()
    assert t.party_code == "LMi"
    with pytest.raises(ValidationError):
        services.register_create(
            actor=users.admin, unit=tree.district_a, name="x", direction="outgoing", system="party"
        )
