"""Health check, dashboard, unit switcher, and the scoped view mixins every app's views build on."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.cache import never_cache

from . import units
from .scope import has_role


@never_cache
def healthz(request):
    """200 {"status": "ok", "database": "ok"}, or 503 when the database does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


class ScopedMixin(LoginRequiredMixin):
    """Scope applied once: `get_queryset()` starts from `model.objects.for_user(user)`.

    Subclasses set `model` (and may narrow the queryset through a selector). Objects outside scope are 404.
    `require_role` (e.g. "secretary") is checked against the object's unit path for write views: 403.
    """

    model = None
    require_role: str | None = None

    def get_queryset(self):
        return self.model.objects.for_user(self.request.user)

    def get_object(self):
        try:
            pk = int(self.kwargs["pk"])
        except (KeyError, TypeError, ValueError) as exc:
            raise Http404 from exc
        obj = self.get_queryset().filter(pk=pk).first()
        if obj is None:
            raise Http404
        if self.require_role:
            path = getattr(obj, obj.scope_path_field)
            if not has_role(self.request.user, path, self.require_role):
                raise PermissionDenied
        return obj


class DashboardView(LoginRequiredMixin, View):
    def get(self, request):
        from steerdesk.orgs import selectors as orgs_selectors

        unit = units.current_unit(request)
        context = {"summary": orgs_selectors.unit_summary(user=request.user, unit=unit) if unit else None}
        return render(request, "core/dashboard.html", context)


class UnitSwitchView(LoginRequiredMixin, View):
    """POST unit=<id>: make that unit current (must be in scope), then go back."""

    def post(self, request):
        from steerdesk.orgs.models import OrgUnit

        try:
            unit_id = int(request.POST.get("unit", ""))
        except ValueError as exc:
            raise Http404 from exc
        unit = OrgUnit.objects.for_user(request.user).filter(pk=unit_id).first()
        if unit is None:
            raise Http404
        request.session[units.SESSION_KEY] = unit.pk
        target = request.POST.get("next") or "/"
        if not url_has_allowed_host_and_scheme(
            target, {request.get_host()}, require_https=request.is_secure()
        ):
            target = "/"
        return HttpResponseRedirect(target)


def csrf_failure(request, reason=""):
    """A CSRF failure explained in the user's language, with the standard 403 status."""
    return render(request, "403_csrf.html", status=403)
