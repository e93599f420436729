"""factory-boy factories for document types, registers, documents and attachments, written straight to the ORM
(the services have their own tests). A created document is indexed for search, as the services do."""

import factory

from steerdesk.documents.models import Attachment, Document, DocumentType, Register
from steerdesk.orgs.tests.factories import OrgUnitFactory


class DocumentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DocumentType
        django_get_or_create = ("name",)

    name = "Quyết định"
    state_code = "QĐ"
    party_code = "QĐ"


class RegisterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Register

    unit = factory.SubFactory(OrgUnitFactory)
    unit_path = factory.LazyAttribute(lambda o: o.unit.path)
    name = factory.Sequence(lambda n: f"Sổ văn bản đi {n}")
    direction = Register.Direction.OUTGOING
    issuer_code = "UBND"


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    unit = factory.SubFactory(OrgUnitFactory)
    unit_path = factory.LazyAttribute(lambda o: o.unit.path)
    register = factory.SubFactory(
        RegisterFactory, unit=factory.SelfAttribute("..unit"), direction=factory.SelfAttribute("..direction")
    )
    direction = Document.Direction.OUTGOING
    status = Document.Status.ISSUED
    doc_type = factory.SubFactory(DocumentTypeFactory)
    summary = factory.Sequence(lambda n: f"Văn bản số {n}")
    confidentiality = Document.Confidentiality.INTERNAL

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from steerdesk.documents import numbering, search

        if kwargs.get("number_text") and not kwargs.get("number_key"):
            kwargs["number_key"] = numbering.normalize_number(kwargs["number_text"])
        document = super()._create(model_class, *args, **kwargs)
        search.index_document(document)
        return document


class AttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attachment

    document = factory.SubFactory(DocumentFactory)
    original_name = "van-ban.pdf"
    storage_name = factory.Sequence(lambda n: f"test/{n:08d}.bin")
    content_type = "application/pdf"
    size = 100
    sha256 = "0" * 64
    extraction = Attachment.Extraction.DONE
