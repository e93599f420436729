"""Request id (for logs and audit entries) and the language rule (Vietnamese unless the user chose English)."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from django.conf import settings
from django.utils import translation

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str | None:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Django logs 4xx/5xx responses (django.request) after the middleware has returned: take the id from
        # the request the record carries then.
        record.request_id = (
            _request_id.get() or getattr(getattr(record, "request", None), "request_id", None) or "-"
        )
        return True


class RequestIdMiddleware:
    """Takes X-Request-ID from the proxy when it is well formed, else makes one; echoes it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class LanguageMiddleware:
    """Vietnamese by default whatever the browser asks for; English only when the user picks it (cookie).

    Django's LocaleMiddleware would follow Accept-Language, so an office PC with an English browser would get
    an English UI; SteerDesk's users expect Vietnamese first.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.codes = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in self.codes:
            language = settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language
        with translation.override(language):  # restores whatever was active before (tests, threads)
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
