"""Document registers, numbering counters, documents (outgoing and incoming), recipients, routing, references
between documents and attachments (Decree 30/2020/NĐ-CP; Guidance 36-HD/VPTW)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from steerdesk.core.models import BaseModel, CollationCField, PathField, ScopedModel
from steerdesk.core.scope import Role, subtree_q, user_grants


class DocumentType(BaseModel):
    """A kind of document (loại văn bản) with its codes in both systems; data, editable by admins."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    state_code = models.CharField(
        _("State code"), max_length=20, blank=True, help_text=_("Empty for an official letter (công văn).")
    )
    party_code = models.CharField(_("Party code"), max_length=20, blank=True)
    is_normative = models.BooleanField(
        _("normative legal document"),
        default=False,
        help_text=_("Numbered with the year, e.g. 30/2020/NĐ-CP."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("document type")
        verbose_name_plural = _("document types")

    def __str__(self) -> str:
        return self.name

    def code_for(self, system: str) -> str:
        return self.party_code if system == Register.System.PARTY else self.state_code


class Register(ScopedModel):
    """A numbered register (sổ đăng ký văn bản) of a unit or committee, outgoing or incoming."""

    class Direction(models.TextChoices):
        OUTGOING = "outgoing", _("Outgoing")
        INCOMING = "incoming", _("Incoming")

    class System(models.TextChoices):
        STATE = "state", _("State (Decree 30/2020)")
        PARTY = "party", _("Party (Guidance 36-HD/VPTW)")

    class Period(models.TextChoices):
        YEAR = "year", _("Per calendar year")
        TERM = "term", _("Per term of the Party committee")

    class Series(models.TextChoices):
        SINGLE = "single", _("One series for all types")
        PER_TYPE = "per_type", _("One series per document type")

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="registers"
    )
    committee = models.ForeignKey(
        "orgs.Committee",
        verbose_name=_("committee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registers",
    )
    name = models.CharField(_("name"), max_length=255)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    system = models.CharField(
        _("numbering system"), max_length=10, choices=System.choices, default=System.STATE
    )
    period = models.CharField(
        _("numbering period"), max_length=10, choices=Period.choices, default=Period.YEAR
    )
    series = models.CharField(_("series"), max_length=10, choices=Series.choices, default=Series.SINGLE)
    issuer_code = models.CharField(
        _("issuer code"),
        max_length=30,
        blank=True,
        help_text=_("e.g. UBND, BCĐ, TU — used in document numbers."),
    )
    term_start = models.DateField(
        _("term start"),
        null=True,
        blank=True,
        help_text=_("Party registers: the day after the congress closed."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["unit_path", "direction", "name"]
        verbose_name = _("register")
        verbose_name_plural = _("registers")
        constraints = [
            models.CheckConstraint(
                condition=~Q(period="term") | Q(term_start__isnull=False),
                name="documents_register_term_needs_start",
                violation_error_message=_("A per-term register needs the term's start date."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("documents:register_detail", args=[self.pk])


class NumberCounter(models.Model):
    """The last number handed out in one series of a register for one numbering period (year or term).

    Locked (SELECT … FOR UPDATE; SQLite's IMMEDIATE transactions serialise writers) while a number is assigned.
    """

    register = models.ForeignKey(Register, on_delete=models.CASCADE, related_name="counters")
    period_key = models.CharField(max_length=20)
    series_key = models.CharField(max_length=30)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["register", "period_key", "series_key"], name="documents_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.register_id}/{self.period_key}/{self.series_key}: {self.last_number}"


class Document(ScopedModel):
    """A document in a register: outgoing (drafted, signed, issued here) or incoming (received and registered)."""

    class Direction(models.TextChoices):
        OUTGOING = "outgoing", _("Outgoing")
        INCOMING = "incoming", _("Incoming")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")
        ISSUED = "issued", _("Issued")
        REGISTERED = "registered", _("Registered")
        ROUTED = "routed", _("Routed")
        HANDLED = "handled", _("Handled")

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent (Khẩn)")
        VERY_URGENT = "very_urgent", _("Very urgent (Thượng khẩn)")
        FLASH = "flash", _("Flash (Hỏa tốc)")

    class Confidentiality(models.TextChoices):
        PUBLIC = "public", _("Public")
        INTERNAL = "internal", _("Internal")
        RESTRICTED = "restricted", _("Restricted to named people")
        SECRET = "secret", _("Secret (metadata only)")

    class SecretLevel(models.TextChoices):
        NONE = "", _("—")
        MAT = "mat", _("Mật")
        TOI_MAT = "toi_mat", _("Tối mật")
        TUYET_MAT = "tuyet_mat", _("Tuyệt mật")

    class SigningAuthority(models.TextChoices):
        NONE = "", _("—")
        TM = "TM.", _("TM. (on behalf of the collective)")
        KT = "KT.", _("KT. (signing for the head)")
        TL = "TL.", _("TL. (by order of the head)")
        TUQ = "TUQ.", _("TUQ. (by authorisation)")

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="documents"
    )
    register = models.ForeignKey(
        Register, verbose_name=_("register"), on_delete=models.PROTECT, related_name="documents"
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    doc_type = models.ForeignKey(
        DocumentType, verbose_name=_("document type"), on_delete=models.PROTECT, related_name="documents"
    )
    # Numbering. For outgoing documents the number is assigned at issue; for incoming ones `number_text` is the
    # sender's number as written and `incoming_number` the number in this unit's incoming register.
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    number_text = models.CharField(_("document number"), max_length=100, blank=True)
    number_key = CollationCField(max_length=100, blank=True, db_index=True, editable=False)
    period_key = models.CharField(max_length=20, blank=True, editable=False)
    series_key = models.CharField(max_length=30, blank=True, editable=False)
    incoming_number = models.PositiveIntegerField(_("incoming number"), null=True, blank=True)
    incoming_date = models.DateField(_("incoming date"), null=True, blank=True)

    summary = models.CharField(_("summary (trích yếu)"), max_length=1000)
    body_text = models.TextField(_("body text"), blank=True)
    issuer_name = models.CharField(_("issuing body"), max_length=255, blank=True)
    signer_name = models.CharField(_("signed by"), max_length=200, blank=True)
    signer_title = models.CharField(_("signer's title"), max_length=200, blank=True)
    signing_authority = models.CharField(
        _("signing authority"), max_length=5, choices=SigningAuthority.choices, blank=True, default=""
    )
    signing_date = models.DateField(_("signing date"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    urgency = models.CharField(_("urgency"), max_length=12, choices=Urgency.choices, default=Urgency.NORMAL)
    confidentiality = models.CharField(
        _("confidentiality"), max_length=12, choices=Confidentiality.choices, default=Confidentiality.INTERNAL
    )
    secret_level = models.CharField(
        _("secret level"), max_length=10, choices=SecretLevel.choices, blank=True, default=""
    )
    external_recipients = models.TextField(
        _("external recipients"), blank=True, help_text=_("One body per line, e.g. Văn phòng Chính phủ.")
    )
    source = models.ForeignKey(
        "self",
        verbose_name=_("sent as"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
        help_text=_("For an incoming entry created by an internal issue: the outgoing document."),
    )
    restricted_to = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("restricted to"), blank=True, related_name="+"
    )
    # Folded tokens of number, summary, issuer and extracted text, maintained by the services (search index).
    search_tokens = models.TextField(blank=True, default="", editable=False)

    scope_addressed = ("recipients", "routings")

    class Meta:
        ordering = ["-issued_at", "-incoming_date", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.UniqueConstraint(
                fields=["register", "period_key", "series_key", "number"],
                condition=Q(number__isnull=False),
                name="documents_number_unique_in_series",
                violation_error_message=_("This number is already used in the register for this period."),
            ),
            models.UniqueConstraint(
                fields=["register", "period_key", "incoming_number"],
                condition=Q(incoming_number__isnull=False),
                name="documents_incoming_number_unique",
                violation_error_message=_("This incoming number is already used in the register this year."),
            ),
            models.CheckConstraint(
                condition=~Q(confidentiality="secret") | Q(body_text=""),
                name="documents_secret_has_no_body",
                violation_error_message=_(
                    "A secret document is registered by its metadata only, without text."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["unit_path", "-issued_at"], name="documents_unit_issued_idx"),
            models.Index(fields=["register", "status"], name="documents_register_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number_text} — {self.summary[:80]}" if self.number_text else self.summary[:100]

    def get_absolute_url(self) -> str:
        return reverse("documents:document_detail", args=[self.pk])

    @property
    def is_secret(self) -> bool:
        return self.confidentiality == self.Confidentiality.SECRET

    @classmethod
    def scope_restricted_q(cls, user) -> Q:
        """Restricted documents are hidden from everyone but their named people and the issuing unit's admins."""
        admin_paths = [path for path, role in user_grants(user) if role == Role.ADMIN]
        named = Exists(cls.restricted_to.through.objects.filter(document_id=OuterRef("pk"), user_id=user.pk))
        return (
            Q(confidentiality=cls.Confidentiality.RESTRICTED)
            & ~Q(named)
            & ~subtree_q("unit_path", admin_paths)
        )


class Recipient(models.Model):
    """An internal unit an outgoing document is sent to; carries the addressee's path (addressed-rows rule)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="recipients")
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    unit_path = PathField(_("unit path"))
    incoming = models.OneToOneField(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="delivered_from"
    )
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_path_field = "unit_path"

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        constraints = [
            models.UniqueConstraint(fields=["document", "unit"], name="documents_recipient_unique")
        ]

    def __str__(self) -> str:
        return f"{self.document_id} → {self.unit}"


class Routing(BaseModel):
    """Routing of an incoming document to a person or unit with an instruction (bút phê) and a deadline.

    `task_id` is the hook for the work app: the task created from this routing, when one is."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="routings")
    to_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("to unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="document_routings",
    )
    unit_path = PathField(_("unit path"), blank=True, default="")  # the target unit's: addressed-rows rule
    instruction = models.TextField(_("instruction"), blank=True)
    deadline = models.DateField(_("handling deadline"), null=True, blank=True)
    task_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("routing")
        verbose_name_plural = _("routings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_unit__isnull=False) | Q(to_user__isnull=False),
                name="documents_routing_has_target",
                violation_error_message=_("Route the document to a person or a unit."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.document_id} → {self.to_unit or self.to_user}"


class Reference(BaseModel):
    """A typed link between two documents: implements, based on, replaces, amends, guides.

    Shown only where both ends pass `Document.objects.for_user`."""

    class Kind(models.TextChoices):
        IMPLEMENTS = "implements", _("implements")
        BASED_ON = "based_on", _("is based on")
        REPLACES = "replaces", _("replaces")
        AMENDS = "amends", _("amends")
        GUIDES = "guides", _("guides")

    source = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="references_out")
    target = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="references_in")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)

    class Meta:
        verbose_name = _("reference")
        verbose_name_plural = _("references")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="documents_reference_unique"),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="documents_reference_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class Attachment(BaseModel):
    """A file of a document (PDF, DOCX, XLSX, ODT, image); new versions keep the old ones (`replaces`).

    Not scoped by itself: it is reached only through `Document.objects.for_user`, so the document's recipients
    see its files too."""

    class Extraction(models.TextChoices):
        PENDING = "pending", _("Waiting for text extraction")
        DONE = "done", _("Text extracted")
        OCR_DONE = "ocr_done", _("Text recognised (OCR)")
        OCR_UNAVAILABLE = "ocr_unavailable", _("Scanned file: OCR is not installed on this server")
        EMPTY = "empty", _("No text found")
        FAILED = "failed", _("Text extraction failed")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="attachments")
    original_name = models.CharField(_("file name"), max_length=255)
    storage_name = models.CharField(max_length=100, unique=True, editable=False)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, editable=False)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    is_current = models.BooleanField(default=True)
    extraction = models.CharField(max_length=20, choices=Extraction.choices, default=Extraction.PENDING)
    extracted_text = models.TextField(blank=True, default="", editable=False)

    class Meta:
        ordering = ["document", "original_name", "-revision"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class DocxTemplate(BaseModel):
    """A Word template uploaded by a superuser for DOCX generation (global: not tied to a unit).

    The file is kept in the database (at most `MAX_BYTES`): it is small, it changes with the row in one
    transaction and nothing has to be cleaned up on disk. Every template passed a trial render in the sandbox
    (`documents.docx.render_uploaded`) before it was stored. `created_by` is who uploaded it."""

    MAX_BYTES = 5 * 1024 * 1024

    class Kind(models.TextChoices):
        DECISION = "decision", _("Decision")
        PLAN = "plan", _("Plan")
        REPORT = "report", _("Report")
        INVITATION = "invitation", _("Invitation letter")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.OTHER)
    system = models.CharField(
        _("numbering system"), max_length=10, choices=Register.System.choices, default=Register.System.STATE
    )
    original_name = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("file"), editable=False)
    content.audit_exclude = True
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-is_active", "name", "id"]
        verbose_name = _("DOCX template")
        verbose_name_plural = _("DOCX templates")

    def __str__(self) -> str:
        return self.name

    @property
    def uploaded_by(self):
        return self.created_by
