"""Template context shared by every page: the current unit, the unit switcher and the breadcrumb."""

from __future__ import annotations

from .units import current_unit_context


def steerdesk(request):
    return current_unit_context(request)
