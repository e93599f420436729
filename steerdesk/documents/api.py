"""REST API of registers, documents and references (/api/v1/…). Thin: scope and locking come from
`steerdesk.api.base`; every write is a call to `documents.services`.

Input serializers declare only what a client may set (no mass assignment: numbers, statuses, paths and
versions in a body are ignored); output serializers are read-only. Stale versions answer 409.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from steerdesk.accounts.models import User
from steerdesk.api.authentication import API_AUTHENTICATION
from steerdesk.api.base import (
    ScopedCreateMixin,
    ScopedDestroyMixin,
    ScopedUpdateMixin,
    ScopedViewSet,
)
from steerdesk.api.fields import (
    NFCCharField,
    ScopedPrimaryKeyRelatedField,
    VersionSerializer,
    int_query_param,
    text_query_param,
    version_field,
)
from steerdesk.core.scope import Role, has_role
from steerdesk.orgs.models import Committee, OrgUnit

from . import search, selectors, services
from .models import Document, DocumentType, Recipient, Reference, Register, Routing

# ---------------------------------------------------------------------------------------------------------
# Output serializers


class DocumentTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentType
        fields = ["id", "name", "state_code", "party_code", "is_normative", "is_active", "version"]
        read_only_fields = fields


class RegisterSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Register
        fields = [
            "id",
            "unit",
            "unit_name",
            "committee",
            "name",
            "direction",
            "system",
            "period",
            "series",
            "issuer_code",
            "term_start",
            "is_active",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RecipientSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Recipient
        fields = ["unit", "unit_name", "incoming", "opened_at"]
        read_only_fields = fields


class RoutingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Routing
        fields = ["id", "document", "to_unit", "to_user", "instruction", "deadline", "task_id", "created_at"]
        read_only_fields = fields


class DocumentSerializer(serializers.ModelSerializer):
    doc_type_name = serializers.CharField(source="doc_type.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "unit",
            "unit_name",
            "register",
            "direction",
            "status",
            "doc_type",
            "doc_type_name",
            "number",
            "number_text",
            "incoming_number",
            "incoming_date",
            "summary",
            "body_text",
            "issuer_name",
            "signer_name",
            "signer_title",
            "signing_authority",
            "signing_date",
            "place",
            "issued_at",
            "urgency",
            "confidentiality",
            "secret_level",
            "external_recipients",
            "source",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DocumentDetailSerializer(DocumentSerializer):
    recipients = RecipientSerializer(many=True, read_only=True)
    routings = RoutingSerializer(many=True, read_only=True)

    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "recipients", "routings"]
        read_only_fields = fields


class ReferenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reference
        fields = ["id", "source", "target", "kind", "created_at"]
        read_only_fields = fields


# ---------------------------------------------------------------------------------------------------------
# Input serializers


class RegisterUpdateSerializer(serializers.Serializer):
    name = NFCCharField(max_length=255)
    system = serializers.ChoiceField(choices=Register.System.choices, required=False)
    period = serializers.ChoiceField(choices=Register.Period.choices, required=False)
    series = serializers.ChoiceField(choices=Register.Series.choices, required=False)
    issuer_code = NFCCharField(max_length=30, required=False, allow_blank=True)
    term_start = serializers.DateField(required=False, allow_null=True)
    committee = ScopedPrimaryKeyRelatedField(
        queryset=Committee.objects.all(), required=False, allow_null=True
    )
    is_active = serializers.BooleanField(required=False)
    version = version_field()


class RegisterCreateSerializer(RegisterUpdateSerializer):
    unit = ScopedPrimaryKeyRelatedField(queryset=OrgUnit.objects.all())
    direction = serializers.ChoiceField(choices=Register.Direction.choices)
    version = None


class _DocumentFields(serializers.Serializer):
    doc_type = serializers.PrimaryKeyRelatedField(queryset=DocumentType.objects.filter(is_active=True))
    summary = NFCCharField(max_length=1000)
    body_text = NFCCharField(multiline=True, required=False, allow_blank=True)
    signer_name = NFCCharField(max_length=200, required=False, allow_blank=True)
    signer_title = NFCCharField(max_length=200, required=False, allow_blank=True)
    urgency = serializers.ChoiceField(choices=Document.Urgency.choices, required=False)
    confidentiality = serializers.ChoiceField(choices=Document.Confidentiality.choices, required=False)
    secret_level = serializers.ChoiceField(
        choices=Document.SecretLevel.choices, required=False, allow_blank=True
    )
    restricted_to = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )


class DraftCreateSerializer(_DocumentFields):
    register = ScopedPrimaryKeyRelatedField(queryset=Register.objects.all())
    signing_authority = serializers.ChoiceField(
        choices=Document.SigningAuthority.choices, required=False, allow_blank=True
    )
    place = NFCCharField(max_length=100, required=False, allow_blank=True)
    external_recipients = NFCCharField(multiline=True, required=False, allow_blank=True)
    recipients = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.filter(is_active=True),
        many=True,
        required=False,
        help_text="Internal units (in your scope or above it).",
    )


class DraftUpdateSerializer(DraftCreateSerializer):
    register = None
    version = version_field()


class IncomingCreateSerializer(_DocumentFields):
    register = ScopedPrimaryKeyRelatedField(queryset=Register.objects.all())
    number_text = NFCCharField(max_length=100, help_text="Their number as written, e.g. 35-NQ/TW.")
    issuer_name = NFCCharField(max_length=255)
    signing_date = serializers.DateField(required=False, allow_null=True)
    incoming_date = serializers.DateField(required=False, allow_null=True, help_text="Today when left out.")


class IncomingUpdateSerializer(IncomingCreateSerializer):
    register = None
    version = version_field()


class SignSerializer(serializers.Serializer):
    signer_name = NFCCharField(max_length=200)
    signer_title = NFCCharField(max_length=200, required=False, allow_blank=True)
    signing_authority = serializers.ChoiceField(
        choices=Document.SigningAuthority.choices, required=False, allow_blank=True
    )
    signing_date = serializers.DateField(required=False, allow_null=True)
    place = NFCCharField(max_length=100, required=False, allow_blank=True)
    version = version_field()


class RouteSerializer(serializers.Serializer):
    to_unit = ScopedPrimaryKeyRelatedField(queryset=OrgUnit.objects.all(), required=False, allow_null=True)
    to_user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    instruction = NFCCharField(multiline=True, required=False, allow_blank=True)
    deadline = serializers.DateField(required=False, allow_null=True)


class ReferenceCreateSerializer(serializers.Serializer):
    source = ScopedPrimaryKeyRelatedField(queryset=Document.objects.all())
    target = ScopedPrimaryKeyRelatedField(queryset=Document.objects.all())
    kind = serializers.ChoiceField(choices=Reference.Kind.choices)


# ---------------------------------------------------------------------------------------------------------
# Viewsets


class DocumentTypeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Document types with their codes in both systems (read-only; superusers edit them on the pages)."""

    serializer_class = DocumentTypeSerializer
    authentication_classes = API_AUTHENTICATION
    queryset = DocumentType.objects.all()

    def get_queryset(self):
        if not self.request.user.is_authenticated:
            return DocumentType.objects.none()
        return DocumentType.objects.all()


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("direction", OpenApiTypes.STR, enum=["outgoing", "incoming"])]
    )
)
class RegisterViewSet(ScopedCreateMixin, ScopedUpdateMixin, ScopedViewSet):
    """Registers (sổ đăng ký văn bản). Creating and editing need the admin role over the unit."""

    model = Register
    write_role = Role.ADMIN
    serializer_class = RegisterSerializer
    create_serializer_class = RegisterCreateSerializer
    update_serializer_class = RegisterUpdateSerializer

    def scope_queryset(self, queryset):
        return queryset.select_related("unit")

    def filter_queryset(self, queryset):
        direction = self.request.query_params.get("direction")
        if direction:
            if direction not in Register.Direction.values:
                raise ValidationError({"direction": [_("Use outgoing or incoming.")]})
            queryset = queryset.filter(direction=direction)
        return queryset

    def perform_create(self, serializer):
        return services.register_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer, *, expected_version):
        return services.register_update(
            actor=self.request.user,
            register=serializer.instance,
            expected_version=expected_version,
            **serializer.validated_data,
        )


def _search_ids(user, query: str):
    """Ids of the documents matching `query` (accent-insensitive tokens, or the exact number): the set
    `search.matching_documents` returns, the same on SQLite and PostgreSQL."""
    return search.matching_documents(user=user, query=query).values("pk")


DOCUMENT_FILTERS = [
    OpenApiParameter(
        "search", OpenApiTypes.STR, description="Accent-insensitive full text and exact numbers."
    ),
    OpenApiParameter("number", OpenApiTypes.STR, description="Exact number, however spelled (01/qđ-ubnd)."),
    OpenApiParameter("register", OpenApiTypes.INT),
    OpenApiParameter("direction", OpenApiTypes.STR, enum=["outgoing", "incoming"]),
    OpenApiParameter("status", OpenApiTypes.STR),
    OpenApiParameter("doc_type", OpenApiTypes.INT),
    OpenApiParameter("year", OpenApiTypes.INT),
    OpenApiParameter("date_from", OpenApiTypes.DATE),
    OpenApiParameter("date_to", OpenApiTypes.DATE),
]


def _date_param(request, name):
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return serializers.DateField().to_internal_value(raw)
    except serializers.ValidationError as exc:
        raise ValidationError({name: exc.detail}) from exc


@extend_schema_view(list=extend_schema(parameters=DOCUMENT_FILTERS))
class DocumentViewSet(ScopedCreateMixin, ScopedUpdateMixin, ScopedViewSet):
    """Documents (văn bản), outgoing and incoming. POST creates an outgoing draft; `register-incoming`
    registers a received document; `sign` and `issue` move a draft to issued (the number is assigned at issue)."""

    model = Document
    serializer_class = DocumentSerializer
    create_serializer_class = DraftCreateSerializer

    def get_serializer_class(self):
        if getattr(self, "action", None) == "retrieve":
            return DocumentDetailSerializer
        if getattr(self, "action", None) in ("update", "partial_update"):
            obj = getattr(self, "_scoped_object", None)
            if obj is not None and obj.direction == Document.Direction.INCOMING:
                return IncomingUpdateSerializer
            return DraftUpdateSerializer
        return super().get_serializer_class()

    def output(self, instance, *, status_code=status.HTTP_200_OK):
        instance = selectors.document_get(user=self.request.user, pk=instance.pk)
        return super().output(instance, status_code=status_code)

    def scope_queryset(self, queryset):
        qs = queryset.select_related("doc_type", "unit")
        if getattr(self, "action", None) == "retrieve":
            qs = qs.prefetch_related("recipients__unit", "routings")
        return qs

    def filter_queryset(self, queryset):
        p = self.request.query_params
        direction = p.get("direction", "")
        if direction and direction not in Document.Direction.values:
            raise ValidationError({"direction": [_("Use outgoing or incoming.")]})
        status_value = p.get("status", "")
        if status_value and status_value not in Document.Status.values:
            raise ValidationError({"status": [_("Unknown status.")]})
        filters = selectors.DocumentFilters(
            direction=direction,
            status=status_value,
            year=int_query_param(self.request, "year", min_value=1, max_value=9999),
            date_from=_date_param(self.request, "date_from"),
            date_to=_date_param(self.request, "date_to"),
        )
        qs = selectors.apply_document_filters(queryset, filters)
        for name in ("register", "doc_type"):
            value = int_query_param(self.request, name)
            if value is not None:
                qs = qs.filter(**{f"{name}_id": value})
        number = text_query_param(self.request, "number")
        if number:
            qs = qs.filter(pk__in=selectors.number_lookup(user=self.request.user, text=number).values("pk"))
        query = text_query_param(self.request, "search", max_length=10_000).strip()
        if query:
            qs = qs.filter(pk__in=_search_ids(self.request.user, query[:500]))
        return qs.order_by("-issued_at", "-incoming_date", "-id")

    def perform_create(self, serializer):
        return services.document_create_draft(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer, *, expected_version):
        return services.document_update(
            actor=self.request.user,
            document=serializer.instance,
            expected_version=expected_version,
            **serializer.validated_data,
        )

    @extend_schema(request=IncomingCreateSerializer, responses={201: DocumentSerializer})
    @action(detail=False, methods=["post"], url_path="register-incoming")
    def register_incoming(self, request):
        """Register a received document in an incoming register (its number, issuer, date; next incoming no.)."""
        self.check_create_permission()
        data = self.validated_input(IncomingCreateSerializer)
        document = services.document_register_incoming(actor=request.user, **data)
        return self.output(document, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=SignSerializer, responses=DocumentSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """Draft → signed."""
        document = self.get_object()
        expected_version = self.expected_version(request)
        data = self.validated_input(SignSerializer)
        if not data.get("signing_date"):
            data.pop("signing_date", None)
        document = services.document_sign(
            actor=request.user, document=document, expected_version=expected_version, **data
        )
        return self.output(document)

    @extend_schema(request=VersionSerializer, responses=DocumentSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        """Signed → issued: assigns the next number of the series; delivers to internal recipients."""
        document = self.get_object()
        expected_version = self.expected_version(request)
        self.validated_input(VersionSerializer)
        document = services.document_issue(
            actor=request.user, document=document, expected_version=expected_version
        )
        return self.output(document)

    @extend_schema(request=RouteSerializer, responses={201: RoutingSerializer})
    @action(detail=True, methods=["post"])
    def route(self, request, pk=None):
        """Route a received document to a unit and/or a person with an instruction and a deadline."""
        document = self.get_object()
        data = self.validated_input(RouteSerializer)
        routing = services.document_route(actor=request.user, document=document, **data)
        return Response(RoutingSerializer(routing).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=VersionSerializer, responses=DocumentSerializer)
    @action(detail=True, methods=["post"])
    def handled(self, request, pk=None):
        """Mark a received document handled."""
        document = self.get_object()
        expected_version = self.expected_version(request)
        document = services.document_mark_handled(
            actor=request.user, document=document, expected_version=expected_version
        )
        return self.output(document)

    def check_write_permission(self, obj):
        if self.action == "handled" and obj.routings.filter(to_user_id=self.request.user.pk).exists():
            return
        super().check_write_permission(obj)


class ReferenceViewSet(ScopedCreateMixin, ScopedDestroyMixin, ScopedViewSet):
    """Typed links between documents (implements, based on, replaces, amends, guides); both ends visible."""

    model = Reference
    serializer_class = ReferenceSerializer
    create_serializer_class = ReferenceCreateSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Reference.objects.none()
        return selectors.reference_list(user=self.request.user).order_by("id")

    def check_write_permission(self, obj):
        if not has_role(self.request.user, obj.source.unit_path, self.write_role):
            raise PermissionDenied(_("You do not have permission to change this."))

    def perform_create(self, serializer):
        return services.reference_add(actor=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.reference_remove(actor=self.request.user, reference=instance)
