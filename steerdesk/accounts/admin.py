"""Django admin for superusers. Day-to-day account work goes through the SteerDesk pages (and services)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from steerdesk.core.scope import forget_grants

from .models import RoleGrant, User


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    fk_name = "user"
    extra = 0
    fields = ("unit", "role")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("SteerDesk"), {"fields": ("home_unit", "person", "language")}),
    )
    list_display = ("username", "last_name", "first_name", "email", "home_unit", "is_active", "is_superuser")
    list_filter = ("is_active", "is_superuser", "is_staff")
    list_select_related = ("home_unit",)
    raw_id_fields = ("home_unit", "person")
    inlines = (RoleGrantInline,)

    def save_formset(self, request, form, formset, change):
        # A grant copies its unit's path (the scope rule queries it).
        for grant in formset.save(commit=False):
            grant.unit_path = grant.unit.path
            grant.save()
        for grant in formset.deleted_objects:
            grant.delete()
        formset.save_m2m()
        forget_grants(form.instance)


@admin.register(RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin):
    list_display = ("user", "unit", "role", "created_at")
    list_filter = ("role",)
    list_select_related = ("user", "unit")
    search_fields = ("user__username", "user__first_name", "user__last_name", "unit__name")
    raw_id_fields = ("user", "unit")
    readonly_fields = ("unit_path",)

    def save_model(self, request, obj, form, change):
        obj.unit_path = obj.unit.path
        super().save_model(request, obj, form, change)
