from django.urls import path

from . import views, views_assignments, views_lists, views_notify, views_tasks, views_workdays, views_xlsx

app_name = "work"

urlpatterns: list = [
    # Lists (views_lists)
    path("", views_lists.MyTasksView.as_view(), name="my_tasks"),
    path("unit/", views_lists.UnitTasksView.as_view(), name="unit_tasks"),
    path("board/", views_lists.BoardView.as_view(), name="board"),
    path("calendar/", views_lists.CalendarView.as_view(), name="calendar"),
    path("timeline/", views_lists.TimelineView.as_view(), name="timeline"),
    path("rollup/", views_lists.RollupView.as_view(), name="rollup"),
    # Plans (views)
    path("plans/", views.PlanListView.as_view(), name="plan_list"),
    path("plans/new/", views.PlanCreateView.as_view(), name="plan_create"),
    path("plans/<int:pk>/", views.PlanDetailView.as_view(), name="plan_detail"),
    path("plans/<int:pk>/edit/", views.PlanEditView.as_view(), name="plan_edit"),
    path("plans/<int:pk>/adopt/", views.PlanAdoptView.as_view(), name="plan_adopt"),
    # Tasks (views_tasks)
    path("tasks/new/", views_tasks.TaskCreateView.as_view(), name="task_create"),
    path("tasks/<int:pk>/", views_tasks.TaskDetailView.as_view(), name="task_detail"),
    path("tasks/<int:pk>/edit/", views_tasks.TaskEditView.as_view(), name="task_edit"),
    path("tasks/<int:pk>/cascade/", views_tasks.TaskCascadeView.as_view(), name="task_cascade"),
    path("tasks/<int:pk>/cancel/", views_tasks.TaskCancelView.as_view(), name="task_cancel"),
    path(
        "from-routing/<int:routing_pk>/", views_tasks.TaskFromRoutingView.as_view(), name="task_from_routing"
    ),
    # Assignments (views_assignments)
    path("assignments/<int:pk>/", views_assignments.AssignmentDetailView.as_view(), name="assignment_detail"),
    path(
        "assignments/<int:pk>/report/",
        views_assignments.AssignmentReportView.as_view(),
        name="assignment_report",
    ),
    path(
        "assignments/<int:pk>/split/",
        views_assignments.AssignmentSplitView.as_view(),
        name="assignment_split",
    ),
    path(
        "assignments/bulk-status/",
        views_assignments.AssignmentBulkStatusView.as_view(),
        name="assignment_bulk_status",
    ),
    path("evidence/<int:pk>/", views_assignments.EvidenceDownloadView.as_view(), name="evidence_download"),
    *views_workdays.urlpatterns,
    *views_notify.urlpatterns,
    *views_xlsx.urlpatterns,
]
