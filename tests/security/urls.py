"""The project's URLs plus views that fail on purpose, for the error-page tests (test_error_pages.py)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import include, path
from rest_framework.decorators import api_view, authentication_classes, permission_classes

SECRET_MARKER = "s3cr3t-marker-from-the-code"


def boom(request):
    raise RuntimeError(f"database password is {SECRET_MARKER}")


def forbidden(request):
    # PermissionDenied messages are written for users (services raise them with a translated reason).
    raise PermissionDenied("<b>Only the unit's secretary</b> may do this.")


def suspicious(request):
    raise SuspiciousOperation(SECRET_MARKER)


@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def api_boom(request):
    raise KeyError(SECRET_MARKER)


urlpatterns = [
    path("test-errors/boom/", boom),
    path("test-errors/forbidden/", forbidden),
    path("test-errors/suspicious/", suspicious),
    path("api/v1/test-errors/boom/", api_boom),
    path("", include("steerdesk.urls")),
]
