"""Journey: the ministry's secretary creates a plan and a task, cascades it to every corporation below the ministry;
EVN's secretary reports 50 %, then done with a result; the ministry sees the roll-up change.
Screenshots in var/screenshots/plan-*.png."""

import re

import pytest

from steerdesk.work.models import Assignment, Plan, ProgressReport, Task

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

PLAN_TITLE = "Kế hoạch tuyên truyền kỷ niệm 80 năm Cách mạng tháng Tám và Quốc khánh"
TASK_TITLE = "Tổ chức hội nghị báo cáo viên quý IV cho cán bộ chủ chốt"


def logout(page):
    page.locator("header form[action='/accounts/logout/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))


def rollup_row(page, unit_short: str) -> str:
    return page.locator(
        "section[aria-labelledby=rollup-title] table tr", has_text=unit_short
    ).first.inner_text()


def test_ministry_cascades_a_task_and_sees_the_corporation_finish_it(page, demo, shot):
    base = demo

    # 1. The ministry's secretary creates a plan from the Plans page.
    login(page, base, "bct.thuky")
    page.locator("nav.sidenav a[href='/work/plans/']").click()
    page.wait_for_url(f"{base}/work/plans/")
    page.locator("main a[href^='/work/plans/new/']").first.click()
    page.locator("main form [name=title]").fill(PLAN_TITLE)
    page.locator("main form [name=year]").fill("2026")
    page.locator("main form [name=start_date]").fill("01/11/2026")
    page.locator("main form [name=end_date]").fill("31/12/2026")
    shot(page, "plan-01-new-plan")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/work/plans/\d+/$"))
    plan = Plan.objects.get(title=PLAN_TITLE)
    assert plan.unit.name == "Bộ Công Thương" and plan.status == "draft"
    assert "Bộ Công Thương" in page.content()

    # 2. …adds a task to it…
    page.locator(f"main a[href='/work/tasks/new/?plan={plan.pk}']").first.click()
    page.locator("main form [name=item_number]").fill("1")
    page.locator("main form [name=title]").fill(TASK_TITLE)
    page.locator("main form [name=start_date]").fill("24/11/2026")
    page.locator("main form [name=due_date]").fill("15/12/2026")
    page.locator("main form [name=result_required]").fill("Báo cáo kết quả hội nghị")
    shot(page, "plan-02-new-task")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/work/tasks/\d+/$"))
    task = Task.objects.get(title=TASK_TITLE)
    assert task.plan == plan

    # 3. …and assigns it to every corporation below the ministry in one go.
    cascade = page.locator("main details", has=page.locator("form[action$='/cascade/']"))
    if cascade.get_attribute("open") is None:
        cascade.locator("summary").click()
    page.locator("main form[action$='/cascade/'] [name=kind]").select_option("corporation")
    page.locator("main form[action$='/cascade/'] button[type=submit]").click()
    page.wait_for_selector(".message-success")
    shares = Assignment.objects.filter(task=task).select_related("unit")
    assert sorted(a.unit.code for a in shares) == ["EVN", "PVN"]
    assert all(a.status == "not_started" for a in shares)
    assert "Tập đoàn Điện lực Việt Nam" in page.content()
    shot(page, "plan-03-task-cascaded")
    logout(page)

    # 4. EVN's secretary finds the work under "My tasks" and reports 50 %…
    evn_share = shares.get(unit__code="EVN")
    login(page, base, "evn.thuky")
    page.locator("nav.sidenav a[href='/work/']").click()
    page.wait_for_url(f"{base}/work/")
    page.locator(f"main a[href='/work/assignments/{evn_share.pk}/']").first.click()
    page.wait_for_url(f"{base}/work/assignments/{evn_share.pk}/")
    report = page.locator("#assignment-live form")
    report.locator("[name=percent]").fill("50")
    report.locator("[name=comment]").fill("Đã chuẩn bị tài liệu, hội nghị dự kiến tổ chức ngày 05/12.")
    report.locator("button[type=submit]").click()
    page.locator("#assignment-live", has_text="05/12").wait_for()
    evn_share.refresh_from_db()
    assert (evn_share.status, evn_share.percent) == ("in_progress", 50)
    shot(page, "plan-04-evn-reports-half")

    # …then done, with the result the task asks for (htmx swaps the panel; no full reload needed).
    report = page.locator("#assignment-live form")
    report.locator("[name=percent]").fill("100")
    report.locator("[name=result]").fill("Đã tổ chức hội nghị cho 120 cán bộ chủ chốt; báo cáo số 88/BC-EVN.")
    report.locator("button[type=submit]").click()
    page.locator("#assignment-live", has_text="88/BC-EVN").wait_for()
    evn_share.refresh_from_db()
    assert evn_share.status == "done" and "88/BC-EVN" in evn_share.result
    assert ProgressReport.objects.filter(assignment=evn_share).count() == 2
    shot(page, "plan-05-evn-done")
    logout(page)

    # 5. The ministry sees the roll-up change: EVN done, Petrovietnam not started; the task half done.
    login(page, base, "bct.thuky")
    page.goto(f"{base}/work/tasks/{task.pk}/")
    evn_row = rollup_row(page, "Tập đoàn Điện lực Việt Nam")
    assert re.search(r"\b1\s*/\s*1\b", evn_row), evn_row
    pvn_row = rollup_row(page, "Tập đoàn Công nghiệp - Năng lượng Quốc gia Việt Nam")
    assert re.search(r"\b0\s*/\s*1\b", pvn_row), pvn_row
    task.refresh_from_db()
    assert (task.status, task.percent) == ("in_progress", 50)
    shot(page, "plan-06-ministry-rollup")
    page.goto(f"{base}/work/rollup/")
    assert "Tập đoàn Điện lực Việt Nam" in page.content()
    shot(page, "plan-07-unit-rollup")
    assert page.csp_errors == []
