"""Django admin for the documents app: read-mostly views for superusers. Day-to-day writes go through the pages
and the API (services: numbering, audit, scope), so numbers and statuses are read-only here."""

from django.contrib import admin

from .models import Document, DocumentType, NumberCounter, Reference, Register


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "state_code", "party_code", "is_normative", "is_active")
    list_filter = ("is_normative", "is_active")
    search_fields = ("name", "state_code", "party_code")


@admin.register(Register)
class RegisterAdmin(admin.ModelAdmin):
    list_display = ("name", "unit", "direction", "system", "period", "series", "issuer_code", "is_active")
    list_filter = ("direction", "system", "period", "series", "is_active")
    search_fields = ("name", "issuer_code")
    readonly_fields = ("unit", "unit_path", "direction", "version")


@admin.register(NumberCounter)
class NumberCounterAdmin(admin.ModelAdmin):
    list_display = ("register", "period_key", "series_key", "last_number")
    readonly_fields = ("register", "period_key", "series_key", "last_number")


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = (
        "number_text",
        "summary",
        "unit",
        "direction",
        "status",
        "signing_date",
        "incoming_number",
    )
    list_filter = ("direction", "status", "confidentiality")
    search_fields = ("number_text", "number_key", "summary")
    readonly_fields = (
        "unit",
        "unit_path",
        "register",
        "direction",
        "status",
        "number",
        "number_text",
        "number_key",
        "period_key",
        "series_key",
        "incoming_number",
        "source",
        "issued_at",
        "version",
    )
    exclude = ("restricted_to",)


@admin.register(Reference)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ("source", "kind", "target")
    readonly_fields = ("source", "target", "kind")
