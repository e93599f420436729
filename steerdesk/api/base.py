"""The DRF base every API viewset builds on (NetBox's `BaseViewSet` with `restrict()`, DESIGN §3).

- Scope is applied once: `get_queryset()` starts from `model.objects.for_user(request.user)`; an object outside
  scope is 404 whatever the method (even one the endpoint does not allow), so nothing leaks through a 405.
- Writes go through services: the mixins validate an *input* serializer (only the fields it declares are read,
  so ids, paths, timestamps and versions in the body are ignored) and hand `validated_data` to
  `perform_create` / `perform_update` / `perform_destroy`, which subclasses implement by calling a service.
  Responses use the *output* serializer (`serializer_class`).
- Write permission: a user who cannot write (`write_role` over the object's unit, or anywhere for a create) gets
  403 before the body is even validated; services check again and raise PermissionDenied (→ 403).
- Optimistic locking: PUT/PATCH (and actions that change an object) must send `version`; missing → 400, stale →
  409 with `current_version` (raised by the service as ConflictError, see api/exceptions.py).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from steerdesk.core.scope import ROLE_RANK, Role, has_role, user_grants

from .authentication import API_AUTHENTICATION

VERSION_HELP = (
    "The `version` you loaded; required, so that nobody else's change is overwritten (409 if stale)."
)


class ScopedAutoSchema(AutoSchema):
    """Document writes with the input serializer as the request body and the output serializer as the response."""

    def get_response_serializers(self):
        if self.method not in SAFE_METHODS and self.method != "DELETE":
            output = getattr(self.view, "serializer_class", None)
            if output is not None:
                return output
        return super().get_response_serializers()


class ScopedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Read endpoints (list, retrieve) on `model`, scoped to the requesting user. Add the Scoped*Mixin below for
    writes. Subclasses set `model`, `serializer_class` (output), and narrow or filter in `scope_queryset` /
    `filter_queryset`."""

    model: type[models.Model]
    lookup_value_converter = "int"  # ids are integers: anything else is 404 at the URL resolver
    write_role: str = Role.SECRETARY
    authentication_classes = API_AUTHENTICATION
    schema = ScopedAutoSchema()

    # -- reads ---------------------------------------------------------------------------------------------

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return self.model._default_manager.none()
        return self.scope_queryset(self.model.objects.for_user(self.request.user))

    def scope_queryset(self, queryset):
        """Hook for `select_related`/`prefetch_related`; must only narrow the queryset."""
        return queryset

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Resolve the object before DRF picks the handler: an out-of-scope id is 404 for every method.
        if (self.lookup_url_kwarg or self.lookup_field) in self.kwargs:
            self._scoped_object = self._lookup_object()

    def _lookup_object(self) -> models.Model:
        raw = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        try:
            pk = int(raw)
        except (TypeError, ValueError) as exc:
            raise Http404 from exc
        obj = self.get_queryset().filter(pk=pk).first()
        if obj is None:
            raise Http404
        return obj

    def get_object(self) -> models.Model:
        obj = getattr(self, "_scoped_object", None) or self._lookup_object()
        if self.request.method not in SAFE_METHODS:
            self.check_write_permission(obj)
        return obj

    # -- write permission ----------------------------------------------------------------------------------

    def check_write_permission(self, obj: models.Model) -> None:
        """403 unless the user holds `write_role` over the object's unit."""
        path = getattr(obj, obj.scope_path_field)
        if not has_role(self.request.user, path, self.write_role):
            raise PermissionDenied(_("You do not have permission to change this."))

    def check_create_permission(self) -> None:
        """403 for a user who holds `write_role` nowhere (a viewer); the service checks the exact unit."""
        user = self.request.user
        if user.is_superuser:
            return
        needed = ROLE_RANK[self.write_role]
        if not any(ROLE_RANK[role] >= needed for _path, role in user_grants(user)):
            raise PermissionDenied(_("You do not have permission to change this."))

    # -- helpers -------------------------------------------------------------------------------------------

    def expected_version(self, request) -> int:
        """The `version` sent in the body: 400 with a message when it is missing or not a number."""
        raw = request.data.get("version") if hasattr(request.data, "get") else None
        if raw is None or raw == "":
            raise ValidationError(
                {
                    "version": [
                        _(
                            "This field is required: send the version you loaded, so that nobody else's "
                            "changes are overwritten."
                        )
                    ]
                }
            )
        try:
            version = int(raw)
        except (TypeError, ValueError) as exc:
            raise ValidationError({"version": [_("A whole number is required.")]}) from exc
        if isinstance(raw, bool) or version < 1:
            raise ValidationError({"version": [_("A whole number is required.")]})
        return version

    def validated_input(self, serializer_class, **kwargs) -> dict[str, Any]:
        """Validate the request body with an input serializer; return only its declared fields, without version."""
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        return data

    def output(self, instance: models.Model, *, status_code: int = status.HTTP_200_OK) -> Response:
        """Respond with the output serializer (`serializer_class`)."""
        serializer = self.serializer_class(instance, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code)


class ScopedCreateMixin:
    """POST on the list: `create_serializer_class` validates, `perform_create(serializer)` calls the service and
    returns the new object."""

    create_serializer_class = None

    def get_serializer_class(self):
        if getattr(self, "action", None) == "create":
            return self.create_serializer_class
        return super().get_serializer_class()

    def create(self, request, *args, **kwargs):
        self.check_create_permission()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.validated_data.pop("version", None)
        instance = self.perform_create(serializer)
        return self.output(instance, status_code=status.HTTP_201_CREATED)

    def perform_create(self, serializer) -> models.Model:
        raise NotImplementedError


class ScopedUpdateMixin:
    """PUT/PATCH on an object: `version` is required; `update_serializer_class` validates;
    `perform_update(serializer, expected_version=…)` calls the service (`serializer.instance` is the object)."""

    update_serializer_class = None

    def get_serializer_class(self):
        if getattr(self, "action", None) in ("update", "partial_update"):
            return self.update_serializer_class
        return super().get_serializer_class()

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        expected_version = self.expected_version(request)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        serializer.validated_data.pop("version", None)
        instance = self.perform_update(serializer, expected_version=expected_version)
        return self.output(instance)

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def perform_update(self, serializer, *, expected_version: int) -> models.Model:
        raise NotImplementedError


class ScopedDestroyMixin:
    """DELETE on an object: `perform_destroy(instance)` calls the service. Most SteerDesk records are never
    deleted (history is kept): prefer an action that ends or deactivates them."""

    def destroy(self, request, *args, **kwargs):
        self.perform_destroy(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_destroy(self, instance: models.Model) -> None:
        raise NotImplementedError
