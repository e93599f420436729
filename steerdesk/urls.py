from django.contrib import admin
from django.urls import include, path

from steerdesk.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("steerdesk.accounts.urls")),
    path("orgs/", include("steerdesk.orgs.urls")),
    path("documents/", include("steerdesk.documents.urls")),
    path("work/", include("steerdesk.work.urls")),
    path("api/v1/", include("steerdesk.api.urls")),
    path("admin/", admin.site.urls),
    path("", include("steerdesk.core.urls")),
]
