"""XLSX/CSV import of people: all or nothing, a readable error report, NFC, BOM and `;`, limits."""

import datetime
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from steerdesk.orgs import importing
from steerdesk.orgs.models import Membership, Person
from steerdesk.orgs.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

HEADER = [
    "STT",
    "Họ và tên",
    "Chức vụ",
    "Email",
    "Điện thoại",
    "Vị trí trong Ban",
    "Ngày bắt đầu",
    "Quyết định",
]


def xlsx(rows, header=HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["DANH SÁCH THÀNH VIÊN BAN CHỈ ĐẠO"])  # a title line above the header, as lists often have
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(lines, *, bom=True, sep=";") -> bytes:
    text = "\r\n".join(sep.join(cells) for cells in lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


GOOD_ROWS = [
    [
        1,
        "Nguyễn Văn An",
        "Bí thư Huyện ủy",
        "an@example.vn",
        "0912345678",
        "Trưởng ban",
        datetime.date(2024, 3, 1),
        "45/QĐ-BCĐ",
    ],
    [
        2,
        "Trần Thị Bình",
        "Chủ tịch UBND",
        "",
        912345679,
        "Phó Trưởng ban Thường trực",
        "01/03/2024",
        "45/QĐ-BCĐ",
    ],
    [3, "Lê Văn Cường", "", "", "", "Ủy viên", "", ""],
    [4, "Phạm Thị Dung", "Chuyên viên", "", "", "to giup viec", "", ""],
]


def test_xlsx_import_creates_people_and_their_positions(tree, users):
    result = importing.import_people(
        actor=users.owner, unit=tree.district_a, committee=tree.committee_a, data=xlsx(GOOD_ROWS)
    )
    assert (result.created, result.reused, result.memberships) == (4, 0, 4)
    assert result.ignored_columns == ["STT"]
    head = Membership.objects.get(committee=tree.committee_a, role="head")
    assert head.person.full_name == "Nguyễn Văn An" and head.start_date == datetime.date(2024, 3, 1)
    assert head.decision_ref == "45/QĐ-BCĐ"
    binh = Person.objects.get(full_name="Trần Thị Bình")
    assert binh.phone == "0912345679"  # the leading zero a number cell lost
    assert Membership.objects.get(person=binh).role == "standing_deputy"
    assert Membership.objects.get(person__full_name="Phạm Thị Dung").role == "secretariat"


def test_one_bad_row_imports_nothing_and_the_report_names_row_column_and_reason(tree, users):
    rows = GOOD_ROWS[:2] + [[3, "Lê Văn Cường", "", "không-phải-email", "", "Ủy viên", "", ""]]
    with pytest.raises(importing.ImportRejected) as exc:
        importing.import_people(
            actor=users.owner, unit=tree.district_a, committee=tree.committee_a, data=xlsx(rows)
        )
    assert exc.value.errors == [
        importing.RowError(5, "Email", "“không-phải-email” is not a valid e-mail address.")
    ]  # title line 1, header line 2, data from line 3
    assert not Person.objects.filter(home_unit=tree.district_a).exists()
    assert not Membership.objects.filter(committee=tree.committee_a).exists()


def test_every_error_is_reported_not_only_the_first(tree, users):
    rows = [
        [1, "", "", "", "", "", "", ""],
        [2, "Ngô Văn E", "", "", "", "Chủ nhiệm", "31/02/2024", ""],
        [3, "Đỗ Văn G", "", "", "", "Trưởng ban", "", ""],
        [4, "Võ Văn H", "", "", "", "Trưởng ban", "", ""],
    ]
    with pytest.raises(importing.ImportRejected) as exc:
        importing.import_people(
            actor=users.owner, unit=tree.district_a, committee=tree.committee_a, data=xlsx(rows)
        )
    found = {(e.row, e.column) for e in exc.value.errors}
    assert found == {(3, "Họ và tên"), (4, "Vị trí trong Ban"), (4, "Ngày bắt đầu"), (6, "Vị trí trong Ban")}


def test_nfd_input_is_stored_as_nfc(tree, users):
    nfd = "Nguye\u0302\u0303n Thi\u0323 Minh Khai"
    importing.import_people(actor=users.owner, unit=tree.district_a, data=csv_bytes([["Họ và tên"], [nfd]]))
    person = Person.objects.get(home_unit=tree.district_a)
    assert person.full_name == "Nguyễn Thị Minh Khai" and person.given_name == "Khai"


def test_csv_with_bom_and_semicolons_and_english_headers(tree, users):
    data = csv_bytes(
        [
            ["full_name", "title", "role", "start_date"],
            ["Hoàng Văn Tú", "Phó Chủ tịch", "deputy", "05/02/2020"],
        ]
    )
    result = importing.import_people(
        actor=users.owner, unit=tree.district_a, committee=tree.committee_a, data=data
    )
    assert result.created == 1
    m = Membership.objects.get(committee=tree.committee_a)
    assert (
        m.person.title == "Phó Chủ tịch" and m.role == "deputy" and m.start_date == datetime.date(2020, 2, 5)
    )


def test_csv_with_commas_and_no_bom(tree, users):
    data = csv_bytes([["Họ và tên", "Chức vụ"], ["Bùi Thị Lan", "Kế toán, thủ quỹ"]], bom=False, sep=",")
    data = data.replace("Kế toán, thủ quỹ".encode(), '"Kế toán, thủ quỹ"'.encode())
    importing.import_people(actor=users.owner, unit=tree.district_a, data=data)
    assert Person.objects.get(full_name="Bùi Thị Lan").title == "Kế toán, thủ quỹ"


def test_an_existing_person_with_another_tone_placement_is_reused_not_duplicated(tree, users):
    existing = PersonFactory(full_name="Lê Thị Hoà", home_unit=tree.district_a)
    data = csv_bytes([["Họ và tên", "Vị trí trong Ban"], ["Lê Thị Hòa", "Ủy viên"]])
    result = importing.import_people(
        actor=users.owner, unit=tree.district_a, committee=tree.committee_a, data=data
    )
    assert (result.created, result.reused) == (0, 1)
    assert Person.objects.filter(home_unit=tree.district_a).count() == 1
    assert Membership.objects.get(committee=tree.committee_a).person == existing


def test_a_position_without_a_committee_is_an_error(tree, users):
    data = csv_bytes([["Họ và tên", "Vị trí trong Ban"], ["Lý Văn Phúc", "Trưởng ban"]])
    with pytest.raises(importing.ImportRejected) as exc:
        importing.import_people(actor=users.owner, unit=tree.district_a, data=data)
    assert exc.value.errors[0].row == 2 and exc.value.errors[0].column == "Vị trí trong Ban"


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "Old Excel"),
        (b"%PDF-1.7\x00\x00binary", "neither an XLSX"),
        (b"PK\x03\x04not really a workbook", "not a readable XLSX"),
        (b"H\xe1 N\xe9i;x\n", "not UTF-8"),
        (b"a" * (5 * 1024 * 1024 + 1), "larger than 5 MB"),
        ("Họ và tên\n".encode() + "Người Thứ\n".encode() * 5001, "more than 5,000 rows"),
        (b"Ten;Chuc vu\nA;B\n", "required column is missing"),
    ],
)
def test_bad_files_are_refused_with_a_reason(tree, users, data, reason):
    with pytest.raises(importing.ImportRejected) as exc:
        importing.import_people(actor=users.owner, unit=tree.district_a, data=data)
    assert reason in exc.value.report()
    assert not Person.objects.filter(home_unit=tree.district_a).exists()


def test_a_viewer_cannot_import(tree, users):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        importing.import_people(
            actor=users.viewer, unit=tree.district_a, data=csv_bytes([["Họ và tên"], ["A B"]])
        )


# --- page and command ------------------------------------------------------------------------------------


def test_the_import_page_shows_the_full_report_and_imports_nothing(client_for, tree, users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = client_for(users.owner)
    data = csv_bytes([["Họ và tên", "Email"], ["Mai Văn Khoa", "sai"], ["", ""], ["Mai Văn Long", "x@y"]])
    response = c.post(
        reverse("orgs:import"),
        {"unit": tree.district_a.pk, "file": SimpleUploadedFile("ds.csv", data, content_type="text/csv")},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "<td>2</td><td>Email</td>" in page and "<td>4</td><td>Email</td>" in page
    assert not Person.objects.filter(home_unit=tree.district_a).exists()


def test_the_import_page_imports_and_redirects(client_for, tree, users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = client_for(users.owner)
    upload = SimpleUploadedFile("ds.xlsx", xlsx(GOOD_ROWS))
    response = c.post(
        reverse("orgs:import"), {"unit": tree.district_a.pk, "committee": tree.committee_a.pk, "file": upload}
    )
    assert response.status_code == 302 and response["Location"] == tree.committee_a.get_absolute_url()
    assert Membership.objects.filter(committee=tree.committee_a).count() == 4


def test_the_import_page_offers_only_units_the_user_may_write(client_for, tree, users):
    page = client_for(users.viewer).get(reverse("orgs:import")).content.decode()
    form = page[page.index('enctype="multipart/form-data"') :]
    assert f'value="{tree.district_a.pk}"' not in form
    page = client_for(users.owner).get(reverse("orgs:import")).content.decode()
    form = page[page.index('enctype="multipart/form-data"') :]
    assert f'value="{tree.district_a.pk}"' in form and f'value="{tree.district_b.pk}"' not in form


def test_the_command_imports_and_prints_a_summary(tree, users, tmp_path, capsys):
    path = tmp_path / "ds.xlsx"
    path.write_bytes(xlsx(GOOD_ROWS))
    call_command(
        "import_people", str(path), unit=tree.district_a.pk, committee=tree.committee_a.pk, user="owner"
    )
    assert "4" in capsys.readouterr().out
    assert Person.objects.filter(home_unit=tree.district_a).count() == 4


def test_the_command_exits_1_with_the_report_on_stderr(tree, users, tmp_path):
    path = tmp_path / "ds.csv"
    path.write_bytes(csv_bytes([["Họ và tên", "Ngày bắt đầu"], ["Mai Văn Khoa", "hôm qua"]]))
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_people", str(path), unit=tree.district_a.pk, user="owner", stderr=err)
    assert exc.value.returncode == 1
    assert "Row 2" in err.getvalue() and "Ngày bắt đầu" in err.getvalue() and "hôm qua" in err.getvalue()
    assert not Person.objects.filter(home_unit=tree.district_a).exists()
