"""/api/v1/: the router of every app's viewsets (namespace "api"), the token and "me" endpoints, the OpenAPI
schema (`schema`) and Swagger UI (`swagger-ui`)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from steerdesk.accounts.api import MeView, TokenIssueView
from steerdesk.documents.api import DocumentTypeViewSet, DocumentViewSet, ReferenceViewSet, RegisterViewSet
from steerdesk.orgs.api import CommitteeViewSet, MembershipViewSet, PersonViewSet, UnitViewSet
from steerdesk.work.api import (
    AssignmentViewSet,
    NotificationViewSet,
    PlanViewSet,
    RollupViewSet,
    TaskViewSet,
)

from .views import SchemaView, SwaggerUIView


class Router(DefaultRouter):
    """Plain `path()` routes with integer ids (`units/<int:pk>/`), no `.json` suffix routes (use `?format=`)."""

    include_format_suffixes = False

    def __init__(self):
        super().__init__(use_regex_path=False)


router = Router()
router.register("units", UnitViewSet, basename="unit")
router.register("committees", CommitteeViewSet, basename="committee")
router.register("people", PersonViewSet, basename="person")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("document-types", DocumentTypeViewSet, basename="documenttype")
router.register("registers", RegisterViewSet, basename="register")
router.register("documents", DocumentViewSet, basename="document")
router.register("document-references", ReferenceViewSet, basename="reference")
router.register("plans", PlanViewSet, basename="plan")
router.register("tasks", TaskViewSet, basename="task")
router.register("assignments", AssignmentViewSet, basename="assignment")
router.register("rollup", RollupViewSet, basename="rollup")
router.register("notifications", NotificationViewSet, basename="notification")

api_patterns = [
    path("me/", MeView.as_view(), name="me"),
    path("auth/token/", TokenIssueView.as_view(), name="token"),
    *router.urls,
]

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerUIView.as_view(url_name="schema"), name="swagger-ui"),
    path("", include((api_patterns, "api"))),
]
