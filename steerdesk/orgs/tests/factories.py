"""factory-boy factories for units, committees, people and memberships (built through the services' rules)."""

import factory
from django.db import transaction

from steerdesk.core.text import name_sort_key, split_name
from steerdesk.orgs.models import PATH_STEP, Committee, Membership, OrgUnit, Person
from steerdesk.orgs.services import _next_child_path


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    name = factory.Sequence(lambda n: f"Đơn vị {n}")
    kind = OrgUnit.Kind.OTHER
    code = "UBND"
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        parent = kwargs.get("parent")
        with transaction.atomic():  # _next_child_path locks the parent (PostgreSQL needs a transaction)
            if not kwargs.get("path"):
                kwargs["path"] = _next_child_path(parent)
            kwargs["depth"] = len(kwargs["path"]) // PATH_STEP - 1
            return super()._create(model_class, *args, **kwargs)


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Committee

    unit = factory.SubFactory(OrgUnitFactory)
    unit_path = factory.LazyAttribute(lambda o: o.unit.path)
    name = factory.Sequence(lambda n: f"Ban Chỉ đạo {n}")
    code = "BCĐ"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    full_name = factory.Sequence(lambda n: f"Nguyễn Văn Người{n}")
    home_unit = factory.SubFactory(OrgUnitFactory)
    unit_path = factory.LazyAttribute(lambda o: o.home_unit.path)
    family_name = factory.LazyAttribute(lambda o: split_name(o.full_name).family)
    middle_name = factory.LazyAttribute(lambda o: split_name(o.full_name).middle)
    given_name = factory.LazyAttribute(lambda o: split_name(o.full_name).given)
    name_sort_key = factory.LazyAttribute(
        lambda o: name_sort_key(given=o.given_name, middle=o.middle_name, family=o.family_name)
    )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    committee = factory.SubFactory(CommitteeFactory)
    person = factory.SubFactory(PersonFactory)
    unit_path = factory.LazyAttribute(lambda o: o.committee.unit_path)
    role = Membership.Role.MEMBER
