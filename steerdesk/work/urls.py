from django.http import Http404
from django.urls import path

from . import views_workdays, views_xlsx


def _placeholder(request, *args, **kwargs):  # replaced by the real views (work in progress)
    raise Http404


app_name = "work"

urlpatterns: list = [
    path("plans/<int:pk>/", _placeholder, name="plan_detail"),
    path("tasks/<int:pk>/", _placeholder, name="task_detail"),
    path("assignments/<int:pk>/", _placeholder, name="assignment_detail"),
    *views_workdays.urlpatterns,
    *views_xlsx.urlpatterns,
]
