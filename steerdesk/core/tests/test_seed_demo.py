"""`seed_demo --scale small` and `demo_logins`: the three families, full rosters, scope, idempotence."""

import io
import re
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings

from steerdesk.accounts.models import RoleGrant, User
from steerdesk.core.management.demo import DEMO_LOGINS, DEMO_PASSWORD, NOT_USED_NAMES
from steerdesk.core.models import AuditEntry
from steerdesk.orgs.models import Committee, Membership, OrgUnit, Person

ALL_MODELS = (OrgUnit, Committee, Person, Membership, User, RoleGrant, AuditEntry)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seed once for the module inside a transaction that is rolled back afterwards (with a fast hasher:
    Argon2 costs ~0.3 s per password here, and the module checks passwords often)."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with fast, django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        started = time.monotonic()
        call_command("seed_demo", "--scale", "small", stdout=out)
        elapsed = time.monotonic() - started
        yield {"elapsed": elapsed, "output": out.getvalue()}
        transaction.set_rollback(True)


def unit(name):
    return OrgUnit.objects.get(name=name)


def children(name):
    return set(OrgUnit.objects.filter(parent__name=name).values_list("name", flat=True))


def test_it_reports_what_it_created_and_how_long_it_took(demo):
    # The time is reported, not asserted (no timed unit tests): about 5–10 s on SQLite.
    assert re.search(r"Demo data created in \d+(\.\d+)? s: \d+ units", demo["output"]), demo["output"]


def test_it_creates_the_ministry_corporation_province_and_party_bloc(demo, db):
    roots = {u.name: u for u in OrgUnit.objects.filter(parent__isnull=True)}
    assert set(roots) == {
        "Bộ Công Thương",
        "Tỉnh Hòa Bình",
        "Đảng bộ Khối các cơ quan Trung ương",
    }
    assert (roots["Bộ Công Thương"].code, roots["Bộ Công Thương"].kind) == ("BCT", "ministry")
    assert {"Vụ Pháp chế", "Văn phòng Bộ", "Vụ Tổ chức cán bộ"} <= children("Bộ Công Thương")
    # The corporations are below the ministry, so its committee can assign work to "every corporation".
    evn = unit("Tập đoàn Điện lực Việt Nam")
    assert (evn.code, evn.parent) == ("EVN", roots["Bộ Công Thương"])
    assert set(OrgUnit.objects.filter(parent=evn).values_list("code", flat=True)) == {"EVNNPC", "EVNNPT"}
    assert set(
        OrgUnit.objects.filter(parent=roots["Bộ Công Thương"], kind="corporation").values_list(
            "code", flat=True
        )
    ) == {"EVN", "PVN"}
    assert children("Tỉnh Hòa Bình") == {
        "Thành phố Hòa Bình",
        "Huyện Lạc Sơn",
        "Huyện Mai Châu",
        "Huyện Cao Phong",
    }
    assert unit("Huyện Lạc Sơn").kind == "district"
    assert OrgUnit.objects.filter(parent__name="Huyện Lạc Sơn", kind="commune").count() >= 3
    assert roots["Đảng bộ Khối các cơ quan Trung ương"].code == "ĐUK"
    assert {"Đảng bộ Bộ Công Thương", "Đảng bộ Bộ Tư pháp"} <= children("Đảng bộ Khối các cơ quan Trung ương")


def test_units_at_the_first_two_levels_have_a_steering_committee(demo, db):
    for u in OrgUnit.objects.filter(depth__lte=1).exclude(kind="department"):
        committee = Committee.objects.get(unit=u)
        assert committee.name.startswith("Ban Chỉ đạo 35 "), committee.name
        assert committee.established_on is not None
        # State numbering (1234/QĐ-BCT) for State bodies, Party numbering (312-QĐ/HU) for Party-led ones.
        assert committee.established_by_ref.startswith("Quyết định số ")
        assert "/QĐ-" in committee.established_by_ref or "-QĐ/" in committee.established_by_ref
    assert Committee.objects.get(unit__name="Huyện Lạc Sơn").name == "Ban Chỉ đạo 35 huyện Lạc Sơn"
    assert Committee.objects.get(unit__name="Tỉnh Hòa Bình").established_by_ref.endswith("-QĐ/TU")
    assert Committee.objects.get(unit__code="BCT").established_by_ref.endswith("/QĐ-BCT")


def test_each_committee_has_one_current_head_and_a_full_roster(demo, db):
    committees = Committee.objects.all()
    assert committees.count() >= 12
    for committee in committees:
        current = committee.memberships.filter(end_date__isnull=True)
        counts = {role: current.filter(role=role).count() for role in Membership.Role.values}
        assert counts["head"] == 1, committee
        assert counts["standing_deputy"] == 1, committee
        assert counts["deputy"] == 2, committee
        assert 6 <= counts["member"] <= 12, committee
        assert 3 <= counts["secretariat"] <= 5, committee
        assert counts["standing_agency"] >= 1, committee
        assert counts["experts"] + counts["collaborators"] >= 2, committee
        assert committee.memberships.filter(end_date__isnull=False).exists(), committee
    # Some heads were replaced: their ended membership stays as history.
    assert Membership.objects.filter(role="head", end_date__isnull=False).count() >= 2


def test_people_are_generated_and_never_the_excluded_names(demo, db):
    names = list(Person.objects.values_list("full_name", flat=True))
    assert len(names) == len(set(names)) > 200
    assert not set(names) & NOT_USED_NAMES
    assert all(3 <= len(n.split()) <= 4 for n in names)


def test_services_recorded_audit_entries_by_the_superuser(demo, db):
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert AuditEntry.objects.filter(actor=admin, action="create").count() >= Membership.objects.count()


def test_demo_users_have_their_roles_and_people(demo, db):
    for login in DEMO_LOGINS:
        user = User.objects.get(username=login.username)
        assert user.check_password(DEMO_PASSWORD)
        if login.role == "superuser":
            assert user.is_superuser
            continue
        grant = RoleGrant.objects.get(user=user)
        assert grant.role == login.role
        assert grant.unit_path == grant.unit.path
        assert user.person is not None and user.person.home_unit == grant.unit
    assert User.objects.get(username="lacson.thuky").grants.get().unit.name == "Huyện Lạc Sơn"
    secretary = User.objects.get(username="bct.thuky").person
    assert secretary.memberships.filter(role="secretariat", committee__unit__code="BCT").exists()


def test_the_lac_son_secretary_does_not_see_mai_chau(demo, db):
    user = User.objects.get(username="lacson.thuky")
    mai_chau = unit("Huyện Mai Châu")
    units = OrgUnit.objects.for_user(user)
    assert units.filter(name="Huyện Lạc Sơn").exists()
    assert units.filter(parent__name="Huyện Lạc Sơn").count() >= 3
    assert not units.filter(path__startswith=mai_chau.path).exists()
    assert not units.filter(name="Tỉnh Hòa Bình").exists()
    people = Person.objects.for_user(user)
    assert people.count() > 10
    assert not people.filter(home_unit=mai_chau).exists()
    assert Person.objects.filter(home_unit=mai_chau).count() > 10  # there is something to hide
    assert list(Committee.objects.for_user(user).values_list("name", flat=True)) == [
        "Ban Chỉ đạo 35 huyện Lạc Sơn"
    ]
    assert not Membership.objects.for_user(user).filter(committee__unit=mai_chau).exists()


def test_running_again_with_if_empty_changes_nothing(demo, db):
    before = {model: model.objects.count() for model in ALL_MODELS}
    versions = list(Membership.objects.order_by("pk").values_list("pk", "version"))
    out = io.StringIO()
    call_command("seed_demo", "--scale", "small", "--if-empty", stdout=out)
    assert "already has units" in out.getvalue()
    assert {model: model.objects.count() for model in ALL_MODELS} == before
    assert list(Membership.objects.order_by("pk").values_list("pk", "version")) == versions


def test_without_if_empty_it_refuses_a_database_with_data(demo, db):
    before = OrgUnit.objects.count()
    with pytest.raises(CommandError, match="already has units") as excinfo:
        call_command("seed_demo", "--scale", "small")
    assert excinfo.value.returncode == 2
    assert OrgUnit.objects.count() == before


def test_demo_logins_prints_each_account_with_role_unit_and_password(demo, db):
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    for login in DEMO_LOGINS:
        assert login.username in text
    lines = {line.split()[0]: line for line in text.splitlines()[3:]}
    assert "secretary" in lines["lacson.thuky"] and "Huyện Lạc Sơn" in lines["lacson.thuky"]
    assert "viewer" in lines["evn.lanhdao"] and "Tập đoàn Điện lực Việt Nam" in lines["evn.lanhdao"]
    assert DEMO_PASSWORD in lines["duk.thuky"]


def test_demo_logins_hides_a_changed_password(demo, db):
    user = User.objects.get(username="maichau.thuky")
    user.set_password("Một-mật-khẩu-khác-2026")
    user.save()
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if line.startswith("maichau.thuky"))
    assert DEMO_PASSWORD not in line and "(changed)" in line
