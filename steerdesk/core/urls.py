from django.urls import path

from . import views, views_audit

app_name = "core"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("units/switch/", views.UnitSwitchView.as_view(), name="unit_switch"),
    path("audit/", views_audit.AuditListView.as_view(), name="audit_list"),
    path("audit/export/", views_audit.AuditExportView.as_view(), name="audit_export"),
]
