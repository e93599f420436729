"""Django admin for the work app: a view-only look at the data for superusers. Plans, tasks, assignments and
reports change through the pages and the API (services: scope, roll-ups, audit), never here. Working-day
overrides can be added and deleted here too, through the same services as the calendar page."""

from django.contrib import admin

from . import workdays
from .models import (
    Assignment,
    CalendarFeed,
    DigestSent,
    Evidence,
    ImportJob,
    Notification,
    Plan,
    ProgressReport,
    Task,
    WorkdayOverride,
    WorkPreference,
)


class ViewOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "is_working_day", "note", "updated_at")
    list_filter = ("is_working_day",)
    date_hierarchy = "date"
    search_fields = ("note",)

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        # No update service: change a day by deleting its override and adding another (both audited).
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        created = workdays.workday_override_set(
            actor=request.user, date=obj.date, is_working_day=obj.is_working_day, note=obj.note
        )
        obj.pk = created.pk

    def delete_model(self, request, obj):
        workdays.workday_override_delete(actor=request.user, override=obj)

    def delete_queryset(self, request, queryset):
        for override in queryset:
            workdays.workday_override_delete(actor=request.user, override=override)


@admin.register(Plan)
class PlanAdmin(ViewOnlyAdmin):
    list_display = ("title", "unit", "year", "period_kind", "period_number", "status")
    list_filter = ("status", "period_kind", "year")
    search_fields = ("title",)


@admin.register(Task)
class TaskAdmin(ViewOnlyAdmin):
    list_display = ("title", "unit", "plan", "item_number", "due_date", "status", "percent")
    list_filter = ("status", "priority", "source_kind")
    search_fields = ("title",)


@admin.register(Assignment)
class AssignmentAdmin(ViewOnlyAdmin):
    list_display = ("task", "unit", "role", "due_date", "status", "percent")
    list_filter = ("status", "role")
    search_fields = ("task__title",)


@admin.register(ProgressReport)
class ProgressReportAdmin(ViewOnlyAdmin):
    list_display = ("assignment", "percent", "status", "created_at", "created_by")
    list_filter = ("status",)


@admin.register(Evidence)
class EvidenceAdmin(ViewOnlyAdmin):
    list_display = ("original_name", "assignment", "content_type", "size", "created_at")
    exclude = ("storage_name",)


@admin.register(Notification)
class NotificationAdmin(ViewOnlyAdmin):
    list_display = ("user", "kind", "text", "created_at", "read_at")
    list_filter = ("kind",)


@admin.register(WorkPreference)
class WorkPreferenceAdmin(ViewOnlyAdmin):
    list_display = ("user", "email_digest", "in_app", "due_soon_days")


@admin.register(DigestSent)
class DigestSentAdmin(ViewOnlyAdmin):
    list_display = ("user", "date", "sent_at", "items")


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ViewOnlyAdmin):
    list_display = ("user", "unit", "created_at", "revoked_at", "last_used_at")
    exclude = ("token_hash",)


@admin.register(ImportJob)
class ImportJobAdmin(ViewOnlyAdmin):
    list_display = ("original_name", "plan", "status", "rows_done", "rows_total", "created_at")
    list_filter = ("status",)
    exclude = ("storage_name",)
