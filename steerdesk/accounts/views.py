"""Login and password pages (Django's auth views), two-factor pages, the profile and user management."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django_otp import login as otp_login

from steerdesk.core.htmx import htmx_partial
from steerdesk.core.locking import ConflictError

from . import selectors, services, twofactor
from .forms import (
    GrantForm,
    LoginForm,
    PasswordResetForm,
    ProfileForm,
    TokenForm,
    UserCreateForm,
    UserFilterForm,
    UserForm,
)
from .middleware import mark_session_start


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _form_error(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on a field when it names one the form has."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _set_language_cookie(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


# ---------------------------------------------------------------------------------------------------------
# Login, logout, passwords


class LoginView(auth_views.LoginView):
    """Django's login: `request` reaches authenticate (django-axes), the session key is rotated by auth.login."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm

    def form_valid(self, form):
        response = super().form_valid(form)
        mark_session_start(self.request)
        language = form.get_user().language
        if language:
            _set_language_cookie(response, language)
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["expired"] = self.request.GET.get("expired") == "1"
        return context


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): a GET cannot log anyone out through a link or an image."""


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = PasswordResetForm
    email_template_name = "accounts/emails/password_reset.txt"
    subject_template_name = "accounts/emails/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# ---------------------------------------------------------------------------------------------------------
# Two-factor


class TwoFactorSetupView(LoginRequiredMixin, View):
    """Show a QR code and the secret of a new TOTP device; a correct code confirms it and verifies the session."""

    template_name = "accounts/two_factor_setup.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and twofactor.confirmed_device(request.user) is not None:
            messages.info(request, _("Two-factor authentication is already on."))
            return redirect("accounts:profile")
        return super().dispatch(request, *args, **kwargs)

    def render_page(self, request, form, device):
        context = {
            "form": form,
            "qr_svg": twofactor.qr_svg(device),
            "secret": twofactor.secret_base32(device),
            "required": twofactor.two_factor_required(request.user),
            "next": _safe_next(request, ""),
        }
        return render(request, self.template_name, context)

    def get(self, request):
        return self.render_page(request, TokenForm(), twofactor.pending_device(request.user))

    def post(self, request):
        device = twofactor.pending_device(request.user)
        form = TokenForm(request.POST)
        if form.is_valid():
            if services.two_factor_confirm(
                actor=request.user, device=device, token=form.cleaned_data["token"]
            ):
                otp_login(request, device)
                messages.success(request, _("Two-factor authentication is on."))
                return HttpResponseRedirect(_safe_next(request, reverse("accounts:profile")))
            form.add_error("token", _("That code is wrong or has already been used. Wait for the next one."))
        return self.render_page(request, form, device)


class TwoFactorVerifyView(LoginRequiredMixin, View):
    """The second step after the password, for users with a confirmed device."""

    template_name = "accounts/two_factor_verify.html"

    def get(self, request):
        if request.user.is_verified() or twofactor.confirmed_device(request.user) is None:
            return HttpResponseRedirect(_safe_next(request, reverse(settings.LOGIN_REDIRECT_URL)))
        return render(request, self.template_name, {"form": TokenForm(), "next": _safe_next(request, "")})

    def post(self, request):
        device = twofactor.confirmed_device(request.user)
        if device is None:
            return HttpResponseRedirect(reverse(settings.LOGIN_REDIRECT_URL))
        form = TokenForm(request.POST)
        if form.is_valid():
            if twofactor.check_token(device, form.cleaned_data["token"]):
                otp_login(request, device)
                return HttpResponseRedirect(_safe_next(request, reverse(settings.LOGIN_REDIRECT_URL)))
            form.add_error("token", _("That code is wrong or has already been used. Wait for the next one."))
        return render(request, self.template_name, {"form": form, "next": _safe_next(request, "")})


class TwoFactorDisableView(LoginRequiredMixin, View):
    template_name = "accounts/two_factor_disable.html"

    def get(self, request):
        if twofactor.confirmed_device(request.user) is None:
            return redirect("accounts:profile")
        context = {"form": TokenForm(), "required": twofactor.two_factor_required(request.user)}
        return render(request, self.template_name, context)

    def post(self, request):
        form = TokenForm(request.POST)
        required = twofactor.two_factor_required(request.user)
        if form.is_valid():
            try:
                done = services.two_factor_disable(actor=request.user, token=form.cleaned_data["token"])
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                if done:
                    messages.success(request, _("Two-factor authentication is off."))
                    return redirect("accounts:profile")
                form.add_error(
                    "token", _("That code is wrong or has already been used. Wait for the next one.")
                )
        return render(request, self.template_name, {"form": form, "required": required})


# ---------------------------------------------------------------------------------------------------------
# Profile


class ProfileView(LoginRequiredMixin, View):
    template_name = "accounts/profile.html"

    def context(self, request, form):
        return {
            "form": form,
            "has_two_factor": twofactor.confirmed_device(request.user) is not None,
            "two_factor_required": twofactor.two_factor_required(request.user),
        }

    def get(self, request):
        user = request.user
        form = ProfileForm(
            initial={
                "full_name": user.get_full_name(),
                "email": user.email,
                "language": user.language,
                "version": user.version,
            }
        )
        return render(request, self.template_name, self.context(request, form))

    def post(self, request):
        form = ProfileForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = services.profile_update(
                    actor=request.user,
                    expected_version=data["version"],
                    full_name=data["full_name"],
                    email=data["email"],
                    language=data["language"],
                )
            except ConflictError as exc:
                form.add_error(None, exc.message)
            except ValidationError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("Your profile is saved."))
                response = redirect("accounts:profile")
                if user.language:
                    _set_language_cookie(response, user.language)
                return response
        return render(request, self.template_name, self.context(request, form))


# ---------------------------------------------------------------------------------------------------------
# User management (admins only)


class AdminAreaMixin(LoginRequiredMixin):
    """Only admins (role admin somewhere, or superuser) get in; objects are loaded before the method is
    dispatched, so an object outside scope is 404 for GET and POST alike."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.load(**kwargs)
        return super().dispatch(request, *args, **kwargs)

    def load(self, **kwargs) -> None:
        if not selectors.is_user_admin(self.request.user):
            raise PermissionDenied(_("Only administrators manage user accounts."))


class UserObjectMixin(AdminAreaMixin):
    def load(self, **kwargs) -> None:
        self.target = selectors.user_get(user=self.request.user, pk=kwargs.get(self.pk_kwarg))

    pk_kwarg = "pk"


class UserListView(AdminAreaMixin, View):
    def get(self, request):
        units = selectors.admin_units(user=request.user)
        form = UserFilterForm(request.GET or None, units=units)
        unit = q = None
        if form.is_valid():
            unit, q = form.cleaned_data["unit"], form.cleaned_data["q"]
        users = selectors.user_list(user=request.user, unit=unit, q=q)
        page = Paginator(users, 50).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {"form": form, "page": page, "query": query.urlencode()}
        template = (
            "accounts/partials/_user_table.html" if htmx_partial(request) else "accounts/user_list.html"
        )
        return render(request, template, context)


class UserCreateView(AdminAreaMixin, View):
    template_name = "accounts/user_form.html"

    def get(self, request):
        form = UserCreateForm(units=selectors.admin_units(user=request.user))
        return render(request, self.template_name, {"form": form, "creating": True})

    def post(self, request):
        form = UserCreateForm(request.POST, units=selectors.admin_units(user=request.user))
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = services.user_create(
                    actor=request.user,
                    home_unit=data["home_unit"],
                    username=data["username"],
                    full_name=data["full_name"],
                    email=data["email"],
                    password=data["password1"] or None,
                    base_url=request.build_absolute_uri("/"),
                )
            except ValidationError as exc:
                _form_error(form, exc)
            else:
                if data["password1"]:
                    messages.success(request, _("The account is created."))
                else:
                    messages.success(
                        request, _("The account is created; a link to choose a password was e-mailed.")
                    )
                return redirect("accounts:user_detail", pk=user.pk)
        return render(request, self.template_name, {"form": form, "creating": True})


class UserDetailView(UserObjectMixin, View):
    def get(self, request, pk):
        actor, target = request.user, self.target
        context = {
            "target": target,
            "grants": selectors.user_grants_visible(user=actor, target=target),
            "history": selectors.user_history(user=actor, target=target),
            "can_edit": services.can_manage_account(actor, target),
        }
        return render(request, "accounts/user_detail.html", context)


class UserEditView(UserObjectMixin, View):
    template_name = "accounts/user_form.html"

    def load(self, **kwargs) -> None:
        super().load(**kwargs)
        if not services.can_manage_account(self.request.user, self.target):
            raise PermissionDenied(_("You cannot change this account."))

    def units(self):
        return selectors.admin_units(user=self.request.user)

    def get(self, request, pk):
        t = self.target
        initial = {
            "full_name": t.get_full_name(),
            "email": t.email,
            "home_unit": t.home_unit_id,
            "is_active": t.is_active,
            "version": t.version,
        }
        form = UserForm(initial=initial, units=self.units())
        return render(request, self.template_name, {"form": form, "target": t})

    def post(self, request, pk):
        form = UserForm(request.POST, units=self.units())
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.user_update(
                    actor=request.user,
                    user=self.target,
                    expected_version=data["version"],
                    full_name=data["full_name"],
                    email=data["email"],
                    home_unit=data["home_unit"],
                    is_active=data["is_active"],
                )
            except ConflictError as exc:
                form.add_error(None, exc.message)
            except ValidationError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("The account is saved."))
                return redirect("accounts:user_detail", pk=self.target.pk)
        return render(request, self.template_name, {"form": form, "target": self.target})


class GrantCreateView(UserObjectMixin, View):
    template_name = "accounts/grant_form.html"
    pk_kwarg = "user_pk"

    def get(self, request, user_pk):
        form = GrantForm(units=selectors.admin_units(user=request.user))
        return render(request, self.template_name, {"form": form, "target": self.target})

    def post(self, request, user_pk):
        form = GrantForm(request.POST, units=selectors.admin_units(user=request.user))
        if form.is_valid():
            try:
                services.grant_role(
                    actor=request.user,
                    user=self.target,
                    unit=form.cleaned_data["unit"],
                    role=form.cleaned_data["role"],
                )
            except ValidationError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("The role is granted."))
                return redirect("accounts:user_detail", pk=self.target.pk)
        return render(request, self.template_name, {"form": form, "target": self.target})


class GrantRevokeView(AdminAreaMixin, View):
    template_name = "accounts/grant_revoke.html"

    def load(self, **kwargs) -> None:
        self.grant = selectors.grant_get(user=self.request.user, pk=kwargs.get("pk"))

    def get(self, request, pk):
        return render(request, self.template_name, {"grant": self.grant})

    def post(self, request, pk):
        target = self.grant.user
        services.grant_revoke(actor=request.user, grant=self.grant)
        messages.success(request, _("The role is revoked."))
        if selectors.user_list(user=request.user).filter(pk=target.pk).exists():
            return redirect("accounts:user_detail", pk=target.pk)
        return redirect("accounts:user_list")
