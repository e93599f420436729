"""Demo data for `steerdesk seed_demo --scale small`: real public bodies, fictional people.

The units are real Vietnamese public bodies with their real abbreviations (BCT, EVN, UBND, ĐUK…). The people are
NOT real: every name is drawn from lists of common family, middle and given names with a seeded random
generator, so the data is the same on every machine. A few names of well-known office holders that those lists
could produce by chance are excluded (`NOT_USED_NAMES`). Local decision numbers are invented.

Everything is written through the services (`orgs.services`, `accounts.services`) with a superuser actor, so
permissions, validation and the audit log are exercised exactly as in real use.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django.db import transaction

from steerdesk.accounts.models import User
from steerdesk.accounts.services import grant_role, user_create
from steerdesk.core.scope import Role
from steerdesk.core.text import fold
from steerdesk.orgs.models import Committee, Membership, OrgUnit, Person
from steerdesk.orgs.services import (
    committee_create,
    membership_appoint,
    membership_end,
    person_create,
    unit_create,
)

SEED = 2026
DEMO_PASSWORD = "SteerDesk-demo-2026"

# --- Names -----------------------------------------------------------------------------------------------
# Common Vietnamese family names, weighted; the Mường and Thái names (Bùi, Đinh, Quách, Hà, Xa, Lò) are frequent
# in Hòa Bình, so its units draw from LOCAL_FAMILY_NAMES more often.
FAMILY_NAMES = (
    "Nguyễn Nguyễn Nguyễn Nguyễn Nguyễn Nguyễn Nguyễn Nguyễn Trần Trần Trần Lê Lê Lê Phạm Hoàng Huỳnh Phan Vũ Võ "
    "Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Tạ Lương Trịnh Đào Mai Cao Quách Hà Kiều Tô"
).split()
LOCAL_FAMILY_NAMES = "Bùi Bùi Đinh Đinh Quách Hà Xa Lò Nguyễn Trần".split()
MIDDLE_NAMES = {
    "m": "Văn Văn Hữu Đức Minh Quang Thanh Công Xuân Mạnh Tiến Duy Trọng".split(),
    "f": "Thị Thị Thị Thu Thanh Ngọc Minh Hồng Thùy Kim Phương Bích".split(),
}
GIVEN_NAMES = {
    "m": "Hùng Dũng Tuấn Nam Long Sơn Hải Thắng Cường Quân Phong Trung Khánh Bình Hiếu Tùng Đạt Kiên Lâm Thành "
    "Vinh Toàn Huy Ân".split(),
    "f": "Lan Hương Hà Mai Linh Thảo Trang Yến Hạnh Nga Hằng Huyền Loan Oanh Nhung Giang Vân Thủy Hoa Quỳnh Ánh "
    "Uyên".split(),
}
# Names of well-known office holders these lists could produce: never used, so no demo person looks like one.
NOT_USED_NAMES = {
    "Bùi Văn Khánh",
    "Nguyễn Văn Thắng",
    "Nguyễn Văn Hùng",
    "Nguyễn Văn Nam",
    "Trần Văn Sơn",
    "Nguyễn Thanh Hải",
    "Nguyễn Minh Hằng",
}


# --- The tree ---------------------------------------------------------------------------------------------


@dataclass
class CommitteeSpec:
    name: str
    decision: str  # the establishing decision; members are appointed by it too
    established_on: datetime.date
    style: str  # which set of job titles fits (see TITLES)
    standing_agency: str
    short_name: str = "BCĐ 35"
    place: dict[str, str] = field(default_factory=dict)  # fills {uy} and {cap} in the job titles


@dataclass
class UnitSpec:
    key: str
    name: str
    kind: str
    code: str
    short_name: str = ""
    committee: CommitteeSpec | None = None
    children: list[UnitSpec] = field(default_factory=list)
    local_names: bool = False  # draw family names from LOCAL_FAMILY_NAMES


def _d(year: int, month: int, day: int) -> datetime.date:
    return datetime.date(year, month, day)


def _district(key: str, name: str, short: str, kind_word: str, party_code: str, number: int, on, children=()):
    """A district-level unit of Hòa Bình; its committee is set up by its Party committee (Huyện ủy/Thành ủy)."""
    return UnitSpec(
        key=key,
        name=name,
        kind=OrgUnit.Kind.DISTRICT,
        code="UBND",
        short_name=short,
        local_names=True,
        committee=CommitteeSpec(
            name=f"Ban Chỉ đạo 35 {kind_word} {short}",
            decision=f"Quyết định số {number}-QĐ/{party_code}",
            established_on=on,
            style="district",
            standing_agency=f"Ban Tuyên giáo {'Thành ủy' if party_code == 'ThU' else 'Huyện ủy'}",
            place={"uy": "Thành ủy" if party_code == "ThU" else "Huyện ủy", "cap": kind_word},
        ),
        children=list(children),
    )


def _commune(key: str, name: str) -> UnitSpec:
    return UnitSpec(key=key, name=name, kind=OrgUnit.Kind.COMMUNE, code="UBND", local_names=True)


TREE: list[UnitSpec] = [
    UnitSpec(
        key="bct",
        name="Bộ Công Thương",
        kind=OrgUnit.Kind.MINISTRY,
        code="BCT",
        short_name="Bộ Công Thương",
        committee=CommitteeSpec(
            name="Ban Chỉ đạo 35 Bộ Công Thương",
            decision="Quyết định số 1234/QĐ-BCT",
            established_on=_d(2021, 6, 15),
            style="ministry",
            standing_agency="Ban Tuyên giáo Đảng ủy Bộ",
        ),
        children=[
            UnitSpec(key="bct_pc", name="Vụ Pháp chế", kind=OrgUnit.Kind.DEPARTMENT, code="PC"),
            UnitSpec(key="bct_vp", name="Văn phòng Bộ", kind=OrgUnit.Kind.DEPARTMENT, code="VP"),
            UnitSpec(key="bct_tccb", name="Vụ Tổ chức cán bộ", kind=OrgUnit.Kind.DEPARTMENT, code="TCCB"),
            UnitSpec(
                key="evn",
                name="Tập đoàn Điện lực Việt Nam",
                kind=OrgUnit.Kind.CORPORATION,
                code="EVN",
                short_name="EVN",
                committee=CommitteeSpec(
                    name="Ban Chỉ đạo 35 Tập đoàn Điện lực Việt Nam",
                    decision="Quyết định số 96/QĐ-EVN",
                    established_on=_d(2021, 9, 8),
                    style="corporation",
                    standing_agency="Ban Tuyên giáo Đảng ủy Tập đoàn",
                ),
                children=[
                    UnitSpec(
                        key="evnnpc",
                        name="Tổng công ty Điện lực miền Bắc",
                        kind=OrgUnit.Kind.COMPANY,
                        code="EVNNPC",
                        short_name="EVNNPC",
                        committee=CommitteeSpec(
                            name="Ban Chỉ đạo 35 Tổng công ty Điện lực miền Bắc",
                            decision="Quyết định số 452/QĐ-EVNNPC",
                            established_on=_d(2022, 3, 2),
                            style="company",
                            standing_agency="Văn phòng Đảng ủy Tổng công ty",
                        ),
                    ),
                    UnitSpec(
                        key="evnnpt",
                        name="Tổng công ty Truyền tải điện Quốc gia",
                        kind=OrgUnit.Kind.COMPANY,
                        code="EVNNPT",
                        short_name="EVNNPT",
                        committee=CommitteeSpec(
                            name="Ban Chỉ đạo 35 Tổng công ty Truyền tải điện Quốc gia",
                            decision="Quyết định số 318/QĐ-EVNNPT",
                            established_on=_d(2022, 4, 20),
                            style="company",
                            standing_agency="Văn phòng Đảng ủy Tổng công ty",
                        ),
                    ),
                ],
            ),
            UnitSpec(
                key="pvn",
                name="Tập đoàn Công nghiệp - Năng lượng Quốc gia Việt Nam",
                kind=OrgUnit.Kind.CORPORATION,
                code="PVN",
                short_name="Petrovietnam",
                committee=CommitteeSpec(
                    name="Ban Chỉ đạo 35 Tập đoàn Công nghiệp - Năng lượng Quốc gia Việt Nam",
                    decision="Quyết định số 212/QĐ-DKVN",
                    established_on=_d(2021, 10, 12),
                    style="corporation",
                    standing_agency="Ban Tuyên giáo Đảng ủy Tập đoàn",
                ),
            ),
        ],
    ),
    UnitSpec(
        key="hoabinh",
        name="Tỉnh Hòa Bình",
        kind=OrgUnit.Kind.PROVINCE,
        code="UBND",
        short_name="UBND tỉnh Hòa Bình",
        local_names=True,
        committee=CommitteeSpec(
            name="Ban Chỉ đạo 35 tỉnh Hòa Bình",
            decision="Quyết định số 1187-QĐ/TU",
            established_on=_d(2021, 3, 24),
            style="province",
            standing_agency="Ban Tuyên giáo Tỉnh ủy",
        ),
        children=[
            _district(
                "tphoabinh", "Thành phố Hòa Bình", "Hòa Bình", "thành phố", "ThU", 245, _d(2021, 5, 12)
            ),
            _district(
                "lacson",
                "Huyện Lạc Sơn",
                "Lạc Sơn",
                "huyện",
                "HU",
                312,
                _d(2021, 5, 20),
                children=[
                    _commune("vuban", "Thị trấn Vụ Bản"),
                    _commune("vubinh", "Xã Vũ Bình"),
                    _commune("annghia", "Xã Ân Nghĩa"),
                    _commune("yennghiep", "Xã Yên Nghiệp"),
                ],
            ),
            _district("maichau", "Huyện Mai Châu", "Mai Châu", "huyện", "HU", 178, _d(2021, 6, 3)),
            _district("caophong", "Huyện Cao Phong", "Cao Phong", "huyện", "HU", 205, _d(2021, 6, 9)),
        ],
    ),
    UnitSpec(
        key="duk",
        name="Đảng bộ Khối các cơ quan Trung ương",
        kind=OrgUnit.Kind.PARTY_BLOC,
        code="ĐUK",
        short_name="Đảng ủy Khối",
        committee=CommitteeSpec(
            name="Ban Chỉ đạo 35 Đảng ủy Khối các cơ quan Trung ương",
            decision="Quyết định số 152-QĐ/ĐUK",
            established_on=_d(2021, 2, 26),
            style="party",
            standing_agency="Ban Tuyên giáo Đảng ủy Khối",
        ),
        children=[
            UnitSpec(
                key="duk_bct",
                name="Đảng bộ Bộ Công Thương",
                kind=OrgUnit.Kind.PARTY_COMMITTEE,
                code="ĐU",
                committee=CommitteeSpec(
                    name="Ban Chỉ đạo 35 Đảng ủy Bộ Công Thương",
                    decision="Quyết định số 87-QĐ/ĐU",
                    established_on=_d(2021, 4, 14),
                    style="party",
                    standing_agency="Ban Tuyên giáo Đảng ủy Bộ",
                ),
            ),
            UnitSpec(
                key="duk_btp",
                name="Đảng bộ Bộ Tư pháp",
                kind=OrgUnit.Kind.PARTY_COMMITTEE,
                code="ĐU",
                committee=CommitteeSpec(
                    name="Ban Chỉ đạo 35 Đảng ủy Bộ Tư pháp",
                    decision="Quyết định số 64-QĐ/ĐU",
                    established_on=_d(2021, 4, 28),
                    style="party",
                    standing_agency="Ban Tuyên giáo Đảng ủy Bộ",
                ),
            ),
        ],
    ),
]

# Job titles by committee style: head, standing deputy, deputies, members, secretariat, experts, collaborators.
TITLES = {
    "ministry": {
        "head": "Thứ trưởng",
        "standing_deputy": "Vụ trưởng Vụ Tổ chức cán bộ",
        "deputy": ["Chánh Văn phòng Bộ", "Vụ trưởng Vụ Pháp chế"],
        "member": ["Vụ trưởng", "Phó Vụ trưởng", "Cục trưởng", "Phó Cục trưởng", "Phó Chánh Văn phòng Bộ"],
        "secretariat": ["Chuyên viên chính Văn phòng Bộ", "Chuyên viên Vụ Tổ chức cán bộ", "Chuyên viên"],
    },
    "corporation": {
        "head": "Phó Bí thư Đảng ủy Tập đoàn",
        "standing_deputy": "Trưởng Ban Tuyên giáo Đảng ủy Tập đoàn",
        "deputy": ["Phó Tổng Giám đốc", "Chủ tịch Công đoàn Tập đoàn"],
        "member": ["Trưởng ban", "Phó Trưởng ban", "Bí thư Đoàn Thanh niên Tập đoàn", "Chánh Văn phòng"],
        "secretariat": [
            "Chuyên viên Ban Tuyên giáo",
            "Chuyên viên Văn phòng",
            "Chuyên viên Ban Truyền thông",
        ],
    },
    "company": {
        "head": "Phó Bí thư Đảng ủy Tổng công ty",
        "standing_deputy": "Phó Tổng Giám đốc",
        "deputy": ["Chủ tịch Công đoàn Tổng công ty", "Chánh Văn phòng"],
        "member": ["Trưởng ban", "Phó Trưởng ban", "Giám đốc Công ty", "Bí thư Đoàn Thanh niên"],
        "secretariat": ["Chuyên viên Văn phòng", "Chuyên viên Ban Tổ chức", "Chuyên viên"],
    },
    "province": {
        "head": "Phó Bí thư Thường trực Tỉnh ủy",
        "standing_deputy": "Trưởng Ban Tuyên giáo Tỉnh ủy",
        "deputy": ["Phó Chủ tịch UBND tỉnh", "Giám đốc Công an tỉnh"],
        "member": [
            "Giám đốc Sở Thông tin và Truyền thông",
            "Giám đốc Sở Nội vụ",
            "Chánh Văn phòng Tỉnh ủy",
            "Phó Trưởng Ban Tuyên giáo Tỉnh ủy",
            "Tổng Biên tập Báo Hòa Bình",
            "Giám đốc Đài Phát thanh và Truyền hình tỉnh",
            "Chỉ huy trưởng Bộ Chỉ huy Quân sự tỉnh",
        ],
        "secretariat": ["Chuyên viên Ban Tuyên giáo Tỉnh ủy", "Chuyên viên Văn phòng Tỉnh ủy", "Chuyên viên"],
    },
    "district": {  # {uy}: Huyện ủy / Thành ủy; {cap}: huyện / thành phố
        "head": "Phó Bí thư Thường trực {uy}",
        "standing_deputy": "Trưởng Ban Tuyên giáo {uy}",
        "deputy": ["Phó Chủ tịch UBND {cap}", "Trưởng Công an {cap}"],
        "member": [
            "Trưởng phòng Văn hóa và Thông tin",
            "Chánh Văn phòng {uy}",
            "Chỉ huy trưởng Ban Chỉ huy Quân sự {cap}",
            "Giám đốc Trung tâm Văn hóa, Thông tin và Thể thao",
            "Bí thư Đoàn Thanh niên {cap}",
            "Phó Trưởng Ban Tuyên giáo {uy}",
        ],
        "secretariat": ["Chuyên viên Ban Tuyên giáo {uy}", "Chuyên viên Văn phòng {uy}", "Chuyên viên"],
    },
    "party": {
        "head": "Phó Bí thư Đảng ủy",
        "standing_deputy": "Trưởng Ban Tuyên giáo",
        "deputy": ["Chủ nhiệm Ủy ban Kiểm tra", "Trưởng Ban Tổ chức"],
        "member": [
            "Ủy viên Ban Thường vụ",
            "Phó Trưởng Ban Tuyên giáo",
            "Chánh Văn phòng",
            "Phó Chánh Văn phòng",
        ],
        "secretariat": ["Chuyên viên Ban Tuyên giáo", "Chuyên viên Văn phòng", "Chuyên viên"],
    },
}
EXPERT_TITLES = ["Nghiên cứu viên", "Giảng viên chính", "Chuyên gia"]
COLLABORATOR_TITLES = ["Phóng viên", "Biên tập viên", "Cộng tác viên"]
END_REASONS = ["Nghỉ hưu theo chế độ", "Chuyển công tác khác", "Được điều động, luân chuyển"]


def _walk(specs: list[UnitSpec]):
    """The specs in tree order, parents before their children."""
    for spec in specs:
        yield spec
        yield from _walk(spec.children)


# --- Logins -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str  # "superuser" or a core.scope.Role value
    unit_key: str = ""
    person: str = ""  # which person to link: "secretary" (first of the secretariat), "head", "new" or ""
    title: str = ""  # job title of a "new" person


DEMO_LOGINS = [
    DemoLogin("admin", "superuser"),
    DemoLogin("bct.thuky", Role.SECRETARY, "bct", "secretary"),
    DemoLogin("hoabinh.admin", Role.ADMIN, "hoabinh", "new", "Chuyên viên Văn phòng UBND tỉnh"),
    DemoLogin("hoabinh.thuky", Role.SECRETARY, "hoabinh", "secretary"),
    DemoLogin("lacson.thuky", Role.SECRETARY, "lacson", "secretary"),
    DemoLogin("maichau.thuky", Role.SECRETARY, "maichau", "secretary"),
    DemoLogin("evn.lanhdao", Role.VIEWER, "evn", "head"),
    DemoLogin("evn.thuky", Role.SECRETARY, "evn", "secretary"),
    DemoLogin("duk.thuky", Role.SECRETARY, "duk", "secretary"),
]


# --- The builder ----------------------------------------------------------------------------------------


class DemoBuilder:
    """Builds the small demo in one transaction (all or nothing), deterministically."""

    def __init__(self, *, log=None):
        self.rng = random.Random(SEED)
        self.log = log or (lambda message: None)
        self.used_names: set[str] = set(NOT_USED_NAMES)
        self.units: dict[str, OrgUnit] = {}
        self.committees: dict[str, Committee] = {}
        self.secretaries: dict[str, Person] = {}
        self.heads: dict[str, Person] = {}
        self.counts = {"units": 0, "committees": 0, "people": 0, "memberships": 0, "users": 0}
        self.skipped_users: list[str] = []

    # People

    def _name(self, *, local: bool) -> str:
        for _attempt in range(1000):
            sex = self.rng.choice("mf")
            family = self.rng.choice(
                LOCAL_FAMILY_NAMES if local and self.rng.random() < 0.6 else FAMILY_NAMES
            )
            full = f"{family} {self.rng.choice(MIDDLE_NAMES[sex])} {self.rng.choice(GIVEN_NAMES[sex])}"
            if full not in self.used_names:
                self.used_names.add(full)
                return full
        raise RuntimeError("The name lists are too short for this many people.")  # pragma: no cover

    def _email(self, full_name: str) -> str:
        words = fold(full_name).split()
        local = f"{words[-1]}.{''.join(w[0] for w in words[:-1])}"
        return f"{local}{self.counts['people']}@example.org"

    def person(self, *, actor, unit: OrgUnit, title: str, local: bool) -> Person:
        full_name = self._name(local=local)
        person = person_create(
            actor=actor, home_unit=unit, full_name=full_name, title=title, email=self._email(full_name)
        )
        self.counts["people"] += 1
        return person

    # Units and committees

    def build(self, actor) -> None:
        with transaction.atomic():
            for spec in TREE:
                self._unit(actor, spec, parent=None)
            for spec in _walk(TREE):
                if spec.committee:
                    self._committee(actor, spec, self.units[spec.key])
            self._logins(actor)

    def _unit(self, actor, spec: UnitSpec, *, parent: OrgUnit | None) -> None:
        unit = unit_create(
            actor=actor,
            parent=parent,
            name=spec.name,
            kind=spec.kind,
            code=spec.code,
            short_name=spec.short_name,
        )
        self.units[spec.key] = unit
        self.counts["units"] += 1
        for child in spec.children:
            self._unit(actor, child, parent=unit)

    def _committee(self, actor, spec: UnitSpec, unit: OrgUnit) -> None:
        cs = spec.committee
        committee = committee_create(
            actor=actor,
            unit=unit,
            name=cs.name,
            short_name=cs.short_name,
            code="BCĐ",
            established_by_ref=cs.decision,
            established_on=cs.established_on,
        )
        self.committees[spec.key] = committee
        self.counts["committees"] += 1
        self.log(f"  {committee.name}")
        titles = {
            key: [t.format(**cs.place) for t in value]
            if isinstance(value, list)
            else value.format(**cs.place)
            for key, value in TITLES[cs.style].items()
        }
        rng = self.rng

        def appoint(role, title, *, duty="", start=cs.established_on, decision=cs.decision, home=unit):
            person = self.person(actor=actor, unit=home, title=title, local=spec.local_names)
            membership = membership_appoint(
                actor=actor,
                committee=committee,
                person=person,
                role=role,
                start_date=start,
                decision_ref=decision,
                duty=duty,
            )
            self.counts["memberships"] += 1
            return membership

        head = appoint(Membership.Role.HEAD, titles["head"], duty="Trưởng Ban")
        appoint(Membership.Role.STANDING_DEPUTY, titles["standing_deputy"], duty="Phó Trưởng Ban Thường trực")
        for title in titles["deputy"]:
            appoint(Membership.Role.DEPUTY, title, duty="Phó Trưởng Ban")
        # In a ministry the members come from its departments.
        member_homes = list(unit.children.filter(kind=OrgUnit.Kind.DEPARTMENT).order_by("path")) or [unit]
        members = [
            appoint(
                Membership.Role.MEMBER,
                rng.choice(titles["member"]),
                duty="Ủy viên",
                home=member_homes[i % len(member_homes)],
            )
            for i in range(rng.randint(6, 12))
        ]
        secretariat = [
            appoint(Membership.Role.SECRETARIAT, title, duty="Tổ giúp việc")
            for title in rng.sample(titles["secretariat"] * 2, rng.randint(3, 5))
        ]
        for _i in range(2):
            appoint(
                Membership.Role.STANDING_AGENCY,
                f"Chuyên viên {cs.standing_agency}",
                duty=f"Cơ quan thường trực: {cs.standing_agency}",
            )
        for _i in range(rng.randint(2, 3)):
            appoint(Membership.Role.EXPERTS, rng.choice(EXPERT_TITLES), duty="Tổ chuyên gia")
        for _i in range(rng.randint(2, 3)):
            appoint(Membership.Role.COLLABORATORS, rng.choice(COLLABORATOR_TITLES), duty="Cộng tác viên")

        # History: a member left and was replaced; in every other committee the head changed too.
        changed_on = cs.established_on + datetime.timedelta(days=rng.randint(400, 900))
        number = rng.randint(20, 480)
        if "-QĐ/" in cs.decision:  # Party numbering: 45-QĐ/HU
            change_decision = f"Quyết định số {number}-QĐ/{cs.decision.rsplit('/', 1)[1]}"
        else:  # State numbering: 45/QĐ-BCT
            change_decision = f"Quyết định số {number}/QĐ-{cs.decision.rsplit('-', 1)[1]}"
        leaver = members[0]
        membership_end(actor=actor, membership=leaver, end_date=changed_on, reason=rng.choice(END_REASONS))
        appoint(
            Membership.Role.MEMBER,
            leaver.person.title,
            duty="Ủy viên",
            start=changed_on,
            decision=change_decision,
            home=leaver.person.home_unit,
        )
        if self.counts["committees"] % 2 == 0:
            membership_end(actor=actor, membership=head, end_date=changed_on, reason=rng.choice(END_REASONS))
            head = appoint(
                Membership.Role.HEAD,
                titles["head"],
                duty="Trưởng Ban",
                start=changed_on,
                decision=change_decision,
            )
        self.heads[spec.key] = head.person
        self.secretaries[spec.key] = secretariat[0].person

    # Logins

    def _logins(self, actor) -> None:
        for login in DEMO_LOGINS:
            if login.role == "superuser":
                continue
            if User.objects.filter(username=login.username).exists():
                self.skipped_users.append(login.username)
                continue
            unit = self.units[login.unit_key]
            if login.person == "secretary":
                person = self.secretaries[login.unit_key]
            elif login.person == "head":
                person = self.heads[login.unit_key]
            else:
                person = self.person(actor=actor, unit=unit, title=login.title, local=True)
            user = user_create(
                actor=actor,
                home_unit=unit,
                username=login.username,
                full_name=person.full_name,
                email=f"{login.username}@example.org",
                password=DEMO_PASSWORD,
            )
            user.person = person
            user.save(update_fields=["person"])
            grant_role(actor=actor, user=user, unit=unit, role=login.role)
            self.counts["users"] += 1


def demo_superuser() -> User | None:
    """The superuser that performs the seeding: `admin` (created with the demo password when missing), or, when
    an `admin` account exists that is not a superuser, the first active superuser; None if there is none."""
    user = User.objects.filter(username="admin").first()
    if user is None:
        return User.objects.create_superuser(
            username="admin", email="admin@example.org", password=DEMO_PASSWORD
        )
    if user.is_superuser and user.is_active:
        return user
    return User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
