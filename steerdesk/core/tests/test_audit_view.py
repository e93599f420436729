"""The audit-log page and its exports: who may read it, what each admin sees, filters, pages, CSV and XLSX."""

from __future__ import annotations

import csv
import datetime
import io
from unittest import mock

import pytest
from django.urls import reverse

from steerdesk.core.audit import audit_record
from steerdesk.core.models import AuditEntry
from steerdesk.orgs.models import Committee, Person
from steerdesk.orgs.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

URL = reverse("core:audit_list")
EXPORT = reverse("core:audit_export")
UTC = datetime.UTC


def at(entry: AuditEntry, moment: datetime.datetime) -> AuditEntry:
    AuditEntry.objects.filter(pk=entry.pk).update(at=moment)
    entry.refresh_from_db()
    return entry


@pytest.fixture
def log(tree, users):
    """Entries in district A (and its commune) and district B, at known moments."""
    AuditEntry.objects.all().delete()  # the fixtures' own creations are not audited, but be sure
    a_person = PersonFactory(home_unit=tree.district_a, full_name="Nguyễn Thị Lạc Sơn")
    commune_person = PersonFactory(home_unit=tree.commune_a1, full_name="Bùi Văn Vũ Bình")
    b_person = PersonFactory(home_unit=tree.district_b, full_name="Hà Thị Mai Châu")
    return {
        "a_create": at(
            audit_record(
                actor=users.owner,
                instance=a_person,
                action="create",
                changes={"full_name": [None, a_person.full_name]},
            ),
            datetime.datetime(2026, 3, 1, 17, 30, tzinfo=UTC),  # 02/03/2026 00:30 in Hà Nội
        ),
        "a_update": at(
            audit_record(
                actor=users.admin,
                instance=a_person,
                action="update",
                changes={"email": ["", "lacson@example.vn"]},
            ),
            datetime.datetime(2026, 3, 5, 2, 0, tzinfo=UTC),
        ),
        "commune": at(
            audit_record(actor=users.owner, instance=commune_person, action="create"),
            datetime.datetime(2026, 3, 10, 3, 0, tzinfo=UTC),
        ),
        "committee": at(
            audit_record(
                actor=users.owner, instance=tree.committee_a, action="update", changes={"name": ["Cũ", "Mới"]}
            ),
            datetime.datetime(2026, 3, 12, 3, 0, tzinfo=UTC),
        ),
        "b": at(
            audit_record(actor=users.outsider, instance=b_person, action="create"),
            datetime.datetime(2026, 3, 5, 3, 0, tzinfo=UTC),
        ),
    }


def ids(response) -> set[int]:
    return {row["entry"].pk for row in response.context["rows"]}


# --- who may read it ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [URL, EXPORT])
def test_anonymous_users_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("who", ["member", "viewer", "owner", "outsider"])
@pytest.mark.parametrize("url", [URL, EXPORT])
def test_it_requires_the_admin_role(log, users, client_for, who, url):
    assert client_for(getattr(users, who)).get(url).status_code == 403


def test_an_admin_sees_the_entries_of_their_subtree_only(log, users, client_for):
    response = client_for(users.admin).get(URL)

    assert response.status_code == 200
    assert ids(response) == {log[k].pk for k in ("a_create", "a_update", "commune", "committee")}
    body = response.content.decode()
    assert "Nguyễn Thị Lạc Sơn" in body and "Bùi Văn Vũ Bình" in body
    assert "Hà Thị Mai Châu" not in body
    assert "02/03/2026 00:30" in body  # local time, dd/mm/yyyy HH:MM
    assert "lacson@example.vn" in body  # the changed field, old → new


def test_a_weaker_grant_elsewhere_adds_nothing(log, users, tree, client_for):
    from steerdesk.accounts.tests.factories import RoleGrantFactory

    RoleGrantFactory(user=users.admin, unit=tree.district_b, role="secretary")
    response = client_for(users.admin).get(URL)
    assert log["b"].pk not in ids(response)


def test_a_superuser_sees_every_entry(log, users, client_for):
    response = client_for(users.superuser).get(URL)
    assert ids(response) == {e.pk for e in log.values()}


# --- filters and pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "OWN"}, {"a_create", "commune", "committee"}),
        ({"action": "update"}, {"a_update", "committee"}),
        ({"q": "Vũ Bình"}, {"commune"}),
        ({"date_from": "02/03/2026", "date_to": "05/03/2026"}, {"a_create", "a_update"}),
        ({"date_to": "01/03/2026"}, set()),  # 17:30 UTC on 1 March is 2 March in Hà Nội
        ({"date_from": "11/03/2026"}, {"committee"}),
        ({"action": "create", "actor": "owner", "q": "Lạc Sơn"}, {"a_create"}),
    ],
)
def test_filters(log, users, client_for, query, expected):
    response = client_for(users.admin).get(URL, query)
    assert ids(response) == {log[k].pk for k in expected}


def test_the_object_type_filter(log, users, client_for):
    from django.contrib.contenttypes.models import ContentType

    committee_type = ContentType.objects.get_for_model(Committee)
    response = client_for(users.admin).get(URL, {"object_type": committee_type.pk})
    assert ids(response) == {log["committee"].pk}
    choices = dict(response.context["form"].fields["object_type"].choices)
    assert choices[committee_type.pk] == str(Committee._meta.verbose_name).capitalize()


def test_an_invalid_filter_is_shown_and_ignored(log, users, client_for):
    response = client_for(users.admin).get(URL, {"date_from": "31/02/2026", "action": "create"})
    assert response.status_code == 200
    assert response.context["form"].errors["date_from"]
    assert ids(response) == {log[k].pk for k in ("a_create", "commune")}


def test_pages_of_fifty_newest_first(tree, users, client_for):
    person = PersonFactory(home_unit=tree.district_a)
    base = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    entries = [
        at(
            audit_record(actor=users.owner, instance=person, action="update"),
            base + datetime.timedelta(hours=i),
        )
        for i in range(55)
    ]
    client = client_for(users.admin)
    first = client.get(URL)
    second = client.get(URL, {"page": 2})
    assert [r["entry"].pk for r in first.context["rows"]] == [e.pk for e in reversed(entries)][:50]
    assert [r["entry"].pk for r in second.context["rows"]] == [e.pk for e in reversed(entries)][50:]


def test_htmx_gets_only_the_table(log, users, client_for):
    response = client_for(users.admin).get(URL, {"action": "update"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.startswith('<div id="audit-results">')
    assert "<html" not in body


def test_the_list_needs_a_bounded_number_of_queries(log, users, client_for, django_assert_max_num_queries):
    client = client_for(users.admin)
    client.get(URL)  # warm caches (content types)
    with django_assert_max_num_queries(12):
        client.get(URL)


# --- exports ---------------------------------------------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_export_holds_the_filtered_rows_in_local_time(log, users, client_for):
    response = client_for(users.admin).get(EXPORT, {"actor": "owner"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    header, *rows = csv_rows(response)
    assert len(header) == 8
    assert [r[5] for r in rows] == ["Ban Chỉ đạo 35 huyện Lạc Sơn", "Bùi Văn Vũ Bình", "Nguyễn Thị Lạc Sơn"]
    first_create = rows[-1]
    assert first_create[0] == "02/03/2026 00:30"
    assert first_create[1] == "owner"
    assert first_create[4] == str(Person.objects.get(full_name="Nguyễn Thị Lạc Sơn").pk)
    assert "Nguyễn Thị Lạc Sơn" in first_create[6]
    assert "Cũ → Mới" in rows[0][6]
    assert not any("Mai Châu" in cell for row in rows for cell in row)


def test_xlsx_export_holds_the_same_rows(log, users, client_for):
    from openpyxl import load_workbook

    response = client_for(users.admin).get(EXPORT, {"format": "xlsx", "action": "update"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert len(header) == 8
    assert [r[5] for r in rows] == ["Ban Chỉ đạo 35 huyện Lạc Sơn", "Nguyễn Thị Lạc Sơn"]
    assert rows[1][0] == "05/03/2026 09:00"
    assert rows[1][1] == users.admin.username


def test_exports_never_hand_a_spreadsheet_a_formula(tree, users, client_for):
    person = PersonFactory(home_unit=tree.district_a, full_name='=HYPERLINK("http://x.example","bấm")')
    audit_record(actor=users.owner, instance=person, action="create")
    client = client_for(users.admin)

    [row] = csv_rows(client.get(EXPORT))[1:]
    assert row[5] == '\'=HYPERLINK("http://x.example","bấm")'

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(client.get(EXPORT, {"format": "xlsx"}).content)).active
    cell = sheet.cell(row=2, column=6)
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://x.example","bấm")'


def test_the_export_is_bounded(log, users, client_for):
    with mock.patch("steerdesk.core.views_audit.EXPORT_MAX_ROWS", 2):
        rows = csv_rows(client_for(users.superuser).get(EXPORT))[1:]
    assert len(rows) == 2
