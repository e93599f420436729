"""XLSX export and import of a plan's tasks: the round trip, row/column errors, all or nothing, units, working
days, stale files; the unit tasks report."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steerdesk.core.models import AuditEntry
from steerdesk.orgs.importing import ImportRejected
from steerdesk.orgs.tests.factories import OrgUnitFactory
from steerdesk.work import services, xlsx, xlsx_import
from steerdesk.work.models import Assignment, Priority, Task

pytestmark = pytest.mark.django_db

D = datetime.date
COL = {c.key: i for i, c in enumerate(xlsx.COLUMNS, start=1)}


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the source strings); the file's headers are fixed Vietnamese."""
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def commune_a2(tree):
    return OrgUnitFactory(name="Xã Vũ Lâm", kind="commune", parent=tree.district_a)


@pytest.fixture
def plan(tree, users):
    return services.plan_create(
        actor=users.owner,
        unit=tree.district_a,
        data={"title": "Kế hoạch năm 2026", "period_kind": "year", "year": 2026},
    )


@pytest.fixture
def tasks(plan, tree, users, commune_a2):
    """Three plan items: one the district does itself, one led by a commune with a cooperating commune, one with
    a deadline in working days."""
    own = services.task_create(
        actor=users.owner,
        unit=tree.district_a,
        plan=plan,
        data={"title": "Tổ chức hội nghị quán triệt", "item_number": "1", "due_date": D(2026, 3, 31)},
    )
    led = services.task_create(
        actor=users.owner,
        unit=tree.district_a,
        plan=plan,
        data={
            "title": "Tuyên truyền Nghị quyết",
            "item_number": "2",
            "description": "Dòng một\nDòng hai",
            "priority": Priority.HIGH,
            "start_date": D(2026, 2, 2),
            "due_date": D(2026, 6, 30),
            "result_required": "Báo cáo kết quả",
        },
        lead_units=[tree.commune_a1],
        cooperating_units=[commune_a2],
    )
    counted = services.task_create(
        actor=users.owner,
        unit=tree.district_a,
        plan=plan,
        data={
            "title": "Gửi báo cáo sơ kết",
            "item_number": "10",
            "start_date": D(2026, 2, 13),
            "due_working_days": 5,
        },
    )
    return [own, led, counted]


def workbook(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def save(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row_of(ws, task: Task) -> int:
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, COL["code"]).value == task.pk:
            return r
    raise AssertionError(f"task {task.pk} not exported")


def do_import(user, plan, data: bytes):
    return xlsx_import.import_plan_tasks(actor=user, plan=plan, data=data)


def rejected(user, plan, data: bytes) -> list[tuple]:
    with pytest.raises(ImportRejected) as info:
        do_import(user, plan, data)
    return [(e.row, e.column, e.message) for e in info.value.errors]


def audit_count() -> int:
    types = [ContentType.objects.get_for_model(m) for m in (Task, Assignment)]
    return AuditEntry.objects.filter(content_type__in=types).count()


def versions() -> dict[int, int]:
    return dict(Task.objects.values_list("pk", "version"))


# ---------------------------------------------------------------------------------------------------------
# Export


def test_export_is_an_import_ready_workbook(plan, tasks, users, tree, commune_a2):
    wb = workbook(xlsx.export_plan(user=users.owner, plan=plan))
    assert wb.sheetnames == ["Nhiệm vụ", "Hướng dẫn", "Đơn vị"]
    ws = wb["Nhiệm vụ"]
    assert [c.value for c in ws[1]] == xlsx.HEADER
    assert ws.freeze_panes == "A2"
    # Natural item order: 1, 2, 10.
    assert [ws.cell(r, COL["item_number"]).value for r in range(2, 5)] == ["1", "2", "10"]
    r = row_of(ws, tasks[1])
    assert ws.cell(r, COL["lead_units"]).value == f"Xã Vũ Bình [{tree.commune_a1.pk}]"
    assert ws.cell(r, COL["cooperating_units"]).value == f"Xã Vũ Lâm [{commune_a2.pk}]"
    due = ws.cell(r, COL["due_date"])
    assert due.value == datetime.datetime(2026, 6, 30) and due.number_format == "dd/mm/yyyy"
    assert ws.cell(r, COL["priority"]).value == "Cao"
    assert ws.cell(r, COL["description"]).value == "Dòng một\nDòng hai"
    assert ws.cell(row_of(ws, tasks[0]), COL["lead_units"]).value == f"Huyện Lạc Sơn [{tree.district_a.pk}]"
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1 and "Khẩn" in lists[0].formula1
    units = [wb["Đơn vị"].cell(r, 1).value for r in range(2, wb["Đơn vị"].max_row + 1)]
    assert f"Xã Vũ Lâm [{commune_a2.pk}]" in units
    assert not any("Mai Châu" in u for u in units)  # only units the user can name


def test_text_that_looks_like_a_formula_stays_text(plan, users, tree):
    services.task_create(actor=users.owner, unit=tree.district_a, plan=plan, data={"title": "=1+1 kiểm tra"})
    data = xlsx.export_plan(user=users.owner, plan=plan)
    cell = workbook(data)["Nhiệm vụ"].cell(2, COL["title"])
    assert cell.data_type == "s" and cell.value == "=1+1 kiểm tra"
    assert do_import(users.owner, plan, data).unchanged == 1


# ---------------------------------------------------------------------------------------------------------
# Round trip


def test_reimporting_an_unchanged_export_changes_nothing(plan, tasks, users):
    data = xlsx.export_plan(user=users.owner, plan=plan)
    before_versions, before_audit, before_assignments = versions(), audit_count(), Assignment.objects.count()
    counts = do_import(users.owner, plan, data)
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 3)
    assert versions() == before_versions
    assert audit_count() == before_audit
    assert Assignment.objects.count() == before_assignments


def test_editing_one_cell_changes_exactly_that_task(plan, tasks, users):
    wb = workbook(xlsx.export_plan(user=users.owner, plan=plan))
    ws = wb["Nhiệm vụ"]
    ws.cell(row_of(ws, tasks[1]), COL["title"]).value = "Tuyên truyền Nghị quyết 35 (sửa)"
    before_versions, before_audit = versions(), audit_count()
    counts = do_import(users.owner, plan, save(wb))
    assert (counts.created, counts.updated, counts.unchanged) == (0, 1, 2)
    after = versions()
    assert after[tasks[1].pk] == before_versions[tasks[1].pk] + 1
    assert {pk: v for pk, v in after.items() if pk != tasks[1].pk} == {
        pk: v for pk, v in before_versions.items() if pk != tasks[1].pk
    }
    assert audit_count() == before_audit + 1
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.object_id == str(tasks[1].pk)
    assert entry.changes == {"title": ["Tuyên truyền Nghị quyết", "Tuyên truyền Nghị quyết 35 (sửa)"]}


def test_dates_typed_as_text_and_priority_labels_are_understood(plan, tasks, users):
    wb = workbook(xlsx.export_plan(user=users.owner, plan=plan))
    ws = wb["Nhiệm vụ"]
    r = row_of(ws, tasks[0])
    ws.cell(r, COL["due_date"]).value = "15/04/2026"
    ws.cell(r, COL["priority"]).value = "khẩn"
    counts = do_import(users.owner, plan, save(wb))
    assert counts.updated == 1
    tasks[0].refresh_from_db()
    assert (tasks[0].due_date, tasks[0].priority) == (D(2026, 4, 15), Priority.URGENT)
    # The lead assignment that kept the old due date follows the new one.
    assert Assignment.objects.get(task=tasks[0]).due_date == D(2026, 4, 15)


def test_new_rows_create_tasks_with_their_units(plan, tasks, users, tree, commune_a2):
    wb = workbook(xlsx.export_plan(user=users.owner, plan=plan))
    ws = wb["Nhiệm vụ"]
    ws.append(
        {
            COL["item_number"]: "3",
            COL["title"]: "Kiểm tra việc thực hiện",
            COL["lead_units"]: f"Xã Vũ Bình [{tree.commune_a1.pk}]",
            COL["cooperating_units"]: "Xã Vũ Lâm",  # the exact name alone, unambiguous
            COL["due_date"]: datetime.datetime(2026, 9, 30),
            COL["priority"]: "Thấp",
        }
    )
    ws.append({COL["title"]: "Tự làm", COL["lead_units"]: ""})
    counts = do_import(users.owner, plan, save(wb))
    assert (counts.created, counts.updated, counts.unchanged) == (2, 0, 3)
    new = Task.objects.get(title="Kiểm tra việc thực hiện")
    assert (new.plan, new.item_number, new.due_date, new.priority, new.source_kind) == (
        plan,
        "3",
        D(2026, 9, 30),
        Priority.LOW,
        Task.SourceKind.PLAN_ITEM,
    )
    roles = set(Assignment.objects.filter(task=new).values_list("unit_id", "role"))
    assert roles == {(tree.commune_a1.pk, "lead"), (commune_a2.pk, "cooperate")}
    own = Task.objects.get(title="Tự làm")
    assert list(Assignment.objects.filter(task=own).values_list("unit_id", flat=True)) == [tree.district_a.pk]
    # The new tasks round-trip too.
    assert do_import(users.owner, plan, xlsx.export_plan(user=users.owner, plan=plan)).unchanged == 5


def test_a_lead_unit_added_to_an_own_task_takes_it_over(plan, tasks, users, tree):
    wb = workbook(xlsx.export_plan(user=users.owner, plan=plan))
    ws = wb["Nhiệm vụ"]
    ws.cell(row_of(ws, tasks[0]), COL["lead_units"]).value = f"Xã Vũ Bình [{tree.commune_a1.pk}]"
    version = tasks[0].version
    counts = do_import(users.owner, plan, save(wb))
    assert counts.updated == 1
    assert list(Assignment.objects.filter(task=tasks[0]).values_list("unit_id", "role")) == [
        (tree.commune_a1.pk, "lead")
    ]
    tasks[0].refresh_from_db()
    assert tasks[0].version == version  # the definition did not change
    assert do_import(users.owner, plan, xlsx.export_plan(user=users.owner, plan=plan)).unchanged == 3


def test_the_own_unit_cannot_stay_lead_beside_an_added_lead(plan, tasks, users, tree):
    wb = workbook(xlsx.export_plan(user=users.owner, plan=plan))
    ws = wb["Nhiệm vụ"]
    r = row_of(ws, tasks[0])
    ws.cell(
        r, COL["lead_units"]
    ).value = f"Huyện Lạc Sơn [{tree.district_a.pk}]; Xã Vũ Bình [{tree.commune_a1.pk}]"
    assert [(row, column) for row, column, _m in rejected(users.owner, plan, save(wb))] == [
        (r, "Đơn vị chủ trì")
    ]


def test_the_tasks_sheet_is_found_by_its_name(plan, tasks, users):
    wb = workbook(xlsx.export_plan(user=users.owner, plan=plan))
    wb.move_sheet("Nhiệm vụ", offset=2)
    assert wb.sheetnames[0] != "Nhiệm vụ"
    assert do_import(users.owner, plan, save(wb)).unchanged == 3


def test_units_cannot_be_removed_or_change_role(plan, tasks, users, tree, commune_a2):
    wb = workbook(xlsx.export_plan(user=users.owner, plan=plan))
    ws = wb["Nhiệm vụ"]
    r = row_of(ws, tasks[1])
    ws.cell(r, COL["cooperating_units"]).value = ""
    errors = rejected(users.owner, plan, save(wb))
    assert [(row, column) for row, column, _m in errors] == [(r, "Đơn vị phối hợp")]
    assert f"[{commune_a2.pk}]" in errors[0][2]
    ws.cell(r, COL["cooperating_units"]).value = f"Xã Vũ Bình [{tree.commune_a1.pk}]"
    ws.cell(r, COL["lead_units"]).value = f"Xã Vũ Lâm [{commune_a2.pk}]"
    errors = rejected(users.owner, plan, save(wb))
    assert any("role" in m for _r, _c, m in errors)


# ---------------------------------------------------------------------------------------------------------
# Errors: row and column, all or nothing


def test_a_renamed_header_is_a_clear_error(plan, tasks, users):
    wb = workbook(xlsx.export_plan(user=users.owner, plan=plan))
    ws = wb["Nhiệm vụ"]
    ws.cell(1, COL["due_date"]).value = "Hạn chót"
    assert rejected(users.owner, plan, save(wb)) == [
        (1, "Hạn chót", "Unknown column: rename it to one of " + ", ".join(xlsx.HEADER) + ", or delete it.")
    ]
    ws.cell(1, COL["due_date"]).value = "Hạn hoàn thành"
    ws.cell(1, COL["title"]).value = "Tiêu đề"
    errors = rejected(users.owner, plan, save(wb))
    assert errors[0][:2] == (1, "Nội dung nhiệm vụ")
    assert "No header row" in errors[0][2]


def test_headers_match_without_diacritics_or_case(plan, users):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["KẾ HOẠCH NĂM 2026"])  # a title line above the header
    ws.append(["noi dung nhiem vu", "HAN HOAN THANH", "don vi chu tri"])
    ws.append(["Việc mới", "01/12/2026", ""])
    counts = do_import(users.owner, plan, save(wb))
    assert counts.created == 1
    assert Task.objects.get(plan=plan).due_date == D(2026, 12, 1)


def test_bad_cells_are_reported_with_row_and_column(plan, tasks, users):
    wb = workbook(xlsx.export_plan(user=users.owner, plan=plan))
    ws = wb["Nhiệm vụ"]
    ws.append({COL["title"]: "", COL["item_number"]: "4"})  # row 5
    ws.append({COL["title"]: "Hạn sai", COL["due_date"]: "31/02/2026"})  # row 6
    ws.append({COL["title"]: "Đơn vị lạ", COL["lead_units"]: "Xã Không Có"})  # row 7
    ws.append({COL["title"]: "Ngoài phạm vi", COL["lead_units"]: "Huyện Mai Châu [99999]"})  # row 8
    ws.append({COL["title"]: "Ưu tiên lạ", COL["priority"]: "rất gấp"})  # row 9
    ws.append(
        {COL["title"]: "Ngược", COL["start_date"]: "10/05/2026", COL["due_date"]: "01/05/2026"}
    )  # row 10
    before = Task.objects.count()
    errors = rejected(users.owner, plan, save(wb))
    assert [(row, column) for row, column, _m in errors] == [
        (5, "Nội dung nhiệm vụ"),
        (6, "Hạn hoàn thành"),
        (7, "Đơn vị chủ trì"),
        (8, "Đơn vị chủ trì"),
        (9, "Mức ưu tiên"),
        (10, "Hạn hoàn thành"),
    ]
    assert errors[1][2] == "“31/02/2026” is not a date (dd/mm/yyyy)."
    assert "Xã Không Có" in errors[2][2]
    assert Task.objects.count() == before


def test_one_bad_row_among_good_ones_writes_nothing(plan, tasks, users):
    wb = workbook(xlsx.export_plan(user=users.owner, plan=plan))
    ws = wb["Nhiệm vụ"]
    ws.cell(row_of(ws, tasks[0]), COL["title"]).value = "Đổi tên"
    for i in range(20):
        ws.append({COL["title"]: f"Nhiệm vụ mới {i}"})
    ws.append({COL["title"]: "Hạn sai", COL["due_date"]: "ngày mai"})
    before_tasks, before_versions, before_audit = Task.objects.count(), versions(), audit_count()
    errors = rejected(users.owner, plan, save(wb))
    assert [(row, column) for row, column, _m in errors] == [(ws.max_row, "Hạn hoàn thành")]
    assert Task.objects.count() == before_tasks
    assert versions() == before_versions
    assert audit_count() == before_audit


def test_a_failure_while_writing_rolls_everything_back(plan, tasks, users, monkeypatch):
    """The new rows are written first (in bulk); a changed row that then fails takes them back with it."""
    wb = workbook(xlsx.export_plan(user=users.owner, plan=plan))
    ws = wb["Nhiệm vụ"]
    for i in range(3):
        ws.append({COL["title"]: f"Mới {i}"})
    r = row_of(ws, tasks[1])
    ws.cell(r, COL["title"]).value = "Đổi tên"
    created = []
    real = services.tasks_create_many

    def spy(**kwargs):
        created.extend(real(**kwargs))
        return created

    def failing(**kwargs):
        from django.core.exceptions import ValidationError

        assert Task.objects.filter(pk__in=[t.pk for t in created]).count() == 3  # written, not committed
        raise ValidationError({"title": "boom"})

    monkeypatch.setattr(services, "tasks_create_many", spy)
    monkeypatch.setattr(services, "task_update", failing)
    before, before_audit = Task.objects.count(), audit_count()
    assert rejected(users.owner, plan, save(wb)) == [(r, "Nội dung nhiệm vụ", "boom")]
    assert len(created) == 3
    assert (Task.objects.count(), audit_count()) == (before, before_audit)


def test_a_unit_closed_between_check_and_write_names_its_row(plan, tasks, users, tree, commune_a2):
    wb = workbook(xlsx.export_plan(user=users.owner, plan=plan))
    ws = wb["Nhiệm vụ"]
    ws.append({COL["title"]: "Mới", COL["lead_units"]: f"Xã Vũ Bình [{tree.commune_a1.pk}]"})
    ws.append({COL["title"]: "Mới nữa", COL["cooperating_units"]: f"Xã Vũ Lâm [{commune_a2.pk}]"})
    sheet = xlsx.parse_header(xlsx.read_workbook(save(wb)))
    import_plan, errors = xlsx_import.check_rows(actor=users.owner, plan=plan, sheet=sheet)
    assert errors == [] and len(import_plan.creates) == 2
    commune_a2.is_active = False
    commune_a2.save(update_fields=["is_active"])
    before = Task.objects.count()
    with pytest.raises(ImportRejected) as info:
        xlsx_import.apply(actor=users.owner, plan=plan, import_plan=import_plan)
    assert [(e.row, e.column) for e in info.value.errors] == [(ws.max_row, "Đơn vị phối hợp")]
    assert Task.objects.count() == before


def test_codes_of_other_plans_and_repeated_codes_are_refused(plan, tasks, users, tree):
    other_plan = services.plan_create(
        actor=users.owner,
        unit=tree.district_a,
        data={"title": "Kế hoạch khác", "period_kind": "year", "year": 2026},
    )
    elsewhere = services.task_create(
        actor=users.owner, unit=tree.district_a, plan=other_plan, data={"title": "Khác"}
    )
    outside = services.task_create(actor=users.outsider, unit=tree.district_b, data={"title": "Mai Châu"})
    wb = workbook(xlsx.export_plan(user=users.owner, plan=plan))
    ws = wb["Nhiệm vụ"]
    ws.append({COL["code"]: elsewhere.pk, COL["title"]: "Khác"})
    ws.append({COL["code"]: outside.pk, COL["title"]: "Mai Châu"})
    ws.append({COL["code"]: tasks[0].pk, COL["title"]: "Lặp"})
    ws.append({COL["code"]: "abc", COL["title"]: "Mã sai"})
    errors = rejected(users.owner, plan, save(wb))
    assert [(row, column) for row, column, _m in errors] == [(8, "Mã"), (5, "Mã"), (6, "Mã"), (7, "Mã")]
    messages = dict(((row, m) for row, _c, m in errors))
    assert messages[5] == f"No task with the code {elsewhere.pk} in this plan."
    assert messages[6] == f"No task with the code {outside.pk} in this plan."  # no existence leak
    assert messages[7] == f"The same task as row {row_of(ws, tasks[0])}."


def test_a_file_older_than_the_task_cannot_overwrite_it(plan, tasks, users):
    wb = workbook(xlsx.export_plan(user=users.owner, plan=plan))
    services.task_update(
        actor=users.owner, task=tasks[0], expected_version=tasks[0].version, data={"title": "Mới hơn"}
    )
    ws = wb["Nhiệm vụ"]
    ws.cell(row_of(ws, tasks[0]), COL["priority"]).value = "Cao"
    errors = rejected(users.owner, plan, save(wb))
    assert [(row, column) for row, column, _m in errors] == [(row_of(ws, tasks[0]), "Phiên bản")]
    tasks[0].refresh_from_db()
    assert (tasks[0].title, tasks[0].priority) == ("Mới hơn", Priority.NORMAL)


def test_cancelled_tasks_round_trip_but_cannot_be_edited(plan, tasks, users):
    services.task_cancel(actor=users.owner, task=tasks[0], expected_version=tasks[0].version)
    data = xlsx.export_plan(user=users.owner, plan=plan)
    assert do_import(users.owner, plan, data).unchanged == 3
    wb = workbook(data)
    ws = wb["Nhiệm vụ"]
    ws.cell(row_of(ws, tasks[0]), COL["title"]).value = "Sửa việc đã hủy"
    errors = rejected(users.owner, plan, save(wb))
    assert errors == [(row_of(ws, tasks[0]), "Nội dung nhiệm vụ", "A cancelled task cannot be edited.")]


# ---------------------------------------------------------------------------------------------------------
# Working days


def test_working_days_give_the_due_date(plan, tasks, users):
    tasks[2].refresh_from_db()
    assert tasks[2].due_date == D(2026, 2, 27)  # 5 working days after Friday 13/02/2026, Tết skipped
    wb = workbook(xlsx.export_plan(user=users.owner, plan=plan))
    ws = wb["Nhiệm vụ"]
    ws.append(
        {COL["title"]: "Theo ngày làm việc", COL["start_date"]: "13/02/2026", COL["due_working_days"]: 5}
    )
    ws.append(
        {
            COL["title"]: "Không khớp",
            COL["start_date"]: "13/02/2026",
            COL["due_working_days"]: 5,
            COL["due_date"]: "20/02/2026",
        }
    )
    errors = rejected(users.owner, plan, save(wb))
    assert [(row, column) for row, column, _m in errors] == [(ws.max_row, "Hạn hoàn thành")]
    assert "27/02/2026" in errors[0][2]
    ws.delete_rows(ws.max_row)
    r = row_of(ws, tasks[2])
    ws.cell(r, COL["due_working_days"]).value = 6
    ws.cell(r, COL["due_date"]).value = None
    counts = do_import(users.owner, plan, save(wb))
    assert (counts.created, counts.updated) == (1, 1)
    assert Task.objects.get(title="Theo ngày làm việc").due_date == D(2026, 2, 27)
    tasks[2].refresh_from_db()
    assert (tasks[2].due_working_days, tasks[2].due_date) == (6, D(2026, 3, 2))


# ---------------------------------------------------------------------------------------------------------
# Files and permissions


def test_only_xlsx_files_are_read(plan, users):
    for data, words in (
        (b"%PDF-1.7 not a workbook", "not an XLSX"),
        (b"PK\x03\x04 damaged", "not a readable XLSX"),
    ):
        errors = rejected(users.owner, plan, data)
        assert len(errors) == 1 and errors[0][0] is None and words in errors[0][2]


def test_a_header_without_rows_is_refused(plan, users):
    wb = openpyxl.Workbook()
    wb.active.append(xlsx.HEADER)
    assert rejected(users.owner, plan, save(wb)) == [(None, "", "The file has a header but no rows.")]


def test_only_the_plans_secretaries_import(plan, tasks, users):
    data = xlsx.export_plan(user=users.viewer, plan=plan)  # a viewer may export
    for user in (users.viewer, users.member, users.outsider):
        with pytest.raises(PermissionDenied):
            do_import(user, plan, data)
    assert do_import(users.admin, plan, data).unchanged == 3


def test_a_closed_plan_takes_no_new_rows(plan, tasks, users):
    data = xlsx.export_plan(user=users.owner, plan=plan)
    services.plan_close(actor=users.owner, plan=plan, expected_version=plan.version)
    assert do_import(users.owner, plan, data).unchanged == 3
    wb = workbook(data)
    wb["Nhiệm vụ"].append({COL["title"]: "Mới"})
    errors = rejected(users.owner, plan, save(wb))
    assert errors == [(5, "Nội dung nhiệm vụ", "The plan is closed: no new tasks can be added.")]


# ---------------------------------------------------------------------------------------------------------
# Properties


text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"),
    min_size=1,
    max_size=80,
).filter(lambda s: s.strip())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=text, description=text, item=st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True))
def test_any_text_round_trips_unchanged(users, tree, title, description, item):
    plan = services.plan_create(
        actor=users.owner,
        unit=tree.district_a,
        data={"title": "Kế hoạch", "period_kind": "year", "year": 2026},
    )
    services.task_create(
        actor=users.owner,
        unit=tree.district_a,
        plan=plan,
        data={"title": title[:500], "description": description, "item_number": item},
    )
    counts = do_import(users.owner, plan, xlsx.export_plan(user=users.owner, plan=plan))
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 1)


@given(day=st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31)))
def test_dates_parse_in_every_accepted_form(day):
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"):
        assert xlsx_import._date(day.strftime(fmt)) == day
    assert xlsx_import._date(datetime.datetime.combine(day, datetime.time())) == day


# ---------------------------------------------------------------------------------------------------------
# The unit tasks report


def test_unit_tasks_report_lists_the_filtered_assignments(plan, tasks, users, tree, client_for):
    client = client_for(users.owner)
    response = client.get("/work/unit-tasks/export.xlsx", {"unit": tree.commune_a1.pk, "subtree": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == xlsx.XLSX_CONTENT_TYPE
    ws = workbook(response.content).active
    assert ws.freeze_panes == "A2"
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [r[0] for r in rows] == ["Tuyên truyền Nghị quyết"]
    assert rows[0][2:4] == ["Huyện Lạc Sơn", "Xã Vũ Bình"]
    response = client.get(
        "/work/unit-tasks/export.xlsx",
        {"unit": tree.district_a.pk, "direction": "by", "status": "not_started"},
    )
    titles = sorted(row[0].value for row in workbook(response.content).active.iter_rows(min_row=2))
    assert titles == sorted(
        [
            "Tổ chức hội nghị quán triệt",
            "Tuyên truyền Nghị quyết",
            "Tuyên truyền Nghị quyết",
            "Gửi báo cáo sơ kết",
        ]
    )
    assert client.get("/work/unit-tasks/export.xlsx", {"unit": tree.district_b.pk}).status_code == 404
