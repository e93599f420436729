"""API error shape: Django ValidationError → 400, ConflictError → 409 with the current version (DESIGN §5)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from steerdesk.core.locking import ConflictError


def exception_handler(exc, context):
    if isinstance(exc, ConflictError):
        return Response(
            {"detail": exc.message, "code": "conflict", "current_version": exc.current_version},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            data = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
            if "__all__" in data:
                data["non_field_errors"] = data.pop("__all__")
        else:
            data = {"non_field_errors": [str(m) for m in exc.messages]}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"detail": str(exc) or "Permission denied."}, status=status.HTTP_403_FORBIDDEN)
    return drf_exception_handler(exc, context)
