"""URLs of the documents app (namespace "documents"). The attachment views (views_attachments) and the search
page (views_search) live in their own modules and are included here so every name stays under `documents:`."""

from django.urls import path

from . import views, views_attachments, views_generation, views_search

app_name = "documents"

urlpatterns = [
    path("", views.DocumentListView.as_view(), name="document_list"),
    path("registers/", views.RegisterListView.as_view(), name="register_list"),
    path("registers/add/", views.RegisterCreateView.as_view(), name="register_create"),
    path("registers/<int:pk>/", views.RegisterDetailView.as_view(), name="register_detail"),
    path("registers/<int:pk>/edit/", views.RegisterEditView.as_view(), name="register_edit"),
    path("registers/<int:pk>/export.xlsx", views.RegisterExportView.as_view(), name="register_export"),
    path("registers/<int:pk>/print/", views.RegisterPrintView.as_view(), name="register_print"),
    path("registers/<int:pk>/new/", views.DocumentCreateView.as_view(), name="document_create"),
    path("types/", views.DocumentTypeListView.as_view(), name="type_list"),
    path("types/add/", views.DocumentTypeCreateView.as_view(), name="type_create"),
    path("types/<int:pk>/edit/", views.DocumentTypeEditView.as_view(), name="type_edit"),
    path("<int:pk>/", views.DocumentDetailView.as_view(), name="document_detail"),
    path("<int:pk>/edit/", views.DocumentEditView.as_view(), name="document_edit"),
    path("<int:pk>/sign/", views.DocumentSignView.as_view(), name="document_sign"),
    path("<int:pk>/issue/", views.DocumentIssueView.as_view(), name="document_issue"),
    path("<int:pk>/route/", views.DocumentRouteView.as_view(), name="document_route"),
    path("<int:pk>/handled/", views.DocumentHandledView.as_view(), name="document_handled"),
    path("<int:pk>/references/add/", views.ReferenceAddView.as_view(), name="reference_add"),
    path("references/<int:pk>/remove/", views.ReferenceRemoveView.as_view(), name="reference_remove"),
    *views_attachments.urlpatterns,
    *views_search.urlpatterns,
    *views_generation.urlpatterns,
]
