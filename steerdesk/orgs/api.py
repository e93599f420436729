"""REST API for units, committees, people and memberships (/api/v1/…). Thin: scope and locking come from
`steerdesk.api.base`, every write is a call to `orgs.services`.

Input serializers declare only what a client may set; output serializers are read-only. A unit is never
deleted (deactivate it), a membership never deleted (end or replace it: history is kept).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError

from steerdesk.api.base import ScopedCreateMixin, ScopedUpdateMixin, ScopedViewSet
from steerdesk.api.fields import (
    NFCCharField,
    ScopedPrimaryKeyRelatedField,
    VersionSerializer,
    int_query_param,
    version_field,
)
from steerdesk.core.scope import Role
from steerdesk.core.text import fold, tokens

from . import services
from .models import Committee, Membership, OrgUnit, Person

# ---------------------------------------------------------------------------------------------------------
# Output serializers (read-only)


class UnitSerializer(serializers.ModelSerializer):
    parent_name = serializers.CharField(source="parent.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = OrgUnit
        fields = [
            "id",
            "name",
            "short_name",
            "code",
            "kind",
            "parent",
            "parent_name",
            "path",
            "depth",
            "is_active",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CommitteeSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Committee
        fields = [
            "id",
            "unit",
            "unit_name",
            "name",
            "short_name",
            "code",
            "description",
            "established_by_ref",
            "established_on",
            "is_active",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PersonSerializer(serializers.ModelSerializer):
    home_unit_name = serializers.CharField(source="home_unit.name", read_only=True)
    # Not "format: email": many people have none, and "" is not an e-mail address.
    email = serializers.CharField(read_only=True, help_text="E-mail address; empty when unknown.")

    class Meta:
        model = Person
        fields = [
            "id",
            "full_name",
            "family_name",
            "middle_name",
            "given_name",
            "home_unit",
            "home_unit_name",
            "title",
            "email",
            "phone",
            "is_active",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer):
    committee_name = serializers.CharField(source="committee.name", read_only=True)
    unit = serializers.IntegerField(
        source="committee.unit_id", read_only=True, help_text="The committee's unit."
    )
    person_name = serializers.CharField(source="person.full_name", read_only=True)
    is_current = serializers.BooleanField(read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "committee",
            "committee_name",
            "unit",
            "person",
            "person_name",
            "role",
            "duty",
            "start_date",
            "end_date",
            "is_current",
            "decision_ref",
            "end_reason",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# ---------------------------------------------------------------------------------------------------------
# Input serializers: only these fields are ever read from a request body


class UnitUpdateSerializer(serializers.Serializer):
    name = NFCCharField(max_length=255)
    short_name = NFCCharField(max_length=100, required=False, allow_blank=True)
    code = NFCCharField(max_length=30, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=OrgUnit.Kind.choices)
    version = version_field()


class UnitCreateSerializer(serializers.Serializer):
    parent = ScopedPrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(), allow_null=True, help_text="The parent unit (null: a top-level unit)."
    )
    name = NFCCharField(max_length=255)
    short_name = NFCCharField(max_length=100, required=False, allow_blank=True)
    code = NFCCharField(max_length=30, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=OrgUnit.Kind.choices)


class UnitMoveSerializer(serializers.Serializer):
    parent = ScopedPrimaryKeyRelatedField(queryset=OrgUnit.objects.all(), help_text="The new parent unit.")
    version = version_field()


class CommitteeUpdateSerializer(serializers.Serializer):
    name = NFCCharField(max_length=255)
    short_name = NFCCharField(max_length=100, required=False, allow_blank=True)
    code = NFCCharField(max_length=30, required=False, allow_blank=True)
    description = NFCCharField(multiline=True, required=False, allow_blank=True)
    established_by_ref = NFCCharField(max_length=255, required=False, allow_blank=True)
    established_on = serializers.DateField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)
    version = version_field()


class CommitteeCreateSerializer(serializers.Serializer):
    unit = ScopedPrimaryKeyRelatedField(queryset=OrgUnit.objects.all())
    name = NFCCharField(max_length=255)
    short_name = NFCCharField(max_length=100, required=False, allow_blank=True)
    code = NFCCharField(max_length=30, required=False, allow_blank=True)
    description = NFCCharField(multiline=True, required=False, allow_blank=True)
    established_by_ref = NFCCharField(max_length=255, required=False, allow_blank=True)
    established_on = serializers.DateField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)


class PersonUpdateSerializer(serializers.Serializer):
    full_name = NFCCharField(max_length=200)
    family_name = NFCCharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Derived from the full name when left out.",
    )
    middle_name = NFCCharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Derived from the full name when left out.",
    )
    given_name = NFCCharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Derived from the full name when left out.",
    )
    title = NFCCharField(max_length=255, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = NFCCharField(max_length=30, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    version = version_field()


class PersonCreateSerializer(PersonUpdateSerializer):
    home_unit = ScopedPrimaryKeyRelatedField(queryset=OrgUnit.objects.all())
    version = None


class MembershipCreateSerializer(serializers.Serializer):
    committee = ScopedPrimaryKeyRelatedField(queryset=Committee.objects.all())
    person = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all())
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    start_date = serializers.DateField(required=False, help_text="Today when left out.")
    decision_ref = NFCCharField(max_length=255, required=False, allow_blank=True)
    duty = NFCCharField(max_length=255, required=False, allow_blank=True)


class MembershipEndSerializer(serializers.Serializer):
    end_date = serializers.DateField(required=False, help_text="Today when left out.")
    reason = NFCCharField(max_length=255, required=False, allow_blank=True)
    version = version_field()


class MembershipReplaceSerializer(serializers.Serializer):
    person = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), help_text="The new holder.")
    date = serializers.DateField(
        required=False, help_text="The day the change takes effect; today when left out."
    )
    decision_ref = NFCCharField(
        max_length=255, required=False, allow_blank=True, help_text="The current decision when left out."
    )
    reason = NFCCharField(max_length=255, required=False, allow_blank=True)
    version = version_field()


# ---------------------------------------------------------------------------------------------------------
# Filters

UNIT_PARAM = OpenApiParameter(
    "unit", OpenApiTypes.INT, description="Only rows in the subtree of this unit (the unit included)."
)


def _unit_filter(request, queryset):
    """Narrow `queryset` to the subtree of the `unit` query parameter; 400 when it is not a visible unit."""
    raw = request.query_params.get("unit")
    if raw in (None, ""):
        return queryset
    unit = None
    if raw.isascii() and raw.isdigit() and len(raw) <= 18:  # "²" is a digit to str.isdigit()
        unit = OrgUnit.objects.for_user(request.user).filter(pk=int(raw)).only("path").first()
    if unit is None:
        raise ValidationError({"unit": [_("Unknown unit.")]})
    return queryset.in_subtree(unit.path)


def _bool_param(request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    value = raw.strip().lower()
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise ValidationError({name: [_("Use true or false.")]})


def _people_matching(queryset, q: str):
    """People whose name, title, e-mail or phone contains every folded token of `q` (VIETNAMESE.md §1):
    `hoa binh` finds `Hòa Bình` and `Hoà Bình`, `dang` finds `Đặng`.

    Folding happens in Python because neither database folds Vietnamese (đ, tone placement) the same way.
    One narrow query reads the candidates' text; the list query then filters by id.
    """
    wanted = tokens(q)
    if not wanted:
        return queryset
    ids = [
        pk
        for pk, *texts in queryset.values_list("pk", "full_name", "title", "email", "phone").order_by()
        if all(token in fold(" ".join(texts)) for token in wanted)
    ]
    return queryset.filter(pk__in=ids)


# ---------------------------------------------------------------------------------------------------------
# Viewsets


@extend_schema_view(list=extend_schema(parameters=[UNIT_PARAM]))
class UnitViewSet(ScopedCreateMixin, ScopedUpdateMixin, ScopedViewSet):
    """Units of the tree (đơn vị). Creating, renaming, moving and deactivating need the admin role."""

    model = OrgUnit
    write_role = Role.ADMIN
    serializer_class = UnitSerializer
    create_serializer_class = UnitCreateSerializer
    update_serializer_class = UnitUpdateSerializer

    def scope_queryset(self, queryset):
        return queryset.select_related("parent")

    def filter_queryset(self, queryset):
        return _unit_filter(self.request, queryset)

    def perform_create(self, serializer):
        return services.unit_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer, *, expected_version):
        return services.unit_update(
            actor=self.request.user,
            unit=serializer.instance,
            expected_version=expected_version,
            **serializer.validated_data,
        )

    @extend_schema(request=UnitMoveSerializer, responses=UnitSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the unit and its whole subtree under another parent."""
        unit = self.get_object()
        expected_version = self.expected_version(request)
        data = self.validated_input(UnitMoveSerializer)
        unit = services.unit_move(
            actor=request.user, unit=unit, new_parent=data["parent"], expected_version=expected_version
        )
        return self.output(unit)

    @extend_schema(request=VersionSerializer, responses=UnitSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """Mark the unit inactive (units are never deleted)."""
        unit = self.get_object()
        expected_version = self.expected_version(request)
        self.validated_input(VersionSerializer)
        unit = services.unit_deactivate(actor=request.user, unit=unit, expected_version=expected_version)
        return self.output(unit)


@extend_schema_view(list=extend_schema(parameters=[UNIT_PARAM]))
class CommitteeViewSet(ScopedCreateMixin, ScopedUpdateMixin, ScopedViewSet):
    """Steering committees (ban chỉ đạo). Writes need the secretary role over the committee's unit."""

    model = Committee
    serializer_class = CommitteeSerializer
    create_serializer_class = CommitteeCreateSerializer
    update_serializer_class = CommitteeUpdateSerializer

    def scope_queryset(self, queryset):
        return queryset.select_related("unit")

    def filter_queryset(self, queryset):
        return _unit_filter(self.request, queryset)

    def perform_create(self, serializer):
        return services.committee_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer, *, expected_version):
        return services.committee_update(
            actor=self.request.user,
            committee=serializer.instance,
            expected_version=expected_version,
            **serializer.validated_data,
        )


@extend_schema_view(
    list=extend_schema(
        parameters=[
            UNIT_PARAM,
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="Search in name, title, e-mail and phone, with or without diacritics.",
            ),
        ]
    )
)
class PersonViewSet(ScopedCreateMixin, ScopedUpdateMixin, ScopedViewSet):
    """People (cán bộ), sorted by given name in Vietnamese order."""

    model = Person
    serializer_class = PersonSerializer
    create_serializer_class = PersonCreateSerializer
    update_serializer_class = PersonUpdateSerializer

    def scope_queryset(self, queryset):
        return queryset.select_related("home_unit")

    def filter_queryset(self, queryset):
        queryset = _unit_filter(self.request, queryset)
        q = self.request.query_params.get("q", "")
        return _people_matching(queryset, q) if q.strip() else queryset

    def perform_create(self, serializer):
        return services.person_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer, *, expected_version):
        return services.person_update(
            actor=self.request.user,
            person=serializer.instance,
            expected_version=expected_version,
            **serializer.validated_data,
        )


@extend_schema_view(
    list=extend_schema(
        parameters=[
            UNIT_PARAM,
            OpenApiParameter("committee", OpenApiTypes.INT, description="Only this committee's memberships."),
            OpenApiParameter("person", OpenApiTypes.INT, description="Only this person's memberships."),
            OpenApiParameter(
                "current",
                OpenApiTypes.BOOL,
                description="true: only current memberships; false: only ended ones.",
            ),
        ]
    )
)
class MembershipViewSet(ScopedCreateMixin, ScopedViewSet):
    """Who holds which position or group in which committee, and when. Created by appointing; changed only by
    ending or replacing (history is never deleted)."""

    model = Membership
    serializer_class = MembershipSerializer
    create_serializer_class = MembershipCreateSerializer

    def scope_queryset(self, queryset):
        return queryset.select_related("committee", "person")

    def filter_queryset(self, queryset):
        queryset = _unit_filter(self.request, queryset)
        for name in ("committee", "person"):
            value = int_query_param(self.request, name)
            if value is not None:
                queryset = queryset.filter(**{f"{name}_id": value})
        current = _bool_param(self.request, "current")
        if current is not None:
            queryset = queryset.filter(end_date__isnull=current)
        return queryset

    def perform_create(self, serializer):
        return services.membership_appoint(actor=self.request.user, **serializer.validated_data)

    @extend_schema(request=MembershipEndSerializer, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """End the membership (the row stays in the history)."""
        membership = self.get_object()
        expected_version = self.expected_version(request)
        data = self.validated_input(MembershipEndSerializer)
        membership = services.membership_end(
            actor=request.user, membership=membership, expected_version=expected_version, **data
        )
        return self.output(membership)

    @extend_schema(request=MembershipReplaceSerializer, responses={201: MembershipSerializer})
    @action(detail=True, methods=["post"])
    def replace(self, request, pk=None):
        """End the membership and appoint another person to the same position; returns the new membership."""
        membership = self.get_object()
        expected_version = self.expected_version(request)
        data = self.validated_input(MembershipReplaceSerializer)
        new = services.membership_replace(
            actor=request.user,
            membership=membership,
            new_person=data.pop("person"),
            expected_version=expected_version,
            **data,
        )
        return self.output(new, status_code=status.HTTP_201_CREATED)
