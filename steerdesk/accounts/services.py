"""Writes on user accounts, role grants and two-factor devices.

Unit admins manage accounts and grants only inside their own subtrees: an account is theirs when its home unit
lies there (or, without a home unit, when all its grants do); a grant is theirs when its unit lies there. They
never touch superusers and never hand out a role above their own. Superusers manage everything. Every change is
audited on the account (grant changes too, so the account's history tells who gave or took which role).
"""

from __future__ import annotations

from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from steerdesk.core.audit import audit_record
from steerdesk.core.locking import instance_update
from steerdesk.core.scope import ROLE_RANK, Role, forget_grants, has_role, role_at
from steerdesk.core.text import nfc, split_name
from steerdesk.orgs.models import OrgUnit

from . import twofactor
from .models import RoleGrant, User

# ---------------------------------------------------------------------------------------------------------
# Permissions


def _require_admin_over(actor, path: str) -> None:
    if not has_role(actor, path, Role.ADMIN):
        raise PermissionDenied(_("You can only manage accounts and roles inside the units you administer."))


def _require_manages_account(actor, user: User) -> None:
    """Raise PermissionDenied unless `actor` may edit the account `user` (see the module docstring)."""
    if actor.is_superuser:
        return
    if user.is_superuser:
        raise PermissionDenied(_("Only a superuser can change a superuser's account."))
    if user.home_unit_id:
        _require_admin_over(actor, user.home_unit.path)
        return
    paths = list(user.grants.values_list("unit_path", flat=True))
    if not paths:
        raise PermissionDenied(_("Only a superuser can change an account without a home unit."))
    for path in paths:
        _require_admin_over(actor, path)


def can_manage_account(actor, user: User) -> bool:
    """Whether `actor` may edit `user`'s account (for showing or hiding the edit action)."""
    try:
        _require_manages_account(actor, user)
    except PermissionDenied:
        return False
    return True


def _split_full_name(full_name: str) -> dict[str, str]:
    """`last_name` = family + middle, `first_name` = given (see User)."""
    parts = split_name(nfc(full_name))
    return {"last_name": " ".join(p for p in (parts.family, parts.middle) if p), "first_name": parts.given}


# ---------------------------------------------------------------------------------------------------------
# Accounts


def _base_url(base_url: str) -> str:
    if base_url:
        return base_url
    host = settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "localhost"
    scheme = "http" if settings.DEBUG else "https"
    return f"{scheme}://{host.lstrip('.')}/"


def send_set_password_mail(*, user: User, base_url: str = "") -> None:
    """Mail `user` a one-time link to choose a password (the password-reset link, worded for a new account)."""
    link = urljoin(
        _base_url(base_url),
        reverse(
            "accounts:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        ),
    )
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {"user": user, "link": link}
        subject = render_to_string("accounts/emails/account_created_subject.txt", context).strip()
        body = render_to_string("accounts/emails/account_created.txt", context)
    send_mail(subject, body, None, [user.email])


def user_create(
    *,
    actor,
    home_unit: OrgUnit | None,
    username: str,
    full_name: str,
    email: str = "",
    password: str | None = None,
    base_url: str = "",
) -> User:
    """Create an account in `home_unit` (admin over it required; only superusers may leave it empty).

    With a password, it is checked by the password validators. Without one, the account gets an unusable
    password and, once the transaction commits, a mail with a link to choose one (so an e-mail is required).
    """
    if home_unit is None:
        if not actor.is_superuser:
            raise ValidationError({"home_unit": _("Choose the account's home unit.")})
    else:
        _require_admin_over(actor, home_unit.path)
        if not home_unit.is_active:
            raise ValidationError({"home_unit": _("This unit is inactive.")})
    email = nfc(email).strip()
    if not password and not email:
        raise ValidationError(
            {"email": _("Without a password the account needs an e-mail address to set one.")}
        )
    user = User(
        username=nfc(username).strip(), email=email, home_unit=home_unit, **_split_full_name(full_name)
    )
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    with transaction.atomic():
        user.updated_by = actor if getattr(actor, "pk", None) else None
        user.save()
        audit_record(
            actor=actor,
            instance=user,
            action="create",
            changes={
                "username": [None, user.username],
                "first_name": [None, user.first_name],
                "last_name": [None, user.last_name],
                "email": [None, user.email],
                "home_unit": [None, str(home_unit) if home_unit else None],
            },
        )
        if not password:
            transaction.on_commit(lambda: send_set_password_mail(user=user, base_url=base_url))
    return user


def user_update(
    *,
    actor,
    user: User,
    expected_version: int | None,
    full_name: str | None = None,
    email: str | None = None,
    home_unit: OrgUnit | None = None,
    is_active: bool | None = None,
) -> User:
    """Change an account's name, e-mail, home unit or active flag (None leaves a field alone).

    Moving an account to another home unit needs admin over both. An admin cannot deactivate their own account.
    Stale `expected_version` → ConflictError, nothing written.
    """
    _require_manages_account(actor, user)
    data: dict = {}
    if full_name is not None:
        data.update(_split_full_name(full_name))
    if email is not None:
        data["email"] = nfc(email).strip()
    if home_unit is not None and home_unit.pk != user.home_unit_id:
        _require_admin_over(actor, home_unit.path)
        data["home_unit"] = home_unit
    if is_active is not None and is_active != user.is_active:
        if not is_active and actor.pk == user.pk:
            raise ValidationError({"is_active": _("You cannot deactivate your own account.")})
        data["is_active"] = is_active
    with transaction.atomic():
        instance_update(actor=actor, instance=user, expected_version=expected_version, data=data)
    return user


def user_deactivate(*, actor, user: User, expected_version: int | None = None) -> User:
    """Deactivate an account: it can no longer log in and its open sessions stop working. Grants are kept."""
    return user_update(actor=actor, user=user, expected_version=expected_version, is_active=False)


def profile_update(*, actor, expected_version: int | None, full_name: str, email: str, language: str) -> User:
    """A user changes their own name, e-mail and language preference."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language.")})
    data = {**_split_full_name(full_name), "email": nfc(email).strip(), "language": language}
    user = User.objects.get(pk=actor.pk)  # the row itself, not request.user's lazy wrapper
    with transaction.atomic():
        instance_update(actor=user, instance=user, expected_version=expected_version, data=data)
    return user


# ---------------------------------------------------------------------------------------------------------
# Role grants


def _audit_grant(*, actor, grant: RoleGrant, old_role: str | None, new_role: str | None) -> None:
    """File a grant change on the account's history, scoped to the grant's unit."""
    audit_record(
        actor=actor,
        instance=grant.user,
        action="update",
        changes={"grant_unit": [grant.unit.name, grant.unit.name], "grant_role": [old_role, new_role]},
        unit_path=grant.unit.path,
    )


def grant_role(*, actor, user: User, unit: OrgUnit, role: str) -> RoleGrant:
    """Give `user` a `role` over `unit` and its subtree, or change the role they already hold there.

    Requires admin over `unit`, a role no stronger than the actor's own there, an active unit and a target that
    is not a superuser (unless the actor is one).
    """
    if role not in ROLE_RANK:
        raise ValidationError({"role": _("Unknown role.")})
    _require_admin_over(actor, unit.path)
    own = role_at(actor, unit.path)
    if ROLE_RANK[role] > ROLE_RANK[own]:
        raise PermissionDenied(_("You cannot grant a role above your own."))
    if user.is_superuser and not actor.is_superuser:
        raise PermissionDenied(_("Only a superuser can change a superuser's account."))
    if not unit.is_active:
        raise ValidationError({"unit": _("This unit is inactive.")})
    with transaction.atomic():
        grant = RoleGrant.objects.select_for_update().filter(user=user, unit=unit).first()
        if grant is None:
            grant = RoleGrant(user=user, unit=unit, unit_path=unit.path, role=role)
            if getattr(actor, "pk", None):
                grant.created_by = actor
                grant.updated_by = actor
            grant.full_clean()
            grant.save()
            _audit_grant(actor=actor, grant=grant, old_role=None, new_role=role)
        elif grant.role != role:
            old_role = grant.role
            instance_update(actor=actor, instance=grant, expected_version=grant.version, data={"role": role})
            _audit_grant(actor=actor, grant=grant, old_role=old_role, new_role=role)
    forget_grants(user)
    forget_grants(actor)
    return grant


def grant_revoke(*, actor, grant: RoleGrant) -> None:
    """Take a grant away. Requires admin over its unit; a superuser's grants only by a superuser."""
    _require_admin_over(actor, grant.unit.path)
    if grant.user.is_superuser and not actor.is_superuser:
        raise PermissionDenied(_("Only a superuser can change a superuser's account."))
    with transaction.atomic():
        _audit_grant(actor=actor, grant=grant, old_role=grant.role, new_role=None)
        grant.delete()
    forget_grants(grant.user)
    forget_grants(actor)


# ---------------------------------------------------------------------------------------------------------
# Two-factor


def two_factor_confirm(*, actor, device, token: str) -> bool:
    """Confirm the device being set up with a code from the app; False when the code is wrong or used."""
    if device.user_id != actor.pk or device.confirmed:
        raise PermissionDenied
    if not twofactor.check_token(device, token):
        return False
    with transaction.atomic():
        type(device).objects.filter(user=actor).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(actor=actor, instance=actor, action="update", changes={"two_factor": [False, True]})
    return True


def two_factor_disable(*, actor, token: str) -> bool:
    """Remove the user's TOTP device, given a current code. Refused while two-factor is required for them."""
    if twofactor.two_factor_required(actor):
        raise PermissionDenied(_("Two-factor authentication is required for administrators."))
    device = twofactor.confirmed_device(actor)
    if device is None or not twofactor.check_token(device, token):
        return False
    with transaction.atomic():
        type(device).objects.filter(user=actor).delete()
        audit_record(actor=actor, instance=actor, action="update", changes={"two_factor": [True, False]})
    return True
