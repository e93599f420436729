from django.urls import path

from . import views

app_name = "orgs"

urlpatterns = [
    path("units/", views.UnitTreeView.as_view(), name="unit_tree"),
    path("units/<int:pk>/", views.UnitDetailView.as_view(), name="unit_detail"),
    path("units/<int:pk>/children/", views.UnitChildrenView.as_view(), name="unit_children"),
    path("units/<int:pk>/add/", views.UnitCreateView.as_view(), name="unit_create"),
    path("units/<int:pk>/edit/", views.UnitEditView.as_view(), name="unit_edit"),
    path("units/<int:pk>/move/", views.UnitMoveView.as_view(), name="unit_move"),
    path("units/<int:pk>/deactivate/", views.UnitDeactivateView.as_view(), name="unit_deactivate"),
    path("units/<int:pk>/committees/add/", views.CommitteeCreateView.as_view(), name="committee_create"),
    path("units/<int:pk>/people/add/", views.PersonCreateView.as_view(), name="person_create"),
    path("committees/", views.CommitteeListView.as_view(), name="committee_list"),
    path("committees/<int:pk>/", views.CommitteeDetailView.as_view(), name="committee_detail"),
    path("committees/<int:pk>/edit/", views.CommitteeEditView.as_view(), name="committee_edit"),
    path("committees/<int:pk>/appoint/", views.MembershipAppointView.as_view(), name="membership_appoint"),
    path("memberships/<int:pk>/end/", views.MembershipEndView.as_view(), name="membership_end"),
    path("memberships/<int:pk>/replace/", views.MembershipReplaceView.as_view(), name="membership_replace"),
    path("people/", views.PersonListView.as_view(), name="person_list"),
    path("people/<int:pk>/", views.PersonDetailView.as_view(), name="person_detail"),
    path("people/<int:pk>/edit/", views.PersonEditView.as_view(), name="person_edit"),
    path("import/", views.ImportView.as_view(), name="import"),
]
