"""REST API for the current user (/api/v1/me/) and API tokens (/api/v1/auth/token/)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django_otp import match_token, user_has_device
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from steerdesk.api.authentication import API_AUTHENTICATION

from .models import RoleGrant, User
from .twofactor import two_factor_required


class GrantSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    role = serializers.CharField(read_only=True, help_text="One of admin, secretary, member, viewer.")

    class Meta:
        model = RoleGrant
        fields = ["id", "unit", "unit_name", "role"]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="get_full_name", read_only=True)
    # Not "format: email": an account may have none, and "" is not an e-mail address.
    email = serializers.CharField(read_only=True, help_text="E-mail address; empty when unknown.")
    grants = GrantSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "email", "is_superuser", "person", "home_unit", "grants"]
        read_only_fields = fields


class MeView(APIView):
    """The current user and the roles they hold on unit subtrees."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        # One query for the grants with their units, whatever their number.
        grants = Prefetch("grants", queryset=RoleGrant.objects.select_related("unit").order_by("unit_path"))
        user = User.objects.prefetch_related(grants).get(pk=request.user.pk)
        return Response(MeSerializer(user).data)


class TokenObtainSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, write_only=True)
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="The current code of your authenticator app, if your account uses two-factor authentication.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class PostOrAuthenticated(BasePermission):
    """POST is open (it is how a client logs in); any other method answers like the rest of the API (401)."""

    def has_permission(self, request, view):
        return request.method == "POST" or bool(request.user and request.user.is_authenticated)


class TokenIssueView(APIView):
    """POST username and password (and the one-time code when two-factor is on) → an API token.

    Failed attempts count towards django-axes' lockout like a failed web login: after too many, 429.
    """

    # Token only (no session): a token request must not depend on a browser session or its CSRF cookie.
    authentication_classes = [TokenAuthentication]
    permission_classes = [PostOrAuthenticated]

    @extend_schema(
        request=TokenObtainSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Wrong credentials or one-time code."),
            403: OpenApiResponse(description="Two-factor authentication must be set up first."),
            429: OpenApiResponse(description="Locked out after too many failed attempts."),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenObtainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # Passing the request lets axes count the failure and refuse a locked-out username/address.
        user = authenticate(request=request, username=data["username"], password=data["password"])
        if getattr(request, "axes_locked_out", False):
            return Response(
                {"detail": _("Too many failed attempts. Try again later.")},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        if user is None:
            return Response(
                {"non_field_errors": [_("Unable to log in with the given username and password.")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if user_has_device(user, confirmed=True):
            if not data.get("otp") or match_token(user, data["otp"].strip()) is None:
                return Response(
                    {"otp": [_("Enter the current code of your authenticator app.")]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        elif two_factor_required(user):
            return Response(
                {"detail": _("Set up two-factor authentication in the web interface first.")},
                status=status.HTTP_403_FORBIDDEN,
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
