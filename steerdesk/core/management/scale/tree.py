"""The unit tree, committees with their rosters, people, and the demo logins of a generated scale.

Paths are computed here the way `orgs.services.unit_create` allocates them (`PATH_STEP` base-36 characters per
level, children numbered from 0 in creation order); people's name parts and sort keys with `core.text`, as
`orgs.services.person_create` derives them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password

from steerdesk.accounts.models import RoleGrant, User
from steerdesk.core.management.demo import (
    COLLABORATOR_TITLES,
    DEMO_PASSWORD,
    END_REASONS,
    EXPERT_TITLES,
    FAMILY_NAMES,
    GIVEN_NAMES,
    LOCAL_FAMILY_NAMES,
    MIDDLE_NAMES,
    NOT_USED_NAMES,
    TITLES,
)
from steerdesk.core.scope import Role
from steerdesk.core.text import fold, name_sort_key, split_name
from steerdesk.orgs.models import PATH_ALPHABET, PATH_STEP, Committee, Membership, OrgUnit, Person

from . import names
from .config import Run

Kind = OrgUnit.Kind
# Which level gets a committee, and the job-title style of its roster (core.management.demo.TITLES).
COMMITTEE_STYLE = {
    "central": "central",
    "ministry": "ministry",
    "corporation": "corporation",
    "company": "company",
    "bloc": "party",
    "party": "party",
    "province": "province",
    "district": "district",
}
CENTRAL_TITLES = {
    "head": "Ủy viên Bộ Chính trị",
    "standing_deputy": "Phó Trưởng Ban Tuyên giáo Trung ương",
    "deputy": ["Thứ trưởng Bộ Thông tin và Truyền thông", "Phó Chánh Văn phòng Trung ương Đảng"],
    "member": ["Vụ trưởng", "Phó Vụ trưởng", "Thứ trưởng", "Phó Trưởng ban", "Chánh Văn phòng"],
    "secretariat": ["Chuyên viên Ban Tuyên giáo Trung ương", "Chuyên viên Văn phòng", "Chuyên viên"],
}
# Staff (people without a committee seat) per unit, relative weights by level.
STAFF_WEIGHT = {
    "central": 30,
    "ministry": 25,
    "ministry_dept": 12,
    "corporation": 20,
    "company": 14,
    "subsidiary": 9,
    "bloc": 12,
    "party": 8,
    "province": 25,
    "province_dept": 14,
    "district": 15,
    "commune": 8,
}
STAFF_TITLES = ["Chuyên viên", "Chuyên viên chính", "Cán sự", "Văn thư", "Phó Trưởng phòng", "Trưởng phòng"]
COMMUNE_TITLES = [
    "Công chức Văn phòng - Thống kê",
    "Công chức Tư pháp - Hộ tịch",
    "Công chức Văn hóa - Xã hội",
]


@dataclass(eq=False)
class Unit:
    id: int
    parent: Unit | None
    path: str
    name: str
    short: str
    code: str
    kind: str
    level: str
    place: str  # the place name documents of the unit are dated at
    kind_word: str = ""  # tỉnh / thành phố / huyện / quận / thị xã
    children: list[Unit] = field(default_factory=list)
    local_names: bool = False
    committee_id: int | None = None
    committee_name: str = ""
    secretary_id: int | None = None  # first person of the secretariat
    head_id: int | None = None
    login: str = ""

    @property
    def depth(self) -> int:
        return len(self.path) // PATH_STEP - 1

    @property
    def has_committee(self) -> bool:
        return self.level in COMMITTEE_STYLE


def _decode(segment: str) -> int:
    n = 0
    for ch in segment:
        n = n * len(PATH_ALPHABET) + PATH_ALPHABET.index(ch)
    return n


def _segment(n: int) -> str:
    digits = []
    for _i in range(PATH_STEP):
        n, r = divmod(n, len(PATH_ALPHABET))
        digits.append(PATH_ALPHABET[r])
    return "".join(reversed(digits))


class TreeBuilder:
    def __init__(self, run: Run):
        self.run = run
        self.rng = run.rng
        self.scale = run.scale
        self.units: list[Unit] = []
        # New roots go after existing ones, as `orgs.services` numbers them (the command only runs on an empty
        # database; the tests generate twice in one).
        last_root = (
            OrgUnit.objects.filter(parent__isnull=True).order_by("-path").values_list("path", flat=True)
        )
        self._roots = _decode(last_root[0]) + 1 if last_root else 0

    # --- The tree ------------------------------------------------------------------------------------------

    def add(
        self, parent: Unit | None, name, short, code, kind, level, *, place="", kind_word="", local=False
    ):
        if parent is None:
            path = _segment(self._roots)
            self._roots += 1
        else:
            path = parent.path + _segment(len(parent.children))
        unit = Unit(
            id=self.run.writer.ids.next(OrgUnit),
            parent=parent,
            path=path,
            name=name,
            short=short,
            code=code,
            kind=kind,
            level=level,
            place=place or (parent.place if parent else "Hà Nội"),
            kind_word=kind_word,
            local_names=local,
        )
        if parent is not None:
            parent.children.append(unit)
        self.units.append(unit)
        return unit

    def build(self) -> list[Unit]:
        s = self.scale
        if s.root == "province":
            self.province(None, *self._province_spec(s.provinces[0]))
        else:
            root = self.add(
                None,
                "Ban Tuyên giáo Trung ương",
                "Ban Tuyên giáo Trung ương",
                "BTGTW",
                Kind.CENTRAL,
                "central",
            )
            if isinstance(s.provinces, int):
                specs = names.ALL_PROVINCES[: s.provinces]
            else:
                specs = [self._province_spec(short) for short in s.provinces]
            for spec in specs:
                self.province(root, *spec)
            ministries = names.MINISTRIES[: s.ministries]
            for name, code, short in ministries:
                self.ministry(root, name, code, short)
            bloc = self.add(
                root, "Đảng bộ Khối các cơ quan Trung ương", "Đảng ủy Khối", "ĐUK", Kind.PARTY_BLOC, "bloc"
            )
            for name, _code, short in ministries:
                self.add(bloc, f"Đảng bộ {name}", f"Đảng ủy {short}", "ĐU", Kind.PARTY_COMMITTEE, "party")
        return self.units

    @staticmethod
    def _province_spec(short: str) -> tuple[str, str, str]:
        return next(spec for spec in names.ALL_PROVINCES if spec[1] == short)

    def province(self, parent, name, short, kind_word):
        s = self.scale
        province = self.add(
            parent,
            name,
            short,
            "UBND",
            Kind.PROVINCE,
            "province",
            place=short,
            kind_word=kind_word,
            local=True,
        )
        for dept_name, code in names.PROVINCE_DEPARTMENTS[: s.province_departments]:
            self.add(province, dept_name, dept_name, code, Kind.DEPARTMENT, "province_dept")
        count = self.rng.randint(*s.districts)
        real = names.HOA_BINH_DISTRICTS if short == "Hòa Bình" else []
        city = kind_word == "thành phố"
        used = {short} | {d[1] for d in real}  # district names are unique within their province
        for i in range(count):
            if i < len(real):
                d_name, d_short, d_word = real[i]
            elif i == 0 and not city:
                d_name, d_short, d_word = f"Thành phố {short}", short, "thành phố"
            else:
                d_short = self._place(used)
                d_word = "quận" if city and i < count // 2 else ("thị xã" if i % 7 == 3 else "huyện")
                d_name = f"{d_word[:1].upper()}{d_word[1:]} {d_short}"
            district = self.add(
                province, d_name, d_short, "UBND", Kind.DISTRICT, "district", place=short, kind_word=d_word
            )
            district.local_names = True
            self.communes(district)
        return province

    def _place(self, used: set[str]) -> str:
        place = names.place_name(self.rng, used)
        return names.new_style(place) if self.rng.random() < 0.25 else place

    def communes(self, district: Unit) -> None:
        count = self.rng.randint(*self.scale.communes)
        real = names.LAC_SON_COMMUNES if district.short == "Lạc Sơn" else []
        urban = district.kind_word in ("quận", "thành phố", "thị xã")
        used: set[str] = set()  # commune names are unique within their district
        for i in range(count):
            if i < len(real):
                c_name = real[i]
            elif i == 0 and district.kind_word == "huyện":
                c_name = f"Thị trấn {self._place(used)}"
            else:
                c_name = f"{'Phường' if urban and i % 3 else 'Xã'} {self._place(used)}"
            self.add(district, c_name, c_name, "UBND", Kind.COMMUNE, "commune", local=True)

    def ministry(self, root, name, code, short):
        s = self.scale
        ministry = self.add(root, name, short, code, Kind.MINISTRY, "ministry")
        for dept_name, dept_code in names.MINISTRY_DEPARTMENTS[: s.ministry_departments]:
            self.add(ministry, dept_name, dept_name, dept_code, Kind.DEPARTMENT, "ministry_dept")
        for m_code, c_name, c_code, c_short, companies, pattern in names.CORPORATIONS:
            if m_code != code:
                continue
            corporation = self.add(ministry, c_name, c_short, c_code, Kind.CORPORATION, "corporation")
            for co_name, co_code in companies[: s.companies]:
                company = self.add(corporation, co_name, co_code, co_code, Kind.COMPANY, "company")
                provinces = self.rng.sample(names.ALL_PROVINCES, self.rng.randint(*s.subsidiaries))
                for _n, p_short, _w in provinces:
                    sub_name = pattern[0].format(p=p_short)
                    sub_code = pattern[1].format(i=names.initials(p_short))
                    self.add(company, sub_name, sub_name, sub_code, Kind.COMPANY, "subsidiary", place=p_short)

    # --- Rows ----------------------------------------------------------------------------------------------

    def write_units(self) -> None:
        w = self.run.writer
        table = w.table(
            OrgUnit, ["id", "name", "short_name", "code", "kind", "parent_id", "path", "depth", "is_active"]
        )
        for u in self.units:
            w.add(table, (u.id, u.name, u.short, u.code, u.kind, u.parent.id if u.parent else None, u.path,
                          u.depth, True))  # fmt: skip


class PeopleBuilder:
    """Committees with full rosters (positions, groups, one change of member, every other head replaced), the
    staff of every unit, and one secretary login per committee unit."""

    def __init__(self, run: Run, units: list[Unit]):
        self.run = run
        self.rng = run.rng
        self.units = units
        w = run.writer
        self.person_table = w.table(
            Person,
            ["id", "full_name", "family_name", "middle_name", "given_name", "name_sort_key", "home_unit_id",
             "unit_path", "title", "email", "phone", "created_at", "updated_at"],
        )  # fmt: skip
        self.committee_table = w.table(
            Committee,
            [
                "id",
                "unit_id",
                "unit_path",
                "name",
                "short_name",
                "code",
                "established_by_ref",
                "established_on",
            ],
        )
        self.membership_table = w.table(
            Membership,
            ["id", "committee_id", "person_id", "unit_path", "role", "duty", "start_date", "end_date",
             "decision_ref", "end_reason"],
        )  # fmt: skip
        self.full_names: dict[int, str] = {}
        self.people = 0
        self.memberships = 0
        self.committees = 0
        self._parts: dict[str, tuple[str, str, str, str]] = {}

    def _name(self, local: bool) -> str:
        rng = self.rng
        while True:
            sex = rng.choice("mf")
            family = rng.choice(LOCAL_FAMILY_NAMES if local and rng.random() < 0.6 else FAMILY_NAMES)
            given_pool = GIVEN_NAMES[sex] if rng.random() < 0.8 else names.EXTRA_GIVEN[sex]
            full = f"{family} {rng.choice(MIDDLE_NAMES[sex])} {rng.choice(given_pool)}"
            if full not in NOT_USED_NAMES:
                return full

    def person(self, unit: Unit, title: str, *, local: bool | None = None) -> int:
        full = self._name(unit.local_names if local is None else local)
        parts = self._parts.get(full)
        if parts is None:
            p = split_name(full)
            parts = (
                p.family,
                p.middle,
                p.given,
                name_sort_key(given=p.given, middle=p.middle, family=p.family),
            )
            self._parts[full] = parts
        pid = self.run.writer.ids.next(Person)
        words = fold(full).split()
        email = f"{words[-1]}.{''.join(w[0] for w in words[:-1])}{pid}@example.org"
        phone = f"09{self.rng.randrange(10**8):08d}" if self.rng.random() < 0.5 else ""
        created = self.run.now
        self.run.writer.add(
            self.person_table, (pid, full, *parts, unit.id, unit.path, title, email, phone, created, created)
        )
        self.people += 1
        self.full_names[pid] = full
        return pid

    # --- Committees ----------------------------------------------------------------------------------------

    def committee_name(self, u: Unit) -> str:
        if u.level == "central":
            return "Ban Chỉ đạo 35 Trung ương"
        if u.level in ("province", "district"):
            return f"Ban Chỉ đạo 35 {u.kind_word} {u.short}"
        if u.level in ("bloc", "party"):
            return f"Ban Chỉ đạo 35 {u.name.replace('Đảng bộ', 'Đảng ủy', 1)}"
        return f"Ban Chỉ đạo 35 {u.name}"

    def _decision(self, u: Unit, number: int) -> str:
        """The establishing/appointing decision in the unit's numbering system."""
        if u.level == "central":
            return f"Quyết định số {number}-QĐ/TW"
        if u.level == "province":
            return f"Quyết định số {number}-QĐ/{'ThU' if u.kind_word == 'thành phố' else 'TU'}"
        if u.level == "district":
            return f"Quyết định số {number}-QĐ/{'ThU' if u.kind_word == 'thành phố' else 'HU'}"
        if u.level in ("bloc", "party"):
            return f"Quyết định số {number}-QĐ/{u.code}"
        return f"Quyết định số {number}/QĐ-{u.code}"

    def committee(self, u: Unit) -> None:
        rng = self.rng
        cid = self.run.writer.ids.next(Committee)
        u.committee_id = cid
        u.committee_name = self.committee_name(u)
        established = datetime.date(2021, 1, 15) + datetime.timedelta(days=rng.randint(0, 540))
        decision = self._decision(u, rng.randint(20, 1500))
        self.run.writer.add(
            self.committee_table,
            (cid, u.id, u.path, u.committee_name, "BCĐ 35", "BCĐ", decision, established),
        )
        self.committees += 1
        titles = self._titles(u)
        homes = [c for c in u.children if c.level in ("province_dept", "ministry_dept")] or [u]

        def appoint(role, title, duty, *, start=established, ref=decision, home=u, end=None, reason=""):
            pid = self.person(home, title, local=u.local_names)
            mid = self.run.writer.ids.next(Membership)
            self.run.writer.add(
                self.membership_table, (mid, cid, pid, u.path, role, duty, start, end, ref, reason)
            )
            self.memberships += 1
            return pid

        changed_on = min(established + datetime.timedelta(days=rng.randint(400, 900)), self.run.today)
        change_ref = self._decision(u, rng.randint(20, 1500))
        head_changes = self.committees % 2 == 0
        R = Membership.Role
        first_head = appoint(
            R.HEAD, titles["head"], "Trưởng Ban", end=changed_on if head_changes else None,
            reason=rng.choice(END_REASONS) if head_changes else "",
        )  # fmt: skip
        u.head_id = first_head
        if head_changes:
            u.head_id = appoint(R.HEAD, titles["head"], "Trưởng Ban", start=changed_on, ref=change_ref)
        appoint(R.STANDING_DEPUTY, titles["standing_deputy"], "Phó Trưởng Ban Thường trực")
        for title in titles["deputy"]:
            appoint(R.DEPUTY, title, "Phó Trưởng Ban")
        for i in range(rng.randint(6, 12)):
            home = homes[i % len(homes)]
            title = rng.choice(titles["member"])
            if i == 0:  # a member left and was replaced
                appoint(R.MEMBER, title, "Ủy viên", home=home, end=changed_on, reason=rng.choice(END_REASONS))
                appoint(R.MEMBER, title, "Ủy viên", home=home, start=changed_on, ref=change_ref)
            else:
                appoint(R.MEMBER, title, "Ủy viên", home=home)
        secretariat = [
            appoint(R.SECRETARIAT, title, "Tổ giúp việc")
            for title in rng.sample(titles["secretariat"] * 2, rng.randint(3, 5))
        ]
        u.secretary_id = secretariat[0]
        agency = titles["standing_agency"]
        for _i in range(2):
            appoint(R.STANDING_AGENCY, f"Chuyên viên {agency}", f"Cơ quan thường trực: {agency}")
        for _i in range(rng.randint(2, 3)):
            appoint(R.EXPERTS, rng.choice(EXPERT_TITLES), "Tổ chuyên gia")
        for _i in range(rng.randint(2, 3)):
            appoint(R.COLLABORATORS, rng.choice(COLLABORATOR_TITLES), "Cộng tác viên")

    def _titles(self, u: Unit) -> dict:
        style = COMMITTEE_STYLE[u.level]
        base = CENTRAL_TITLES if style == "central" else TITLES[style]
        uy = (
            "Thành ủy" if u.kind_word == "thành phố" else ("Huyện ủy" if u.level == "district" else "Tỉnh ủy")
        )
        place = {"uy": uy, "cap": u.kind_word or "huyện"}

        def fill(text: str) -> str:
            return text.format(**place).replace("Báo Hòa Bình", f"Báo {u.short}")

        titles = {k: [fill(t) for t in v] if isinstance(v, list) else fill(v) for k, v in base.items()}
        titles["standing_agency"] = {
            "central": "Ban Tuyên giáo Trung ương",
            "province": f"Ban Tuyên giáo {uy}",
            "district": f"Ban Tuyên giáo {uy}",
            "ministry": "Ban Tuyên giáo Đảng ủy Bộ",
            "corporation": "Ban Tuyên giáo Đảng ủy Tập đoàn",
            "company": "Văn phòng Đảng ủy Tổng công ty",
            "party": "Ban Tuyên giáo Đảng ủy",
        }[style]
        return titles

    # --- All people ----------------------------------------------------------------------------------------

    def build(self) -> None:
        committee_units = [u for u in self.units if u.has_committee]
        for u in committee_units:
            self.committee(u)
        # Staff: the rest of the people, spread by level with some variation.
        remaining = max(0, self.run.scale.people - self.people)
        total_weight = sum(STAFF_WEIGHT[u.level] for u in self.units)
        factor = remaining / total_weight if total_weight else 0
        for u in self.units:
            count = round(STAFF_WEIGHT[u.level] * factor * self.rng.uniform(0.7, 1.3))
            pool = COMMUNE_TITLES + STAFF_TITLES[:2] if u.level == "commune" else STAFF_TITLES
            for _i in range(count):
                self.person(u, self.rng.choice(pool))


# --- Logins -------------------------------------------------------------------------------------------------


def login_slug(u: Unit) -> str:
    """`hoabinh`, `lacson` (places), `bct`, `evn`, `duk` (codes), `dubct` (the Party committee of Bộ Công
    Thương), `bcdtw` (the central committee)."""
    if u.level in ("province", "district"):
        return names.slug(u.short)
    if u.level == "party":
        ministry = u.name.removeprefix("Đảng bộ ")
        return "du" + names.slug(next((m[1] for m in names.MINISTRIES if m[0] == ministry), ""))
    if u.level == "central":
        return "bcdtw"
    return names.slug(u.code)


def write_logins(run: Run, units: list[Unit], people: PeopleBuilder) -> list[str]:
    """A secretary login `<unit>.thuky` for the secretariat's first person of every committee unit (demo
    password), plus `hoabinh.admin` (administrator of Hòa Bình) and `evn.lanhdao` (viewer, EVN's committee
    head) when those units exist. One password hash for all: hashing is deliberately slow."""
    w = run.writer
    user_table = w.table(
        User,
        ["id", "password", "username", "first_name", "last_name", "email", "is_superuser", "is_staff",
         "is_active", "date_joined", "person_id", "home_unit_id", "language", "updated_at"],
    )  # fmt: skip
    grant_table = w.table(RoleGrant, ["id", "user_id", "unit_id", "unit_path", "role"])
    existing = set(User.objects.values_list("username", flat=True))
    password = make_password(DEMO_PASSWORD)
    created: list[str] = []

    def login(username: str, u: Unit, role: str, person_id: int | None, full_name: str) -> None:
        if username in existing:
            return
        existing.add(username)
        parts = split_name(full_name)
        uid = w.ids.next(User)
        last = " ".join(p for p in (parts.family, parts.middle) if p)
        w.add(user_table, (uid, password, username, parts.given, last, f"{username}@example.org", False, False,
                           True, run.now, person_id, u.id, "", run.now))  # fmt: skip
        w.add(grant_table, (w.ids.next(RoleGrant), uid, u.id, u.path, role))
        created.append(username)

    full_names = people.full_names
    # Districts elsewhere may share a name with Hòa Bình's units: the small demo's login names (hoabinh.thuky,
    # lacson.thuky…) go to the units of the small demo, so those are named first.
    hoa_binh = next((u.path for u in units if u.level == "province" and u.short == "Hòa Bình"), None)

    def first(u: Unit) -> int:
        return 0 if u.level != "district" or (hoa_binh and u.path.startswith(hoa_binh)) else 1

    for u in sorted((u for u in units if u.has_committee), key=first):
        base = login_slug(u)
        username = f"{base}.thuky"
        n = 2
        while username in existing:
            username = f"{base}{n}.thuky"
            n += 1
        login(username, u, Role.SECRETARY, u.secretary_id, full_names[u.secretary_id])
        if u.level == "province" and u.short == "Hòa Bình":
            pid = people.person(u, "Chuyên viên Văn phòng UBND tỉnh")
            login("hoabinh.admin", u, Role.ADMIN, pid, full_names[pid])
        if u.level == "corporation" and u.code == "EVN":
            login("evn.lanhdao", u, Role.VIEWER, u.head_id, full_names[u.head_id])
    return created
