from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("units/switch/", views.UnitSwitchView.as_view(), name="unit_switch"),
]
