"""The unit tree, committees, people and memberships (DESIGN §3–4)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from steerdesk.core.models import BaseModel, CollationCField, PathField, ScopedModel
from steerdesk.core.scope import ScopedManager

# Each level of the materialised path is 4 base-36 characters: 1,679,616 children per unit, any depth up to
# 63 levels in 255 characters. A national tree (10,000+ units in five levels) fits with room to spare.
PATH_STEP = 4
PATH_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class OrgUnit(BaseModel):
    """A unit of the tree: ministry, corporation, province, district, Party committee… (đơn vị)."""

    class Kind(models.TextChoices):
        CENTRAL = "central", _("Central body")
        MINISTRY = "ministry", _("Ministry")
        CORPORATION = "corporation", _("Corporation")
        COMPANY = "company", _("Company")
        DEPARTMENT = "department", _("Department")
        PROVINCE = "province", _("Province")
        DISTRICT = "district", _("District")
        COMMUNE = "commune", _("Commune")
        PARTY_BLOC = "party_bloc", _("Party bloc")
        PARTY_COMMITTEE = "party_committee", _("Party committee")
        AGENCY = "agency", _("Agency")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    code = models.CharField(
        _("code"),
        max_length=30,
        blank=True,
        help_text=_("Abbreviation used in document numbers, e.g. UBND, BCĐ."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = PathField(_("path"), unique=True)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedManager()
    scope_path_field = "path"
    scope_addressed: tuple[str, ...] = ()

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("orgs:unit_detail", args=[self.pk])

    @property
    def ancestor_paths(self) -> list[str]:
        """Paths of the ancestors, root first (without this unit)."""
        return [self.path[:i] for i in range(PATH_STEP, len(self.path), PATH_STEP)]


class Committee(ScopedModel):
    """A steering committee (ban chỉ đạo) of a unit."""

    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="committees"
    )
    name = models.CharField(_("name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    code = models.CharField(
        _("code"), max_length=30, blank=True, help_text=_("e.g. BCĐ, used in document numbers.")
    )
    description = models.TextField(_("description"), blank=True)
    established_by_ref = models.CharField(
        _("established by (decision)"),
        max_length=255,
        blank=True,
        help_text=_("e.g. Quyết định số 12/QĐ-UBND"),
    )
    established_on = models.DateField(_("established on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["unit_path", "name"]
        verbose_name = _("committee")
        verbose_name_plural = _("committees")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("orgs:committee_detail", args=[self.pk])


class Person(ScopedModel):
    """A person (cán bộ) who can hold positions in committees. Name stored NFC as typed, parts derived."""

    full_name = models.CharField(_("full name"), max_length=200)
    family_name = models.CharField(_("family name"), max_length=100, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True)
    given_name = models.CharField(_("given name"), max_length=100)
    name_sort_key = CollationCField(max_length=400, db_index=True, editable=False)
    home_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("home unit"), on_delete=models.PROTECT, related_name="people"
    )
    title = models.CharField(
        _("job title"), max_length=255, blank=True, help_text=_("e.g. Phó Chủ tịch UBND tỉnh")
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    # A person appointed to a committee elsewhere is visible there too (through the membership's unit path).
    scope_addressed = ("memberships",)

    class Meta:
        ordering = ["name_sort_key", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("orgs:person_detail", args=[self.pk])


class Membership(ScopedModel):
    """A person's position or group in a committee for a term, by a decision. Never deleted: ended."""

    class Role(models.TextChoices):
        HEAD = "head", _("Head")
        STANDING_DEPUTY = "standing_deputy", _("Standing deputy head")
        DEPUTY = "deputy", _("Deputy head")
        MEMBER = "member", _("Member")
        SECRETARIAT = "secretariat", _("Secretariat")
        STANDING_AGENCY = "standing_agency", _("Standing agency")
        EXPERTS = "experts", _("Expert group")
        COLLABORATORS = "collaborators", _("Collaborator group")

    POSITIONS = (Role.HEAD, Role.STANDING_DEPUTY, Role.DEPUTY, Role.MEMBER)
    GROUPS = (Role.SECRETARIAT, Role.STANDING_AGENCY, Role.EXPERTS, Role.COLLABORATORS)

    committee = models.ForeignKey(
        Committee, verbose_name=_("committee"), on_delete=models.PROTECT, related_name="memberships"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("position or group"), max_length=20, choices=Role.choices)
    duty = models.CharField(
        _("duty"),
        max_length=255,
        blank=True,
        help_text=_("What the person does in the committee, if specific."),
    )
    start_date = models.DateField(_("start date"), default=timezone.localdate)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    decision_ref = models.CharField(
        _("appointing decision"), max_length=255, blank=True, help_text=_("e.g. Quyết định số 45/QĐ-BCĐ")
    )
    end_reason = models.CharField(_("reason for ending"), max_length=255, blank=True)

    class Meta:
        ordering = ["committee", "role", "person__name_sort_key"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["committee"],
                condition=Q(role="head", end_date__isnull=True),
                name="orgs_one_current_head_per_committee",
                violation_error_message=_("This committee already has a current head."),
            ),
            models.UniqueConstraint(
                fields=["committee", "person", "role"],
                condition=Q(end_date__isnull=True),
                name="orgs_membership_current_unique",
                violation_error_message=_("This person already holds this position in the committee."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="orgs_membership_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]
        indexes = [models.Index(fields=["committee", "end_date"], name="orgs_membership_current_idx")]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()} ({self.committee})"

    @property
    def is_current(self) -> bool:
        return self.end_date is None

    @property
    def is_position(self) -> bool:
        return self.role in self.POSITIONS
