"""The document search page.

URL: documents:search → views_search.DocumentSearchView (`urlpatterns` below, included by documents/urls.py).

A GET form (works without JavaScript); with htmx the results partial is refreshed as the user types. Every
query is accepted: the search function tokenises it, so quotes, `-`, `*`, `:` or SQL never reach the database
as syntax. Bad filter values are shown next to their field and ignored.
"""

from __future__ import annotations

import math

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import QueryDict
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views import View

from steerdesk.core import units as core_units
from steerdesk.core.htmx import htmx_partial
from steerdesk.core.scope import PATH_END
from steerdesk.orgs.forms import UnitChoiceField, date_field
from steerdesk.orgs.models import OrgUnit

from . import search
from .models import Document, DocumentType

PAGE_SIZE = 20


class DocumentSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=search.MAX_QUERY_CHARS,
        strip=True,
        widget=forms.TextInput(
            attrs={"type": "search", "autocomplete": "off", "placeholder": _("Number, summary or text")}
        ),
        help_text=_("Diacritics are optional: “hoa binh” also finds “Hòa Bình”."),
    )
    doc_type = forms.ModelChoiceField(
        label=_("Type"), queryset=DocumentType.objects.order_by("name"), required=False, empty_label="—"
    )
    issuer = forms.CharField(label=_("Issuing body"), required=False, max_length=255)
    year = forms.IntegerField(label=_("Year"), min_value=1945, max_value=2100, required=False)
    unit = UnitChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none(), required=False, empty_label="—")
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *Document.Status.choices], required=False
    )
    direction = forms.ChoiceField(
        label=_("Direction"), choices=[("", "—"), *Document.Direction.choices], required=False
    )
    date_from = date_field(_("From"))
    date_to = date_field(_("To"))

    def __init__(self, *args, user, current_unit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date_from"].help_text = ""
        self.fields["date_to"].help_text = ""
        # The current unit and one level below it: a select, not the whole national tree.
        units = OrgUnit.objects.for_user(user).order_by("path")
        if current_unit is not None:
            units = units.filter(
                path__gte=current_unit.path,
                path__lt=current_unit.path + PATH_END,
                depth__lte=current_unit.depth + 1,
            )
        else:
            units = units.none()
        self.fields["unit"].queryset = units

    def filters(self) -> search.SearchFilters:
        """The valid filters (an invalid one is reported on the form and left out)."""
        data = getattr(self, "cleaned_data", {})
        return search.SearchFilters(
            doc_type=data.get("doc_type"),
            issuer=data.get("issuer") or "",
            year=data.get("year"),
            unit=data.get("unit"),
            status=data.get("status") or "",
            direction=data.get("direction") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


def _clean_params(params: QueryDict) -> QueryDict:
    """The GET parameters without NUL characters (a form would refuse them; the search strips them)."""
    cleaned = params.copy()
    for key in list(cleaned):
        cleaned.setlist(key, [v.replace("\x00", "") for v in params.getlist(key)])
    return cleaned


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


class DocumentSearchView(LoginRequiredMixin, View):
    """Full-text search over the documents the user may see, with filters, highlights and pagination."""

    def get(self, request):
        params = _clean_params(request.GET)
        form = DocumentSearchForm(params, user=request.user, current_unit=core_units.current_unit(request))
        form.is_valid()
        query = (getattr(form, "cleaned_data", {}) or {}).get("q", "")
        reachable = math.ceil(search.RANK_LIMIT / PAGE_SIZE)  # pages beyond the counted set are not offered
        page = min(_page_number(params.get("page")), reachable)
        result = search.search_documents(
            user=request.user,
            query=query,
            filters=form.filters(),
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        num_pages = min(math.ceil(result.total / PAGE_SIZE), reachable) if result.total else 0
        without_page = params.copy()
        without_page.pop("page", None)
        context = {
            "form": form,
            "query": query,
            "result": result,
            "page": page,
            "num_pages": num_pages,
            "previous_page": page - 1 if page > 1 else None,
            "next_page": page + 1 if page < num_pages else None,
            "querystring": without_page.urlencode(),
            "rank_limit": search.RANK_LIMIT,
        }
        if htmx_partial(request):
            return render(request, "documents/partials/_search_results.html", context)
        return render(request, "documents/search.html", context)


urlpatterns = [path("search/", DocumentSearchView.as_view(), name="search")]
