"""Serializer fields shared by every app's api.py: NFC text at the boundary, foreign keys limited to scope."""

from __future__ import annotations

from rest_framework import serializers

from steerdesk.core.text import nfc, nfc_keep_lines


class NFCCharField(serializers.CharField):
    """A CharField whose value is NFC-normalised (VIETNAMESE.md §1) before the length is checked.

    One-line text also has its runs of whitespace collapsed; `multiline=True` keeps line breaks.
    """

    def __init__(self, *, multiline: bool = False, **kwargs):
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return nfc_keep_lines(value) if self.multiline else nfc(value)


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key given by id, accepted only among the rows the requesting user may see.

    An id outside scope gets the same "does not exist" error as an id that does not exist (no existence leak).
    Pass `queryset=Model.objects.all()`; `for_user` is applied per request.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        return queryset.for_user(getattr(request, "user", None))


def version_field():
    """The `version` every PUT/PATCH and state-changing action must send back (optimistic locking)."""
    from .base import VERSION_HELP

    return serializers.IntegerField(min_value=1, help_text=VERSION_HELP)


MAX_ID = 2**63 - 1  # ids are 64-bit (BigAutoField)


def int_query_param(request, name: str, *, min_value: int = 0, max_value: int = MAX_ID) -> int | None:
    """The whole number in query parameter `name` (None when absent or empty); 400 with DRF's message when it
    is not one or out of range, so a huge or odd value ("²", 10**30) never reaches the database driver."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return serializers.IntegerField(min_value=min_value, max_value=max_value).run_validation(raw)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from exc


def text_query_param(request, name: str, *, max_length: int = 500) -> str:
    """The text in query parameter `name` ("" when absent); 400 when it holds a NUL character (PostgreSQL refuses
    those in text: a 500 otherwise) or is longer than `max_length`."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return ""
    try:
        return serializers.CharField(max_length=max_length, trim_whitespace=False).run_validation(raw)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from exc


class VersionSerializer(serializers.Serializer):
    """A body with only the version: actions such as deactivate, sign or issue."""

    version = version_field()
