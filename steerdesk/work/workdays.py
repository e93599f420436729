"""Working days (ngày làm việc): deadlines given as "N working days" (Decree 30/2020 counts handling time in them).

Rules, in order of precedence:
1. a `WorkdayOverride` row decides its date (administrators enter the swaps the government announces each year);
2. the `holidays` package's Vietnam calendar: its public holidays (lunar New Year included) are days off, and
   the Saturdays it lists as substituted working days (`weekend_workdays`, e.g. Saturday 22/08/2026 worked in
   exchange for Monday 31/08/2026 off) are working days;
3. otherwise Monday–Friday are working days, Saturday and Sunday are not.

Cost: the package's calendar of a year is built once per process (no query); the overrides are cached per
process and revalidated with one aggregate query per call (count and latest `updated_at`), reloaded only when
that changes. For many computations in a row take one `work_calendar()` and call its methods.
"""

from __future__ import annotations

import datetime
import functools
import threading
from dataclasses import dataclass

import holidays
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from steerdesk.core.audit import audit_record, snapshot
from steerdesk.core.locking import instance_create

from .models import WorkdayOverride

WEEKEND = (5, 6)  # Saturday, Sunday (datetime.weekday)
ONE_DAY = datetime.timedelta(days=1)


@functools.lru_cache(maxsize=64)
def _package_year(year: int) -> tuple[frozenset[datetime.date], frozenset[datetime.date]]:
    """(days off, weekend days worked) of `year` in the package's Vietnam calendar; built once per process."""
    calendar = holidays.Vietnam(years=year, language="vi")
    days_off = frozenset(d for d in calendar if d.year == year)
    weekend_workdays = frozenset(d for d in calendar.weekend_workdays if d.year == year)
    return days_off, weekend_workdays


@functools.lru_cache(maxsize=64)
def _package_names(year: int, language: str) -> dict[datetime.date, str]:
    """The package's names of the special days of `year` ("Tết Nguyên Đán", …) in `language`."""
    calendar = holidays.Vietnam(years=year, language=language)
    return {d: name for d, name in calendar.items() if d.year == year}


def package_is_working_day(day: datetime.date) -> bool:
    """The package's answer alone (no overrides): weekends off unless listed as worked, weekday holidays off."""
    days_off, weekend_workdays = _package_year(day.year)
    if day.weekday() in WEEKEND:
        return day in weekend_workdays
    return day not in days_off


class WorkCalendar:
    """A snapshot of the working-day calendar: the package's rules plus a fixed set of overrides."""

    def __init__(self, overrides: dict[datetime.date, bool]):
        self.overrides = overrides

    def is_working_day(self, day: datetime.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return package_is_working_day(day)

    def add_working_days(self, start: datetime.date, n: int) -> datetime.date:
        """The n-th working day after `start` (`start` itself not counted); `start` when n is 0."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = start
        while n:
            day += ONE_DAY
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, a: datetime.date, b: datetime.date) -> int:
        """Working days after `a` up to and including `b`; negative when `b` is before `a`.

        So `working_days_between(d, add_working_days(d, n)) == n`."""
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        day = a
        while day < b:
            day += ONE_DAY
            count += self.is_working_day(day)
        return count


# Per-process cache of the overrides: (stamp, calendar). The stamp is (row count, latest updated_at): adding,
# editing or deleting a row changes it, so every process notices on its next call.
_cache: tuple[tuple | None, WorkCalendar] = (None, WorkCalendar({}))
_cache_lock = threading.Lock()


def _stamp() -> tuple:
    row = WorkdayOverride.objects.aggregate(n=Count("id"), latest=Max("updated_at"))
    return (row["n"], row["latest"])


def forget_overrides() -> None:
    """Drop this process's cached overrides (the services call it after a change; tests may too)."""
    global _cache
    with _cache_lock:
        _cache = (None, WorkCalendar({}))


def work_calendar() -> WorkCalendar:
    """The current calendar: one query to check the cached overrides, a second only when they changed."""
    global _cache
    stamp = _stamp()
    cached_stamp, calendar = _cache
    if stamp == cached_stamp:
        return calendar
    overrides = dict(WorkdayOverride.objects.values_list("date", "is_working_day"))
    calendar = WorkCalendar(overrides)
    with _cache_lock:
        _cache = (stamp, calendar)
    return calendar


def is_working_day(day: datetime.date) -> bool:
    """Whether civil servants work on `day` (overrides first, then the Vietnam calendar, then the weekend)."""
    return work_calendar().is_working_day(day)


def add_working_days(start: datetime.date, n: int) -> datetime.date:
    """The n-th working day after `start`, not counting `start` itself; `start` when n is 0.

    A handling time of "5 working days" from Friday 13/02/2026 skips the Tết holidays (16–20/02) and the
    weekends and ends on Friday 27/02/2026."""
    return work_calendar().add_working_days(start, n)


def working_days_between(a: datetime.date, b: datetime.date) -> int:
    """Working days after `a` up to and including `b` (negative when `b` is before `a`)."""
    return work_calendar().working_days_between(a, b)


@dataclass(frozen=True)
class SpecialDay:
    """One line of a year's calendar: a day the package or an override makes different from a plain week."""

    date: datetime.date
    name: str  # the package's name of the day, "" when only an override exists
    package_working: bool  # what the package alone says
    override: WorkdayOverride | None

    @property
    def is_working_day(self) -> bool:
        return self.override.is_working_day if self.override is not None else self.package_working

    @property
    def is_weekend(self) -> bool:
        return self.date.weekday() in WEEKEND


def holidays_in(year: int) -> list[SpecialDay]:
    """The special days of `year` for display, by date: the package's holidays (names in the active language),
    its substituted working Saturdays, and every override (which wins). One query for the overrides."""
    language = "vi" if (translation.get_language() or "vi").startswith("vi") else "en_US"
    names = _package_names(year, language)
    _days_off, weekend_workdays = _package_year(year)
    overrides = {
        o.date: o
        for o in WorkdayOverride.objects.filter(
            date__gte=datetime.date(year, 1, 1), date__lte=datetime.date(year, 12, 31)
        )
    }
    dates = sorted(set(names) | set(weekend_workdays) | set(overrides))
    return [
        SpecialDay(
            date=d,
            name=names.get(d, ""),
            package_working=package_is_working_day(d),
            override=overrides.get(d),
        )
        for d in dates
    ]


# ---------------------------------------------------------------------------------------------------------
# Overrides: selector and services (superusers only; the calendar is national)


def _require_superuser(actor) -> None:
    if not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("Only system administrators can change the working-day calendar."))


def workday_override_get(*, user, pk) -> WorkdayOverride:
    """One override for the calendar page: PermissionDenied for non-superusers, Http404 when missing."""
    _require_superuser(user)
    try:
        override = WorkdayOverride.objects.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        override = None
    if override is None:
        raise Http404
    return override


def workday_override_set(
    *, actor, date: datetime.date, is_working_day: bool, note: str = ""
) -> WorkdayOverride:
    """Declare `date` a working day or a day off, whatever the Vietnam calendar says (a government day swap).

    Superusers only. One override per date: a date that has one already is refused (delete it first).
    Audited as a "create"."""
    _require_superuser(actor)
    duplicate = ValidationError(
        {"date": _("%(date)s already has an override; delete it first.") % {"date": f"{date:%d/%m/%Y}"}}
    )
    if WorkdayOverride.objects.filter(date=date).exists():
        raise duplicate
    try:
        with transaction.atomic():
            override = instance_create(
                actor=actor,
                instance=WorkdayOverride(date=date, is_working_day=is_working_day, note=note.strip()),
            )
    except IntegrityError:  # the same date added concurrently
        raise duplicate from None
    forget_overrides()
    return override


def workday_override_delete(*, actor, override: WorkdayOverride) -> None:
    """Remove an override: the date follows the Vietnam calendar again. Superusers only; audited as "delete"."""
    _require_superuser(actor)
    with transaction.atomic():
        audit_record(
            actor=actor,
            instance=override,
            action="delete",
            changes={k: [v, None] for k, v in snapshot(override).items() if v not in (None, "")},
        )
        override.delete()
    forget_overrides()
