"""Working days: the Vietnam calendar (weekends, lunar New Year, substituted days), overrides, the calendar page
and deadlines given in working days when routing a document."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steerdesk.core.models import AuditEntry
from steerdesk.work import workdays
from steerdesk.work.models import WorkdayOverride
from steerdesk.work.workdays import (
    WorkCalendar,
    add_working_days,
    holidays_in,
    is_working_day,
    package_is_working_day,
    workday_override_delete,
    workday_override_set,
    working_days_between,
)

D = datetime.date
LIST_URL = "/work/workdays/"


@pytest.fixture(autouse=True)
def fresh_overrides():
    """Each test starts from an empty per-process override cache (rows of earlier tests were rolled back)."""
    workdays.forget_overrides()
    yield
    workdays.forget_overrides()


# ---------------------------------------------------------------------------------------------------------
# The Vietnam calendar without overrides (the package's rules; no database needed)


def test_saturday_and_sunday_are_days_off_and_weekdays_are_working_days():
    assert [package_is_working_day(D(2026, 3, d)) for d in range(2, 9)] == [
        True,  # Mon 02/03/2026
        True,
        True,
        True,
        True,  # Fri 06/03/2026
        False,  # Sat
        False,  # Sun
    ]


def test_the_2026_tet_holidays_are_days_off():
    # Tết Bính Ngọ: Monday 16/02 (New Year's Eve) to Friday 20/02/2026 (fourth day).
    assert [package_is_working_day(D(2026, 2, d)) for d in range(13, 24)] == [
        True,  # Fri 13
        False,  # Sat 14
        False,  # Sun 15
        False,  # Mon 16 Giao thừa
        False,  # Tue 17 Tết
        False,
        False,
        False,  # Fri 20 Mùng bốn
        False,  # Sat 21
        False,  # Sun 22
        True,  # Mon 23
    ]


def test_the_substituted_saturday_is_a_working_day_and_its_monday_is_off():
    # The package: "Day off (substituted from 22/08/2026)" on Monday 31/08/2026.
    assert package_is_working_day(D(2026, 8, 22)) is True  # Saturday worked
    assert package_is_working_day(D(2026, 8, 29)) is False  # an ordinary Saturday
    assert package_is_working_day(D(2026, 8, 31)) is False
    assert package_is_working_day(D(2026, 9, 1)) is False  # National Day holidays
    assert package_is_working_day(D(2026, 9, 2)) is False


# ---------------------------------------------------------------------------------------------------------
# add_working_days / working_days_between (with the database: overrides)


@pytest.mark.django_db
def test_five_working_days_from_the_friday_before_tet_2026_is_friday_27_february():
    # Fri 13/02 → (Sat–Sun, Tết Mon 16–Fri 20, Sat–Sun off) Mon 23 (1), Tue 24, Wed 25, Thu 26, Fri 27 (5).
    assert add_working_days(D(2026, 2, 13), 5) == D(2026, 2, 27)
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 27)) == 5


@pytest.mark.django_db
def test_five_working_days_across_tet_2027():
    # Tết Đinh Mùi: Thu 04/02 (29 Tết) to Wed 10/02/2027 (fifth day, for the first day falling on a Saturday).
    # From Fri 29/01: Mon 01/02 (1), Tue 02 (2), Wed 03 (3), Thu 11 (4), Fri 12/02/2027 (5).
    assert add_working_days(D(2027, 1, 29), 5) == D(2027, 2, 12)
    # From Fri 05/02 (New Year's Eve, itself a day off): Thu 11 (1), Fri 12, Mon 15, Tue 16, Wed 17/02 (5).
    assert add_working_days(D(2027, 2, 5), 5) == D(2027, 2, 17)


@pytest.mark.django_db
def test_zero_working_days_is_the_start_and_a_negative_count_is_refused():
    assert add_working_days(D(2026, 2, 14), 0) == D(2026, 2, 14)
    with pytest.raises(ValueError):
        add_working_days(D(2026, 2, 14), -1)


@pytest.mark.django_db
def test_the_substituted_saturday_counts():
    assert add_working_days(D(2026, 8, 21), 1) == D(2026, 8, 22)  # Fri → the swapped Saturday
    assert add_working_days(D(2026, 8, 28), 1) == D(2026, 9, 3)  # Fri → Thu after 31/08, 01–02/09
    assert is_working_day(D(2026, 8, 22)) is True


@pytest.mark.django_db
def test_working_days_between_counts_after_the_start_up_to_the_end():
    assert working_days_between(D(2026, 3, 2), D(2026, 3, 2)) == 0
    assert working_days_between(D(2026, 3, 2), D(2026, 3, 9)) == 5  # Mon → next Mon
    assert working_days_between(D(2026, 3, 9), D(2026, 3, 2)) == -5


@pytest.mark.django_db
def test_overrides_win_over_the_calendar(users):
    start = D(2026, 2, 13)
    assert add_working_days(start, 5) == D(2026, 2, 27)
    saturday = workday_override_set(
        actor=users.superuser, date=D(2026, 2, 14), is_working_day=True, note="Làm bù"
    )
    # Sat 14 (1), Mon 23 (2), Tue 24, Wed 25, Thu 26 (5).
    assert add_working_days(start, 5) == D(2026, 2, 26)
    workday_override_set(actor=users.superuser, date=D(2026, 2, 23), is_working_day=False)
    # Sat 14 (1), Tue 24 (2), Wed 25, Thu 26, Fri 27 (5).
    assert add_working_days(start, 5) == D(2026, 2, 27)
    workday_override_delete(actor=users.superuser, override=saturday)
    # Tue 24 (1), Wed 25, Thu 26, Fri 27, Mon 02/03 (5).
    assert add_working_days(start, 5) == D(2026, 3, 2)
    assert is_working_day(D(2026, 2, 23)) is False


@pytest.mark.django_db
def test_a_holiday_made_a_working_day_counts(users):
    workday_override_set(actor=users.superuser, date=D(2026, 2, 20), is_working_day=True)
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 20)


@pytest.mark.django_db
def test_rows_changed_outside_the_services_are_noticed():
    """Another process (or the admin) changing rows: the stamp check reloads, no stale cache."""
    assert add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 9)
    row = WorkdayOverride.objects.create(date=D(2026, 3, 7), is_working_day=True)
    assert add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 7)
    WorkdayOverride.objects.filter(pk=row.pk).update(
        is_working_day=False, updated_at=row.updated_at + datetime.timedelta(seconds=1)
    )
    assert add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 9)
    row.delete()
    assert is_working_day(D(2026, 3, 7)) is False


@pytest.mark.django_db
def test_one_query_per_call_once_cached(django_assert_num_queries):
    add_working_days(D(2026, 1, 1), 3)  # loads the overrides and the package's years
    with django_assert_num_queries(1):
        assert add_working_days(D(2026, 2, 13), 5) == D(2026, 2, 27)
    with django_assert_num_queries(0):
        assert package_is_working_day(D(2026, 2, 16)) is False


# ---------------------------------------------------------------------------------------------------------
# Properties (pure calendar snapshot, with random overrides)

dates = st.dates(min_value=D(2015, 1, 1), max_value=D(2035, 12, 31))
override_sets = st.dictionaries(dates, st.booleans(), max_size=30)


@given(start=dates, n=st.integers(min_value=1, max_value=80), overrides=override_sets)
def test_the_result_is_a_later_working_day_n_working_days_away(start, n, overrides):
    calendar = WorkCalendar(overrides)
    result = calendar.add_working_days(start, n)
    assert result > start
    assert calendar.is_working_day(result)
    assert calendar.working_days_between(start, result) == n
    # No working day is skipped: the day before the result is still n-1 working days away.
    assert calendar.working_days_between(start, result - datetime.timedelta(days=1)) == n - 1


@given(start=dates, n=st.integers(min_value=0, max_value=60), overrides=override_sets)
def test_more_working_days_never_end_earlier(start, n, overrides):
    calendar = WorkCalendar(overrides)
    assert calendar.add_working_days(start, n + 1) > calendar.add_working_days(start, n)


@pytest.mark.django_db
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=25)
@given(start=dates, n=st.integers(min_value=1, max_value=40))
def test_the_module_functions_agree_with_each_other(start, n):
    result = add_working_days(start, n)
    assert result > start and is_working_day(result)
    assert working_days_between(start, result) == n


# ---------------------------------------------------------------------------------------------------------
# Services


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["owner", "admin", "viewer"])
def test_only_superusers_change_the_calendar(users, who):
    actor = getattr(users, who)
    with pytest.raises(PermissionDenied):
        workday_override_set(actor=actor, date=D(2026, 2, 14), is_working_day=True)
    row = WorkdayOverride.objects.create(date=D(2026, 2, 21), is_working_day=True)
    with pytest.raises(PermissionDenied):
        workday_override_delete(actor=actor, override=row)
    assert WorkdayOverride.objects.count() == 1


@pytest.mark.django_db
def test_setting_and_deleting_are_audited(users):
    override = workday_override_set(
        actor=users.superuser, date=D(2026, 2, 14), is_working_day=True, note="Làm bù Tết"
    )
    created = AuditEntry.objects.get(object_id=str(override.pk), action="create")
    assert created.actor == users.superuser
    assert created.changes["date"] == [None, "2026-02-14"] and created.changes["is_working_day"] == [
        None,
        True,
    ]
    pk = override.pk
    workday_override_delete(actor=users.superuser, override=override)
    deleted = AuditEntry.objects.get(object_id=str(pk), action="delete")
    assert deleted.changes["note"] == ["Làm bù Tết", None]
    assert not WorkdayOverride.objects.exists()


@pytest.mark.django_db
def test_a_date_takes_one_override(users):
    workday_override_set(actor=users.superuser, date=D(2026, 2, 14), is_working_day=True)
    with pytest.raises(ValidationError) as exc:
        workday_override_set(actor=users.superuser, date=D(2026, 2, 14), is_working_day=False)
    assert "date" in exc.value.error_dict
    assert WorkdayOverride.objects.get().is_working_day is True


@pytest.mark.django_db
def test_holidays_in_marks_calendar_days_and_overrides(users):
    workday_override_set(actor=users.superuser, date=D(2026, 2, 14), is_working_day=True, note="Làm bù")
    workday_override_set(actor=users.superuser, date=D(2026, 2, 20), is_working_day=True)
    days = {d.date: d for d in holidays_in(2026)}
    tet = days[D(2026, 2, 17)]
    assert tet.name == "Tết Nguyên Đán" and tet.override is None and tet.is_working_day is False
    swapped = days[D(2026, 8, 22)]
    assert swapped.name == "" and swapped.package_working is True and swapped.is_working_day is True
    assert days[D(2026, 8, 31)].name == "Ngày nghỉ (thay cho ngày 22/08/2026)"
    saturday = days[D(2026, 2, 14)]
    assert (
        saturday.override.note == "Làm bù" and saturday.package_working is False and saturday.is_working_day
    )
    fourth = days[D(2026, 2, 20)]
    assert fourth.name == "Mùng bốn Tết Nguyên Đán" and fourth.is_working_day is True
    assert all(d.date.year == 2026 for d in days.values())
    assert list(days) == sorted(days)


# ---------------------------------------------------------------------------------------------------------
# The calendar page


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login(client):
    for url, method in ((LIST_URL, "get"), (LIST_URL, "post"), (reverse("work:workday_delete"), "post")):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["owner", "admin", "viewer", "outsider"])
def test_other_users_get_403(client_for, users, who):
    client = client_for(getattr(users, who))
    row = WorkdayOverride.objects.create(date=D(2026, 2, 21), is_working_day=True)
    assert client.get(LIST_URL).status_code == 403
    assert client.post(LIST_URL, {"date": "14/02/2026", "is_working_day": "1"}).status_code == 403
    assert client.post(reverse("work:workday_delete"), {"pk": row.pk}).status_code == 403
    assert list(WorkdayOverride.objects.values_list("pk", flat=True)) == [row.pk]


@pytest.mark.django_db
def test_the_page_shows_the_year_in_vietnamese(client_for, users):
    WorkdayOverride.objects.create(date=D(2026, 2, 14), is_working_day=True, note="Làm bù Tết Bính Ngọ")
    response = client_for(users.superuser).get(LIST_URL, {"year": "2026"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "17/02/2026" in body and "Tết Nguyên Đán" in body
    assert "22/08/2026" in body and "Ngày nghỉ (thay cho ngày 22/08/2026)" in body
    assert "14/02/2026" in body and "Làm bù Tết Bính Ngọ" in body
    assert "2027" in body and "2025" in body  # the year navigation
    assert "<script" not in body.split("</head>", 1)[1] and " style=" not in body


@pytest.mark.django_db
def test_a_bad_year_falls_back_to_this_year(client_for, users):
    with mock.patch("steerdesk.work.views_workdays.local_today", return_value=D(2027, 5, 1)):
        response = client_for(users.superuser).get(LIST_URL, {"year": "abc"})
    assert response.status_code == 200 and response.context["year"] == 2027
    assert "10/02/2027" in response.content.decode()


@pytest.mark.django_db
def test_a_superuser_adds_and_deletes_an_override(client_for, users):
    client = client_for(users.superuser)
    response = client.post(
        LIST_URL, {"date": "14/02/2026", "is_working_day": "1", "note": "Làm bù cho ngày 20/02"}
    )
    assert response.status_code == 302 and response["Location"] == f"{LIST_URL}?year=2026"
    row = WorkdayOverride.objects.get()
    assert (row.date, row.is_working_day, row.note) == (D(2026, 2, 14), True, "Làm bù cho ngày 20/02")
    assert row.created_by == users.superuser
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)

    response = client.post(reverse("work:workday_delete"), {"pk": row.pk})
    assert response.status_code == 302 and response["Location"] == f"{LIST_URL}?year=2026"
    assert not WorkdayOverride.objects.exists()
    assert AuditEntry.objects.filter(object_id=str(row.pk), action="delete").exists()
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 23)


@pytest.mark.django_db
def test_a_duplicate_date_is_shown_as_an_error_in_vietnamese(client_for, users):
    client = client_for(users.superuser)
    WorkdayOverride.objects.create(date=D(2026, 2, 14), is_working_day=True)
    response = client.post(LIST_URL, {"date": "14/02/2026", "is_working_day": "0", "note": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Ngày 14/02/2026 đã có điều chỉnh; hãy xóa điều chỉnh đó trước." in body
    assert WorkdayOverride.objects.get().is_working_day is True


@pytest.mark.django_db
def test_form_errors_and_unknown_overrides(client_for, users):
    client = client_for(users.superuser)
    response = client.post(LIST_URL, {"date": "31/02/2026", "is_working_day": "1"})
    assert response.status_code == 400 and not WorkdayOverride.objects.exists()
    assert client.post(reverse("work:workday_delete"), {"pk": "abc"}).status_code == 404
    assert client.post(reverse("work:workday_delete"), {"pk": "999999"}).status_code == 404
    assert client.get(reverse("work:workday_delete")).status_code == 302


# ---------------------------------------------------------------------------------------------------------
# Routing a document with a handling time in working days (Decree 30/2020)


@pytest.fixture
def received(tree, users):
    from steerdesk.documents import services
    from steerdesk.documents.models import DocumentType

    services.document_types_ensure()
    register = services.register_create(
        actor=users.superuser, unit=tree.district_a, name="Sổ văn bản đến", direction="incoming"
    )
    with mock.patch("steerdesk.documents.services._today", return_value=D(2026, 2, 13)):
        return services.document_register_incoming(
            actor=users.superuser,
            register=register,
            doc_type=DocumentType.objects.get(name="Kế hoạch"),
            number_text="10-KH/TU",
            summary="Kế hoạch triển khai Nghị quyết",
            issuer_name="Tỉnh ủy Hòa Bình",
        )


@pytest.mark.django_db
def test_a_routing_deadline_in_working_days_skips_tet(client_for, users, tree, received):
    client = client_for(users.owner)
    with mock.patch("steerdesk.documents.services._today", return_value=D(2026, 2, 13)):
        response = client.post(
            reverse("documents:document_route", args=[received.pk]),
            {"to_unit": tree.commune_a1.pk, "instruction": "Xã triển khai", "deadline_working_days": "5"},
        )
    assert response.status_code == 302
    assert received.routings.get().deadline == D(2026, 2, 27)


@pytest.mark.django_db
def test_a_routing_takes_a_deadline_or_working_days_not_both(client_for, users, tree, received):
    from steerdesk.documents import services

    response = client_for(users.owner).post(
        reverse("documents:document_route", args=[received.pk]),
        {"to_unit": tree.commune_a1.pk, "deadline": "27/02/2026", "deadline_working_days": "5"},
    )
    assert response.status_code == 400 and not received.routings.exists()
    with pytest.raises(ValidationError):
        services.document_route(
            actor=users.owner,
            document=received,
            to_unit=tree.commune_a1,
            deadline=D(2026, 2, 27),
            deadline_working_days=5,
        )


# ---------------------------------------------------------------------------------------------------------
# Django admin


@pytest.mark.django_db
def test_the_admin_adds_overrides_through_the_service_and_shows_work_models_read_only(client_for, users):
    client = client_for(users.superuser)
    response = client.post(
        "/admin/work/workdayoverride/add/",
        {"date": "2026-02-14", "is_working_day": "on", "note": "Làm bù"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = WorkdayOverride.objects.get()
    assert AuditEntry.objects.filter(object_id=str(row.pk), action="create", actor=users.superuser).exists()
    assert client.get("/admin/work/workdayoverride/").status_code == 200
    assert client.get("/admin/work/task/").status_code == 200
    assert client.get("/admin/work/task/add/").status_code == 403
    response = client.post(f"/admin/work/workdayoverride/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not WorkdayOverride.objects.exists()
    assert AuditEntry.objects.filter(object_id=str(row.pk), action="delete").exists()
