"""The sizes of each generated scale and the state shared by the generators of one run."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django.utils import timezone

from .writer import BulkWriter

SEED = 2026


@dataclass(frozen=True)
class Scale:
    """How big each part of the generated network is. Ranges are (min, max) per parent, drawn uniformly."""

    name: str
    root: str  # "central": a national tree; "province": one province as the root
    provinces: tuple[str, ...] | int = 63  # short names, or how many of names.ALL_PROVINCES (national roots)
    province_departments: int = 4
    districts: tuple[int, int] = (8, 15)
    communes: tuple[int, int] = (6, 18)
    ministries: int = 20
    ministry_departments: int = 5
    companies: int = 9  # at most this many companies per corporation
    subsidiaries: tuple[int, int] = (3, 8)
    people: int = 100_000  # about this many people in all
    # Outgoing documents per unit and year, by level (each may be delivered to several units as incoming).
    outgoing: dict[str, int] = field(default_factory=dict)
    # Plan items per committee unit and year, by level; own tasks per year of units without a committee.
    items: dict[str, int] = field(default_factory=dict)
    own_tasks: dict[str, int] = field(default_factory=dict)
    years: int = 2  # this year and the ones before
    flush_rows: int = 50_000


NATIONAL_OUTGOING = {
    "central": 260,
    "ministry": 150,
    "ministry_dept": 40,
    "corporation": 120,
    "company": 60,
    "subsidiary": 20,
    "bloc": 120,
    "party": 40,
    "province": 200,
    "province_dept": 40,
    "district": 50,
    "commune": 8,
}
NATIONAL_ITEMS = {
    "central": 14,
    "ministry": 12,
    "corporation": 10,
    "company": 8,
    "bloc": 8,
    "party": 6,
    "province": 22,
    "district": 26,
}
NATIONAL_OWN = {"commune": 13, "province_dept": 10, "ministry_dept": 8, "subsidiary": 8}

SCALES: dict[str, Scale] = {
    "national": Scale(
        name="national",
        root="central",
        outgoing=NATIONAL_OUTGOING,
        items=NATIONAL_ITEMS,
        own_tasks=NATIONAL_OWN,
    ),
    # One province-sized tree: Tỉnh Hòa Bình with its departments, 30 districts and their communes.
    "province": Scale(
        name="province",
        root="province",
        provinces=("Hòa Bình",),
        province_departments=19,
        districts=(30, 30),
        communes=(25, 37),
        people=10_000,
        outgoing={**NATIONAL_OUTGOING, "province": 600, "province_dept": 90, "district": 50, "commune": 10},
        items={"province": 36, "district": 18},
        own_tasks={"commune": 12, "province_dept": 12},
        flush_rows=25_000,
    ),
    # A few hundred rows through the same code paths, for the tests.
    "tiny": Scale(
        name="tiny",
        root="central",
        provinces=("Hòa Bình", "Hà Nội"),
        province_departments=2,
        districts=(2, 3),
        communes=(2, 3),
        ministries=2,
        ministry_departments=2,
        companies=2,
        subsidiaries=(1, 2),
        people=400,
        outgoing={k: max(2, v // 30) for k, v in NATIONAL_OUTGOING.items()},
        items={k: 2 for k in NATIONAL_ITEMS},
        own_tasks={k: 2 for k in NATIONAL_OWN},
        flush_rows=200,
    ),
}


@dataclass
class Run:
    """One generation: the writer, the seeded random generator, the dates everything is relative to."""

    scale: Scale
    writer: BulkWriter
    today: datetime.date
    now: datetime.datetime
    actor_id: int
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    _at: dict = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        return list(range(self.today.year - self.scale.years + 1, self.today.year + 1))

    def at(self, day: datetime.date, hour: int = 9) -> datetime.datetime:
        """An aware datetime on `day` (office hours, local time zone; memoised: called for every row)."""
        key = (day, hour)
        value = self._at.get(key)
        if value is None:
            value = timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour, 0))
            self._at[key] = value
        return value
