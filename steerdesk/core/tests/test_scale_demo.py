"""`seed_demo --scale province|national`: the bulk generator's invariants, checked on its `tiny` scale (the same
code path at a few thousand rows): paths, copied unit paths, cascades, document numbers, search, roll-ups."""

import dataclasses
import datetime
import io
import re
import unicodedata
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F, Max
from django.test import override_settings

from steerdesk.accounts.models import RoleGrant, User
from steerdesk.core.management.demo import DEMO_PASSWORD
from steerdesk.core.management.scale import SCALES, generate
from steerdesk.core.scope import Role
from steerdesk.core.text import fold, name_sort_key, split_name
from steerdesk.documents import numbering
from steerdesk.documents.models import Document, NumberCounter, Recipient, Register
from steerdesk.documents.search import document_search_tokens, matching_documents
from steerdesk.orgs.models import PATH_STEP, Committee, Membership, OrgUnit, Person
from steerdesk.work.models import OPEN_STATUSES, Assignment, Plan, Status, Task
from steerdesk.work.selectors import rollup


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The tiny scale generated once through the command, rolled back after the module's tests."""
    fast_hasher = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast_hasher:
        with transaction.atomic():
            out = io.StringIO()
            call_command("seed_demo", "--scale", "tiny", stdout=out)
            yield out.getvalue()
            transaction.set_rollback(True)


@pytest.fixture
def superuser(seeded, db):
    return User.objects.get(username="admin")


def test_it_reports_rows_and_times_per_table_and_prints_the_logins(seeded):
    assert re.search(r"^work_assignment\s+[\d,]+\s+\d+\.\d$", seeded, re.MULTILINE)
    assert re.search(r"^documents_document\s+[\d,]+\s+\d+\.\d$", seeded, re.MULTILINE)
    assert re.search(r"^total\s+[\d,]+\s+\d+\.\d$", seeded, re.MULTILINE)
    for username in ("admin", "bct.thuky", "hoabinh.thuky", "lacson.thuky", "evn.thuky", "duk.thuky"):
        assert re.search(rf"^{re.escape(username)}\s", seeded, re.MULTILINE), username
    assert DEMO_PASSWORD in seeded


def test_paths_follow_the_parents(superuser):
    units = list(OrgUnit.objects.select_related("parent"))
    assert len(units) > 40
    assert {u.kind for u in units} >= {
        "central",
        "province",
        "district",
        "commune",
        "ministry",
        "corporation",
    }
    for unit in units:
        assert len(unit.path) % PATH_STEP == 0
        assert unit.depth == len(unit.path) // PATH_STEP - 1
        if unit.parent is None:
            assert len(unit.path) == PATH_STEP
        else:
            assert unit.path[:-PATH_STEP] == unit.parent.path
    assert (
        max(u.depth for u in units) == 4
    )  # five levels: central → ministry → corporation → company → branch


@pytest.mark.parametrize(
    ("model", "unit_field"),
    [
        (Committee, "unit"),
        (Person, "home_unit"),
        (Membership, "committee__unit"),
        (RoleGrant, "unit"),
        (Register, "unit"),
        (Document, "unit"),
        (Recipient, "unit"),
        (Plan, "unit"),
        (Task, "unit"),
        (Assignment, "unit"),
    ],
)
def test_copied_unit_paths_match_their_units(superuser, model, unit_field):
    assert model.objects.exists()
    assert not model.objects.exclude(unit_path=F(f"{unit_field}__path")).exists()


def test_people_have_the_derived_name_columns(superuser):
    for person in Person.objects.all()[:300]:
        parts = split_name(person.full_name)
        assert (person.family_name, person.middle_name, person.given_name) == (
            parts.family,
            parts.middle,
            parts.given,
        )
        assert person.name_sort_key == name_sort_key(
            given=parts.given, middle=parts.middle, family=parts.family
        )
    # Every committee has exactly one current head and a secretariat.
    for committee in Committee.objects.all():
        current = committee.memberships.filter(end_date__isnull=True)
        assert current.filter(role="head").count() == 1
        assert current.filter(role="secretariat").exists()


def test_assignments_carry_the_owner_path_and_the_cascade_root(superuser):
    tasks = {t.pk: t for t in Task.objects.all()}
    assignments = list(Assignment.objects.all())
    by_id = {a.pk: a for a in assignments}
    for a in assignments:
        task = tasks[a.task_id]
        assert a.task_unit_path == task.unit_path
        assert a.root_task_id == (task.root_task_id or task.pk)
        assert a.due_date is not None
        assert (a.status == Status.DONE) == (a.percent == 100 and a.completed_at is not None)
    splits = [t for t in tasks.values() if t.parent_assignment_id]
    assert splits, "some assignments are split further down"
    for task in splits:
        parent = by_id[task.parent_assignment_id]
        assert task.unit_id == parent.unit_id
        assert task.root_task_id == parent.root_task_id
        assert task.source_kind == Task.SourceKind.SPLIT
    # A task summarises its lead assignments (work.services._refresh_task).
    leads = defaultdict(list)
    for a in assignments:
        if a.role == Assignment.Role.LEAD and a.status != Status.CANCELLED:
            leads[a.task_id].append(a)
    for task in tasks.values():
        own = leads[task.pk]
        if task.status == Status.CANCELLED or not own:
            continue
        if all(a.status == Status.DONE for a in own):
            expected = Status.DONE
        elif all(a.status == Status.NOT_STARTED and a.percent == 0 for a in own):
            expected = Status.NOT_STARTED
        else:
            expected = Status.IN_PROGRESS
        assert task.status == expected
        assert task.percent == round(sum(a.percent for a in own) / len(own))


def test_document_numbers_are_real_formats_unique_and_consecutive(superuser):
    issued = list(Document.objects.filter(direction="outgoing", status="issued").select_related("register"))
    texts = [d.number_text for d in issued]
    assert any(re.fullmatch(r"\d{2,}/QĐ-UBND", t) for t in texts)
    assert any(re.fullmatch(r"\d{2,}-KH/BCĐ", t) for t in texts)
    assert any(re.fullmatch(r"\d{2,}/UBND-[A-Z]+", t) for t in texts)  # công văn: issuer – drafting unit
    series = defaultdict(list)
    for d in issued:
        parsed = numbering.parse_number(d.number_text)
        assert parsed.canonical == d.number_text
        assert int(parsed.number) == d.number
        assert d.number_key == numbering.normalize_number(d.number_text)
        assert parsed.system == d.register.system
        series[(d.register_id, d.period_key, d.series_key)].append(d.number)
    for numbers in series.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
    incoming = defaultdict(list)
    for d in Document.objects.filter(direction="incoming").order_by("incoming_date", "incoming_number"):
        assert d.period_key == str(d.incoming_date.year)
        incoming[(d.register_id, d.period_key)].append(d.incoming_number)
    for numbers in incoming.values():
        assert numbers == list(range(1, len(numbers) + 1))
    # The counters continue after the generated numbers.
    for counter in NumberCounter.objects.all():
        if counter.series_key == "incoming":
            top = max(incoming[(counter.register_id, counter.period_key)])
        else:
            top = max(series[(counter.register_id, counter.period_key, counter.series_key)])
        assert counter.last_number == top


def test_documents_store_nfc_text_with_both_tone_styles_and_the_services_tokens(superuser):
    documents = list(Document.objects.all())
    summaries = " ".join(d.summary + " " + d.body_text for d in documents)
    assert unicodedata.is_normalized("NFC", summaries)
    assert re.search(r"\b(thủy|hòa|Ủy|hóa)\b", summaries) and re.search(r"\b(thuỷ|hoà|Uỷ|hoá)\b", summaries)
    for d in documents:
        assert d.search_tokens == document_search_tokens(d, attachment_texts=[])
    delivered = Recipient.objects.select_related("incoming").exclude(incoming=None)
    assert delivered.exists()
    for r in delivered:
        assert r.incoming.source_id == r.document_id and r.incoming.unit_id == r.unit_id


def test_search_finds_a_generated_document_by_a_folded_word(superuser):
    old = Document.objects.filter(summary__regex=r"[Hh]òa|[Tt]hủy").order_by("pk").first()
    new = Document.objects.filter(summary__regex=r"[Hh]oà|[Tt]huỷ").order_by("pk").first()
    assert old and new
    for document in (old, new):
        word = next(w for w in re.findall(r"\w+", document.summary) if fold(w) in ("hoa", "thuy"))
        found = matching_documents(user=superuser, query=f"{fold(word)} {fold(document.unit.name)}")
        assert document in found
    number = Document.objects.filter(direction="outgoing", status="issued").order_by("pk").last()
    assert number in matching_documents(user=superuser, query=number.number_text.lower())


@pytest.mark.parametrize("where", ["central", "province", "district"])
def test_rollup_counts_equal_a_brute_force_count(superuser, where):
    today = datetime.date.today()
    unit = OrgUnit.objects.filter(kind=where).order_by("path").first()
    result = rollup(user=superuser, unit=unit, today=today)
    expected = Counter()
    for a in Assignment.objects.filter(unit_path__startswith=unit.path):
        step = a.unit_path[: len(unit.path) + PATH_STEP]
        key = "self" if a.unit_path == unit.path else step
        expected[(key, "total")] += 1
        expected[(key, a.status)] += 1
        if a.status in OPEN_STATUSES and a.due_date < today:
            expected[(key, "late")] += 1
    assert result.total.total == sum(v for (_k, s), v in expected.items() if s == "total") > 0
    for row in result.rows:
        key = "self" if row.is_self else row.unit.path
        assert row.total == expected[(key, "total")]
        assert row.done == expected[(key, Status.DONE)]
        assert row.late == expected[(key, "late")]
        assert row.not_started == expected[(key, Status.NOT_STARTED)]
        assert row.in_progress == expected[(key, Status.IN_PROGRESS)]
        assert row.cancelled == expected[(key, Status.CANCELLED)]
    if where == "central":  # the roll-ups have something in every column
        assert (
            result.total.done and result.total.late and result.total.in_progress and result.total.not_started
        )


def test_demo_logins_are_secretaries_of_their_units(superuser):
    user = User.objects.get(username="lacson.thuky")
    assert user.check_password(DEMO_PASSWORD)
    grant = user.grants.get()
    assert (grant.unit.name, grant.role) == ("Huyện Lạc Sơn", Role.SECRETARY)
    assert user.person.memberships.filter(role="secretariat", committee__unit=grant.unit).exists()
    hoabinh = {
        g.user.username: (g.unit.name, g.role)
        for g in RoleGrant.objects.filter(user__username__startswith="hoabinh.")
    }
    assert hoabinh == {
        "hoabinh.thuky": ("Tỉnh Hòa Bình", Role.SECRETARY),
        "hoabinh.admin": ("Tỉnh Hòa Bình", Role.ADMIN),
    }


def test_it_is_deterministic(superuser):
    small = dataclasses.replace(SCALES["tiny"], people=60, outgoing={"province": 6}, own_tasks={"commune": 1})
    today = datetime.date(2026, 3, 10)

    def digest():
        with transaction.atomic():
            after = {
                m: m.objects.aggregate(top=Max("pk"))["top"] for m in (OrgUnit, Person, Document, Assignment)
            }
            generate(small, actor_id=superuser.pk, today=today)
            data = (
                list(
                    OrgUnit.objects.filter(pk__gt=after[OrgUnit]).values_list("path", "name").order_by("pk")
                ),
                list(
                    Person.objects.filter(pk__gt=after[Person])
                    .values_list("full_name", "unit_path")
                    .order_by("pk")
                ),
                list(
                    Document.objects.filter(pk__gt=after[Document])
                    .values_list("number_text", "summary")
                    .order_by("pk")
                ),
                list(
                    Assignment.objects.filter(pk__gt=after[Assignment])
                    .values_list("unit_path", "status", "due_date")
                    .order_by("pk")
                ),
            )
            transaction.set_rollback(True)
        return data

    first = digest()
    assert first[0] and first[2] and first[3]
    assert digest() == first


def test_it_refuses_a_database_that_has_units(superuser):
    units = OrgUnit.objects.count()
    with pytest.raises(CommandError, match="already has units") as excinfo:
        call_command("seed_demo", "--scale", "province")
    assert excinfo.value.returncode == 2
    assert OrgUnit.objects.count() == units


def test_it_refuses_an_unknown_scale(db):
    with pytest.raises(CommandError, match="Unknown scale") as excinfo:
        call_command("seed_demo", "--scale", "planet")
    assert excinfo.value.returncode == 2
