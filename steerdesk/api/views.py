"""The OpenAPI schema and Swagger UI, behind the same authentication as the API.

Swagger UI is the split view (HTML and its init script served separately, no inline script) with the sidecar's
local assets and a template without the inline <style>, so the strict CSP (script-src/style-src 'self') holds.
"""

from __future__ import annotations

import json

from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from .authentication import API_AUTHENTICATION


class SchemaView(SpectacularAPIView):
    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsAuthenticated]


class SwaggerUIView(SpectacularSwaggerSplitView):
    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsAuthenticated]
    template_name = "api/swagger_ui.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if request.GET.get("script") is not None:
            # Swagger UI would send the schema URL to validator.swagger.io for its badge: keep it local.
            settings = {**spectacular_settings.SWAGGER_UI_SETTINGS, "validatorUrl": None}
            response.data["settings"] = json.dumps(settings, indent=2)
        return response
