"""Pages of the unit tree, committees, people and memberships. Thin: parse a form, call a selector or a
service, render; every object comes through `ScopedMixin` (404 outside scope, 403 without the role)."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from steerdesk.core import units as core_units
from steerdesk.core.htmx import htmx_partial
from steerdesk.core.locking import ConflictError
from steerdesk.core.scope import Role, has_role
from steerdesk.core.views import ScopedMixin

from . import forms, importing, selectors, services
from .models import Committee, Membership, OrgUnit, Person

PAGE_SIZE = 50


def _page(request, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def _filter_unit(request):
    """The unit a list is filtered to: `?unit=<id>` if in scope, else the user's current unit."""
    unit_id = request.GET.get("unit")
    if unit_id:
        try:
            return selectors.unit_get(user=request.user, pk=int(unit_id))
        except ValueError as exc:
            raise Http404 from exc
    return core_units.current_unit(request)


class FormPageMixin:
    """Render `orgs/form_page.html` (title, form, cancel link) and handle the service-error / conflict paths."""

    template_name = "orgs/form_page.html"
    title = ""
    submit_label = ""

    def render_form(self, form, obj, **extra):
        context = {
            "form": form,
            "object": obj,
            "title": self.title,
            "submit_label": self.submit_label or _("Save"),
            "cancel_url": obj.get_absolute_url() if obj is not None else reverse("orgs:unit_tree"),
            **extra,
        }
        return render(self.request, self.template_name, context, status=400 if form.is_bound else 200)

    def run_service(self, form, call):
        """Call the service; on failure put the reason on the form and return None."""
        try:
            return call() or True
        except ConflictError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        return None


# ---------------------------------------------------------------------------------------------------------
# Units


class UnitTreeView(LoginRequiredMixin, View):
    """The unit tree from the user's scope roots. `?open=<id>` expands the branch down to that unit (the
    no-JavaScript path); with htmx each node loads its children on demand."""

    def get(self, request):
        roots = selectors.unit_roots(user=request.user)
        open_unit = None
        if request.GET.get("open"):
            try:
                open_unit = selectors.unit_get(user=request.user, pk=int(request.GET["open"]))
            except ValueError as exc:
                raise Http404 from exc
            _attach_open_children(roots, selectors.unit_tree_open(user=request.user, unit=open_unit))
        return render(request, "orgs/unit_tree.html", {"roots": roots, "open_unit": open_unit})


def _attach_open_children(nodes, children: dict[int, list[OrgUnit]]) -> None:
    """Give each node of the open branch its loaded children (`node.open_children`) for the template."""
    for node in nodes:
        node.open_children = children.get(node.pk, [])
        _attach_open_children(node.open_children, children)


class UnitChildrenView(ScopedMixin, View):
    """htmx fragment: the children of one unit; a plain request gets the tree page opened there."""

    model = OrgUnit

    def get(self, request, pk):
        unit = self.get_object()
        if not htmx_partial(request):
            return redirect(f"{reverse('orgs:unit_tree')}?open={unit.pk}")
        children = selectors.unit_children(user=request.user, unit=unit)
        return render(request, "orgs/partials/_unit_children.html", {"nodes": children})


class UnitDetailView(ScopedMixin, View):
    model = OrgUnit

    def get_queryset(self):
        return super().get_queryset().select_related("parent")

    def get(self, request, pk):
        unit = self.get_object()
        people = _page(request, selectors.person_list(user=request.user, unit=unit, subtree=False))
        context = {
            "unit": unit,
            "child_units": selectors.unit_children(user=request.user, unit=unit),
            "committees": selectors.committee_list(user=request.user, unit=unit, subtree=False),
            "people": people,
            "can_admin": has_role(request.user, unit.path, Role.ADMIN),
            "can_edit": has_role(request.user, unit.path, Role.SECRETARY),
            "history": selectors.object_history(instance=unit),
        }
        if htmx_partial(request) and request.GET.get("page"):
            return render(request, "orgs/partials/_person_rows.html", {"people": people, "unit": unit})
        return render(request, "orgs/unit_detail.html", context)


class UnitCreateView(FormPageMixin, ScopedMixin, View):
    """A new child unit of `pk`."""

    model = OrgUnit
    require_role = Role.ADMIN

    def get(self, request, pk):
        parent = self.get_object()
        return self.render_form(forms.UnitForm(initial={"kind": OrgUnit.Kind.OTHER}), parent, parent=parent)

    def post(self, request, pk):
        parent = self.get_object()
        form = forms.UnitForm(request.POST)
        if form.is_valid():
            unit = self.run_service(
                form, partial(services.unit_create, actor=request.user, parent=parent, **form.cleaned_data)
            )
            if unit:
                messages.success(request, _("Unit “%(name)s” created.") % {"name": unit.name})
                return redirect(unit)
        return self.render_form(form, parent, parent=parent)

    @property
    def title(self):
        return _("New unit")


class UnitEditView(FormPageMixin, ScopedMixin, View):
    model = OrgUnit
    require_role = Role.ADMIN

    @property
    def title(self):
        return _("Edit unit")

    def get(self, request, pk):
        unit = self.get_object()
        initial = {f: getattr(unit, f) for f in services.UNIT_FIELDS} | {"version": unit.version}
        return self.render_form(forms.UnitEditForm(initial=initial), unit)

    def post(self, request, pk):
        unit = self.get_object()
        form = forms.UnitEditForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            call = partial(
                services.unit_update, actor=request.user, unit=unit, expected_version=version, **data
            )
            if self.run_service(form, call):
                messages.success(request, _("Unit saved."))
                return redirect(unit)
        return self.render_form(form, unit)


class UnitMoveView(FormPageMixin, ScopedMixin, View):
    model = OrgUnit
    require_role = Role.ADMIN

    @property
    def title(self):
        return _("Move unit")

    @property
    def submit_label(self):
        return _("Move")

    def get(self, request, pk):
        unit = self.get_object()
        targets = selectors.unit_move_targets(user=request.user, unit=unit)
        form = forms.UnitMoveForm(
            initial={"version": unit.version, "new_parent": unit.parent_id}, targets=targets
        )
        return self.render_form(form, unit)

    def post(self, request, pk):
        unit = self.get_object()
        targets = selectors.unit_move_targets(user=request.user, unit=unit)
        form = forms.UnitMoveForm(request.POST, targets=targets)
        if form.is_valid():
            new_parent = form.cleaned_data["new_parent"]
            version = form.cleaned_data["version"]
            call = partial(
                services.unit_move,
                actor=request.user,
                unit=unit,
                new_parent=new_parent,
                expected_version=version,
            )
            if self.run_service(form, call):
                messages.success(request, _("Unit moved under “%(name)s”.") % {"name": new_parent.name})
                return redirect(unit)
        return self.render_form(form, unit)


class UnitDeactivateView(FormPageMixin, ScopedMixin, View):
    model = OrgUnit
    require_role = Role.ADMIN

    @property
    def title(self):
        return _("Deactivate unit")

    @property
    def submit_label(self):
        return _("Deactivate")

    def intro(self, unit):
        return _(
            "“%(name)s” will be marked inactive. Nothing is deleted: its committees, people and history stay."
        ) % {"name": unit.name}

    def get(self, request, pk):
        unit = self.get_object()
        return self.render_form(
            forms.ConfirmForm(initial={"version": unit.version}), unit, intro=self.intro(unit)
        )

    def post(self, request, pk):
        unit = self.get_object()
        form = forms.ConfirmForm(request.POST)
        if form.is_valid():
            version = form.cleaned_data["version"]
            call = partial(services.unit_deactivate, actor=request.user, unit=unit, expected_version=version)
            if self.run_service(form, call):
                messages.success(request, _("Unit deactivated."))
                return redirect(unit)
        return self.render_form(form, unit, intro=self.intro(unit))


# ---------------------------------------------------------------------------------------------------------
# Committees


class CommitteeListView(LoginRequiredMixin, View):
    def get(self, request):
        unit = _filter_unit(request)
        q = request.GET.get("q", "")
        committees = _page(request, selectors.committee_list(user=request.user, unit=unit, q=q))
        context = {"committees": committees, "unit": unit, "q": q}
        if htmx_partial(request):
            return render(request, "orgs/partials/_committee_rows.html", context)
        return render(request, "orgs/committee_list.html", context)


class CommitteeDetailView(ScopedMixin, View):
    model = Committee

    def get(self, request, pk):
        committee = selectors.committee_get(user=request.user, pk=pk)
        return render(request, "orgs/committee_detail.html", committee_context(request, committee))


def committee_context(request, committee, appoint_form=None):
    """Everything the committee page shows; shared with the appoint view that re-shows it with errors."""
    user = request.user
    roster = selectors.committee_roster(user=user, committee=committee)
    can_edit = has_role(user, committee.unit_path, Role.SECRETARY)
    membership_ids = [m.pk for section in roster["positions"] + roster["groups"] for m in section["members"]]
    membership_ids += [m.pk for m in roster["past"]]
    if can_edit and appoint_form is None and committee.is_active:
        appoint_form = forms.AppointForm(people=selectors.person_choices(user=user))
    return {
        "committee": committee,
        "roster": roster,
        "can_edit": can_edit,
        "appoint_form": appoint_form if can_edit and committee.is_active else None,
        "history": selectors.committee_history(committee=committee, membership_ids=membership_ids),
    }


class CommitteeCreateView(FormPageMixin, ScopedMixin, View):
    """A new committee in unit `pk`."""

    model = OrgUnit
    require_role = Role.SECRETARY

    @property
    def title(self):
        return _("New committee")

    def get(self, request, pk):
        unit = self.get_object()
        return self.render_form(forms.CommitteeForm(), unit)

    def post(self, request, pk):
        unit = self.get_object()
        form = forms.CommitteeForm(request.POST)
        if form.is_valid():
            committee = self.run_service(
                form, partial(services.committee_create, actor=request.user, unit=unit, **form.cleaned_data)
            )
            if committee:
                messages.success(request, _("Committee “%(name)s” created.") % {"name": committee.name})
                return redirect(committee)
        return self.render_form(form, unit)


class CommitteeEditView(FormPageMixin, ScopedMixin, View):
    model = Committee
    require_role = Role.SECRETARY

    @property
    def title(self):
        return _("Edit committee")

    def get(self, request, pk):
        committee = self.get_object()
        return self.render_form(
            forms.CommitteeEditForm(initial=forms.CommitteeForm.initial_for(committee)), committee
        )

    def post(self, request, pk):
        committee = self.get_object()
        form = forms.CommitteeEditForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            call = partial(
                services.committee_update,
                actor=request.user,
                committee=committee,
                expected_version=version,
                **data,
            )
            if self.run_service(form, call):
                messages.success(request, _("Committee saved."))
                return redirect(committee)
        return self.render_form(form, committee)


# ---------------------------------------------------------------------------------------------------------
# People


class PersonListView(LoginRequiredMixin, View):
    def get(self, request):
        unit = _filter_unit(request)
        q = request.GET.get("q", "")
        people = _page(request, selectors.person_list(user=request.user, unit=unit, q=q))
        context = {
            "people": people,
            "unit": unit,
            "q": q,
            "can_edit": unit is not None and has_role(request.user, unit.path, Role.SECRETARY),
        }
        if htmx_partial(request):
            return render(request, "orgs/partials/_person_rows.html", context)
        return render(request, "orgs/person_list.html", context)


class PersonDetailView(ScopedMixin, View):
    model = Person

    def get(self, request, pk):
        person = selectors.person_get(user=request.user, pk=pk)
        context = {
            "person": person,
            "memberships": selectors.person_memberships(user=request.user, person=person),
            "can_edit": has_role(request.user, person.unit_path, Role.SECRETARY),
            "history": selectors.object_history(instance=person),
        }
        return render(request, "orgs/person_detail.html", context)


class PersonCreateView(FormPageMixin, ScopedMixin, View):
    """A new person whose home unit is `pk`."""

    model = OrgUnit
    require_role = Role.SECRETARY

    @property
    def title(self):
        return _("New person")

    def get(self, request, pk):
        return self.render_form(forms.PersonForm(), self.get_object())

    def post(self, request, pk):
        unit = self.get_object()
        form = forms.PersonForm(request.POST)
        if form.is_valid():
            person = self.run_service(
                form, partial(services.person_create, actor=request.user, home_unit=unit, **form.cleaned_data)
            )
            if person:
                messages.success(request, _("“%(name)s” added.") % {"name": person.full_name})
                return redirect(person)
        return self.render_form(form, unit)


class PersonEditView(FormPageMixin, ScopedMixin, View):
    model = Person
    require_role = Role.SECRETARY

    @property
    def title(self):
        return _("Edit person")

    def get(self, request, pk):
        person = self.get_object()
        return self.render_form(
            forms.PersonEditForm(initial=forms.PersonEditForm.initial_for(person), person=person), person
        )

    def post(self, request, pk):
        person = self.get_object()
        form = forms.PersonEditForm(request.POST, person=person)
        if form.is_valid():
            version = form.cleaned_data["version"]
            call = partial(
                services.person_update,
                actor=request.user,
                person=person,
                expected_version=version,
                **form.service_fields(),
            )
            if self.run_service(form, call):
                messages.success(request, _("Person saved."))
                return redirect(person)
        return self.render_form(form, person)


# ---------------------------------------------------------------------------------------------------------
# Memberships


class MembershipAppointView(FormPageMixin, ScopedMixin, View):
    """Appoint someone to committee `pk`. The form lives on the committee page; errors re-show that page."""

    model = Committee
    require_role = Role.SECRETARY

    def get(self, request, pk):
        return redirect(f"{self.get_object().get_absolute_url()}#appoint")

    def post(self, request, pk):
        committee = self.get_object()
        form = forms.AppointForm(request.POST, people=selectors.person_choices(user=request.user))
        if form.is_valid():
            membership = self.run_service(
                form,
                partial(
                    services.membership_appoint, actor=request.user, committee=committee, **form.cleaned_data
                ),
            )
            if membership:
                messages.success(
                    request,
                    _("%(name)s appointed: %(role)s.")
                    % {"name": membership.person.full_name, "role": membership.get_role_display()},
                )
                return redirect(committee)
        committee = selectors.committee_get(user=request.user, pk=committee.pk)
        context = committee_context(request, committee, appoint_form=form)
        return render(request, "orgs/committee_detail.html", context, status=400)


class MembershipEndView(FormPageMixin, ScopedMixin, View):
    model = Membership
    require_role = Role.SECRETARY

    @property
    def title(self):
        return _("End membership")

    @property
    def submit_label(self):
        return _("End membership")

    def get_queryset(self):
        return super().get_queryset().select_related("person", "committee")

    def render_form(self, form, membership, **extra):
        return super().render_form(form, membership.committee, membership=membership, **extra)

    def get(self, request, pk):
        membership = self.get_object()
        return self.render_form(forms.MembershipEndForm(initial={"version": membership.version}), membership)

    def post(self, request, pk):
        membership = self.get_object()
        form = forms.MembershipEndForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            call = partial(
                services.membership_end,
                actor=request.user,
                membership=membership,
                end_date=data["end_date"],
                reason=data["reason"],
                expected_version=data["version"],
            )
            if self.run_service(form, call):
                messages.success(
                    request, _("Membership of %(name)s ended.") % {"name": membership.person.full_name}
                )
                return redirect(membership.committee)
        return self.render_form(form, membership)


class MembershipReplaceView(MembershipEndView):
    @property
    def title(self):
        return _("Replace holder")

    @property
    def submit_label(self):
        return _("Replace")

    def get(self, request, pk):
        membership = self.get_object()
        form = forms.MembershipReplaceForm(
            initial={"version": membership.version}, people=selectors.person_choices(user=request.user)
        )
        return self.render_form(form, membership)

    def post(self, request, pk):
        membership = self.get_object()
        form = forms.MembershipReplaceForm(request.POST, people=selectors.person_choices(user=request.user))
        if form.is_valid():
            data = form.cleaned_data
            call = partial(
                services.membership_replace,
                actor=request.user,
                membership=membership,
                new_person=data["new_person"],
                date=data["date"],
                decision_ref=data["decision_ref"],
                reason=data["reason"],
                expected_version=data["version"],
            )
            new = self.run_service(form, call)
            if new:
                messages.success(
                    request,
                    _("%(old)s replaced by %(new)s.")
                    % {"old": membership.person.full_name, "new": new.person.full_name},
                )
                return redirect(membership.committee)
        return self.render_form(form, membership)


# ---------------------------------------------------------------------------------------------------------
# Import


class ImportView(LoginRequiredMixin, View):
    """Upload an XLSX/CSV list of people (and their committee positions): all rows or none."""

    def make_form(self, request, data=None, files=None):
        return forms.ImportForm(
            data,
            files,
            units=selectors.units_with_role(user=request.user, role=Role.SECRETARY),
            committees=selectors.committees_with_role(user=request.user, role=Role.SECRETARY),
            initial={
                "unit": request.GET.get("unit") or getattr(core_units.current_unit(request), "pk", None),
                "committee": request.GET.get("committee"),
            },
        )

    def get(self, request):
        return render(request, "orgs/import.html", {"form": self.make_form(request)})

    def post(self, request):
        form = self.make_form(request, request.POST, request.FILES)
        errors = []
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > importing.MAX_BYTES:
                    raise importing.ImportRejected(
                        [importing.RowError(None, "", _("The file is larger than 5 MB."))]
                    )
                result = importing.import_people(
                    actor=request.user,
                    unit=form.cleaned_data["unit"],
                    committee=form.cleaned_data["committee"],
                    data=upload.read(),
                )
            except importing.ImportRejected as exc:
                errors = exc.errors
            else:
                messages.success(request, result.summary())
                target = form.cleaned_data["committee"] or form.cleaned_data["unit"]
                return redirect(target)
        return render(request, "orgs/import.html", {"form": form, "errors": errors}, status=400)
