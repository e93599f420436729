"""Demo plans and tasks for `seed_demo --scale small`.

The ministry's committee has an annual plan adopted by its plan document; one item is cascaded to every
corporation below the ministry, and EVN has reported half of it. The province's plan is cascaded to its
districts, which are at different stages (one done, one late, one not started); Lạc Sơn splits its share
down to its communes. Dates are relative to the day the demo is seeded, so "overdue" and "due soon" always
have something to show. The work is organisational: studying resolutions, training, reports, inspections of
how the committee's rules are applied.
"""

from __future__ import annotations

import datetime

from django.db import transaction

from steerdesk.accounts.models import User
from steerdesk.orgs.models import OrgUnit

from . import services
from .models import Assignment, Plan, local_today


def _unit(name: str) -> OrgUnit | None:
    return OrgUnit.objects.filter(name=name).order_by("path").first()


def _user(username: str, fallback):
    return User.objects.filter(username=username).first() or fallback


def _document(summary_start: str):
    from steerdesk.documents.models import Document

    return (
        Document.objects.filter(summary__startswith=summary_start, direction="outgoing")
        .order_by("pk")
        .first()
    )


def _report(actor, assignment: Assignment, percent: int, comment: str, result: str = "") -> None:
    assignment.refresh_from_db()
    services.assignment_report(
        actor=actor,
        assignment=assignment,
        expected_version=assignment.version,
        percent=percent,
        comment=comment,
        result=result,
    )


def seed_work(actor) -> int:
    """Create the demo plans, tasks, assignments and progress reports (one transaction); returns the number of
    tasks. Skips silently when the demo tree is not there."""
    ministry = _unit("Bộ Công Thương")
    province = _unit("Tỉnh Hòa Bình")
    lacson = _unit("Huyện Lạc Sơn")
    if not all((ministry, province, lacson)):
        return 0
    today = local_today()
    year = today.year

    def day(offset: int) -> datetime.date:
        return today + datetime.timedelta(days=offset)

    count = 0
    with transaction.atomic():
        # --- The ministry ------------------------------------------------------------------------------
        bct_plan = services.plan_create(
            actor=actor,
            unit=ministry,
            data={
                "title": f"Kế hoạch công tác năm {year} của Ban Chỉ đạo 35 Bộ Công Thương",
                "period_kind": Plan.PeriodKind.YEAR,
                "year": year,
                "start_date": datetime.date(year, 1, 1),
                "end_date": datetime.date(year, 12, 31),
                "committee": ministry.committees.order_by("id").first(),
            },
        )
        services.plan_adopt(
            actor=actor,
            plan=bct_plan,
            expected_version=bct_plan.version,
            document=_document("Kế hoạch của Ban Chỉ đạo 35 Bộ Công Thương"),
        )
        study = services.task_create(
            actor=actor,
            unit=ministry,
            plan=bct_plan,
            data={
                "item_number": "1",
                "title": "Tổ chức học tập, quán triệt Nghị quyết số 35-NQ/TW cho cán bộ, đảng viên",
                "description": "Mỗi đơn vị tổ chức ít nhất một hội nghị quán triệt, báo cáo kết quả về Ban Chỉ đạo.",
                "priority": "high",
                "start_date": day(-60),
                "due_date": day(20),
                "result_required": "Báo cáo kết quả tổ chức hội nghị, danh sách người tham dự",
            },
        )
        services.task_cascade(actor=actor, task=study, kind=OrgUnit.Kind.CORPORATION)
        evn_share = Assignment.objects.get(task=study, unit__code="EVN")
        _report(
            _user("evn.thuky", actor),
            evn_share,
            50,
            "Đã tổ chức hội nghị tại cơ quan Tập đoàn; các tổng công ty tổ chức trong tháng tới.",
        )
        training = services.task_create(
            actor=actor,
            unit=ministry,
            plan=bct_plan,
            lead_units=[_unit("Văn phòng Bộ")],
            cooperating_units=[_unit("Vụ Tổ chức cán bộ")],
            data={
                "item_number": "2",
                "title": "Tập huấn nghiệp vụ công tác văn thư theo Nghị định số 30/2020/NĐ-CP",
                "start_date": day(-90),
                "due_date": day(-30),
                "result_required": "Tài liệu tập huấn và danh sách học viên",
            },
        )
        _report(
            actor,
            Assignment.objects.get(task=training, unit__name="Văn phòng Bộ"),
            100,
            "Đã tổ chức 02 lớp tập huấn.",
            "Tập huấn cho 86 công chức, viên chức làm công tác văn thư.",
        )
        services.task_create(
            actor=actor,
            unit=ministry,
            plan=bct_plan,
            data={
                "item_number": "3",
                "title": "Kiểm tra việc thực hiện Quy chế làm việc của Ban Chỉ đạo tại các đơn vị",
                "start_date": day(-45),
                "due_date": day(-5),
                "result_required": "Thông báo kết luận kiểm tra",
            },
        )
        services.task_create(
            actor=actor,
            unit=ministry,
            plan=bct_plan,
            data={
                "item_number": "4",
                "title": f"Xây dựng báo cáo tổng kết công tác năm {year}",
                "due_date": day(2),
                "result_required": "Báo cáo tổng kết trình Trưởng Ban Chỉ đạo",
            },
        )
        count += 4

        # --- The province and its districts ----------------------------------------------------------
        hb_plan = services.plan_create(
            actor=actor,
            unit=province,
            data={
                "title": f"Kế hoạch công tác năm {year} của Ban Chỉ đạo 35 tỉnh Hòa Bình",
                "period_kind": Plan.PeriodKind.YEAR,
                "year": year,
                "start_date": datetime.date(year, 1, 1),
                "end_date": datetime.date(year, 12, 31),
                "committee": province.committees.order_by("id").first(),
            },
        )
        services.plan_adopt(
            actor=actor,
            plan=hb_plan,
            expected_version=hb_plan.version,
            document=_document("Kế hoạch thực hiện Nghị quyết số 35-NQ/TW ngày 22/10/2018"),
        )
        conference = services.task_create(
            actor=actor,
            unit=province,
            plan=hb_plan,
            data={
                "item_number": "1",
                "title": "Tổ chức hội nghị quán triệt Kế hoạch của Ban Chỉ đạo 35 tỉnh tại các huyện, thành phố",
                "priority": "high",
                "start_date": day(-50),
                "due_date": day(-10),
                "result_required": "Báo cáo kết quả hội nghị",
            },
        )
        services.task_cascade(actor=actor, task=conference, kind=OrgUnit.Kind.DISTRICT)
        shares = {a.unit.name: a for a in Assignment.objects.filter(task=conference).select_related("unit")}
        lacson_user = _user("lacson.thuky", actor)
        _report(
            lacson_user,
            shares["Huyện Lạc Sơn"],
            100,
            "Đã tổ chức hội nghị ngày 15 với 210 đại biểu.",
            "Hội nghị quán triệt với 210 đại biểu; báo cáo số 45-BC/BCĐ gửi Ban Chỉ đạo tỉnh.",
        )
        _report(_user("maichau.thuky", actor), shares["Huyện Mai Châu"], 60, "Đã xong ở 9/15 xã.")
        reports = services.task_create(
            actor=actor,
            unit=province,
            plan=hb_plan,
            data={
                "item_number": "2",
                "title": f"Báo cáo tổng kết công tác năm {year} gửi Ban Chỉ đạo 35 tỉnh",
                "start_date": day(-5),
                "due_date": day(25),
                "result_required": "Báo cáo tổng kết của Ban Chỉ đạo cấp huyện",
            },
        )
        services.task_cascade(actor=actor, task=reports, kind=OrgUnit.Kind.DISTRICT)
        lacson_reports = Assignment.objects.get(task=reports, unit=lacson)
        services.task_split(
            actor=lacson_user,
            assignment=lacson_reports,
            data={
                "title": f"Báo cáo kết quả công tác năm {year} của Ban Chỉ đạo 35 cấp xã",
                "due_date": day(15),
                "result_required": "Báo cáo của Ban Chỉ đạo xã",
            },
            kind=OrgUnit.Kind.COMMUNE,
        )
        services.task_create(
            actor=actor,
            unit=province,
            plan=hb_plan,
            data={
                "item_number": "3",
                "title": "Tập huấn nghiệp vụ cho thành viên Tổ giúp việc Ban Chỉ đạo các huyện",
                "start_date": day(5),
                "due_working_days": 20,
                "result_required": "Tài liệu và danh sách học viên",
            },
        )
        count += 4

        # An incoming document routed for handling becomes a task (the routing keeps the link).
        from steerdesk.documents.models import Routing

        routing = Routing.objects.filter(document__unit=province, task_id__isnull=True).order_by("pk").first()
        if routing is not None:
            services.task_create_from_routing(
                actor=actor,
                routing_pk=routing.pk,
                data={
                    "title": "Rà soát, sửa đổi Quy chế công tác văn thư của tỉnh theo Nghị định số 30/2020/NĐ-CP",
                    "start_date": day(-3),
                    "due_working_days": 10,
                    "result_required": "Dự thảo Quy chế sửa đổi trình UBND tỉnh",
                },
            )
            count += 1

        # Lạc Sơn's own plan, implementing the province's.
        ls_plan = services.plan_create(
            actor=lacson_user,
            unit=lacson,
            data={
                "title": f"Kế hoạch công tác năm {year} của Ban Chỉ đạo 35 huyện Lạc Sơn",
                "period_kind": Plan.PeriodKind.YEAR,
                "year": year,
                "parent_plan": hb_plan,
            },
        )
        services.task_create(
            actor=lacson_user,
            unit=lacson,
            plan=ls_plan,
            data={
                "item_number": "1",
                "title": "Tổ chức hội nghị quán triệt tại các xã, thị trấn",
                "due_date": day(6),
                "result_required": "Báo cáo của các xã",
            },
        )
        count += 1
    return count
