"""The OpenAPI schema and Swagger UI: generated without warnings, served locally under the strict CSP."""

import re

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_schema_generates_without_warnings_or_errors(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/units/",
        "/api/v1/units/{id}/move/",
        "/api/v1/memberships/{id}/replace/",
        "/api/v1/me/",
    ):
        assert path in schema["paths"]
    update = schema["components"]["schemas"]["CommitteeUpdateRequest"]
    assert "version" in update["required"]


def test_the_schema_endpoint_returns_openapi_3(users, api_for):
    response = api_for(users.viewer).get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")
    assert "/api/v1/committees/" in response.json()["paths"]
    response = api_for(users.viewer).get("/api/v1/schema/")
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["openapi"].startswith("3.")


def test_swagger_ui_is_served_from_local_assets_without_inline_script_or_style(users, api_for):
    response = api_for(users.viewer).get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://", html), "the page must not load anything from another host"
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "<style" not in html and "style=" not in html
    for script in re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S):
        assert script.strip() == "", "no inline script (CSP script-src 'self')"
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1)
    script = api_for(users.viewer).get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert '"validatorUrl": null' in script.content.decode()
    assert "Content-Security-Policy" in response.headers
