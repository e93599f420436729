"""Demo documents for `seed_demo --scale small`: registers for the demo units, real public documents received
with their real numbers and dates, and the committees' own plans and reports issued through the services,
linked into a chain central → province → district → commune. People's names are fictional."""

from __future__ import annotations

import datetime

from django.db import transaction

from steerdesk.orgs.models import OrgUnit

from . import services
from .models import Document, DocumentType, Register

# Real public documents (their numbers, dates, issuers and subjects are public record).
NQ35 = {
    "type": "Nghị quyết",
    "number_text": "35-NQ/TW",
    "signing_date": datetime.date(2018, 10, 22),
    "issuer_name": "Bộ Chính trị",
    "summary": (
        "Về tăng cường bảo vệ nền tảng tư tưởng của Đảng, đấu tranh phản bác các quan điểm sai trái, "
        "thù địch trong tình hình mới"
    ),
}
ND30 = {
    "type": "Nghị định",
    "number_text": "30/2020/NĐ-CP",
    "signing_date": datetime.date(2020, 3, 5),
    "issuer_name": "Chính phủ",
    "summary": "Về công tác văn thư",
}
HD36 = {
    "type": "Hướng dẫn",
    "number_text": "36-HD/VPTW",
    "signing_date": datetime.date(2018, 4, 3),
    "issuer_name": "Văn phòng Trung ương Đảng",
    "summary": "Về thể thức và kỹ thuật trình bày văn bản của Đảng",
}

# Fictional signers.
SIGNERS = {
    "province": ("Đinh Công Tâm", "Trưởng Ban Chỉ đạo", "TM."),
    "province_ubnd": ("Bùi Thị Lan Phương", "Phó Chủ tịch", "KT."),
    "district": ("Quách Văn Hiếu", "Trưởng Ban Chỉ đạo", "TM."),
    "commune": ("Hà Thị Ngọc", "Phó Trưởng Ban Chỉ đạo", "KT."),
    "ministry": ("Phan Đức Khôi", "Thứ trưởng", "KT."),
    "bloc": ("Vương Minh Châu", "Phó Bí thư", "TM."),
}


def _unit(name: str) -> OrgUnit | None:
    return OrgUnit.objects.filter(name=name).order_by("path").first()


class _Seeder:
    def __init__(self, actor):
        self.actor = actor
        self.types = {t.name: t for t in DocumentType.objects.all()}
        self.count = 0

    def register(self, unit, name, direction, **kw) -> Register:
        committee = unit.committees.order_by("id").first() if kw.pop("for_committee", False) else None
        return services.register_create(
            actor=self.actor, unit=unit, name=name, direction=direction, committee=committee, **kw
        )

    def receive(self, register: Register, doc: dict, **kw) -> Document:
        self.count += 1
        return services.document_register_incoming(
            actor=self.actor,
            register=register,
            doc_type=self.types[doc["type"]],
            number_text=doc["number_text"],
            signing_date=doc["signing_date"],
            issuer_name=doc["issuer_name"],
            summary=doc["summary"],
            **kw,
        )

    def issue(self, register: Register, type_name: str, summary: str, signer: str, *, recipients=(), **kw):
        name, title, authority = SIGNERS[signer]
        self.count += 1
        doc = services.document_create_draft(
            actor=self.actor,
            register=register,
            doc_type=self.types[type_name],
            summary=summary,
            recipients=recipients,
            **kw,
        )
        services.document_sign(
            actor=self.actor,
            document=doc,
            expected_version=doc.version,
            signer_name=name,
            signer_title=title,
            signing_authority=authority,
        )
        return services.document_issue(actor=self.actor, document=doc, expected_version=doc.version)

    def link(self, source, target, kind="implements"):
        services.reference_add(actor=self.actor, source=source, target=target, kind=kind)


def seed_documents(actor) -> int:
    """Create the demo registers and documents (one transaction); returns how many documents were added
    (incoming entries created by internal issues not counted). Skips units the demo tree does not have."""
    services.document_types_ensure()
    province = _unit("Tỉnh Hòa Bình")
    lacson = _unit("Huyện Lạc Sơn")
    maichau = _unit("Huyện Mai Châu")
    vubinh = _unit("Xã Vũ Bình")
    ministry = _unit("Bộ Công Thương")
    bloc = _unit("Đảng bộ Khối các cơ quan Trung ương")
    if not all((province, lacson, maichau, vubinh, ministry, bloc)):
        return 0
    s = _Seeder(actor)
    with transaction.atomic():
        # Registers: Party registers for the steering committees (numbered per term), State ones for the
        # People's Committee and the ministry (numbered per year).
        prov_in = s.register(province, "Sổ văn bản đến — tỉnh Hòa Bình", "incoming")
        prov_bcd = s.register(
            province,
            "Sổ văn bản đi — Ban Chỉ đạo 35 tỉnh",
            "outgoing",
            system=Register.System.PARTY,
            series=Register.Series.PER_TYPE,
            issuer_code="BCĐ",
            term_start=datetime.date(2020, 10, 16),
            for_committee=True,
        )
        prov_ubnd = s.register(
            province,
            "Sổ văn bản đi — UBND tỉnh",
            "outgoing",
            issuer_code="UBND",
            series=Register.Series.SINGLE,
        )
        lacson_bcd = s.register(
            lacson,
            "Sổ văn bản đi — Ban Chỉ đạo 35 huyện Lạc Sơn",
            "outgoing",
            system=Register.System.PARTY,
            series=Register.Series.PER_TYPE,
            issuer_code="BCĐ",
            term_start=datetime.date(2020, 7, 24),
            for_committee=True,
        )
        s.register(lacson, "Sổ văn bản đến — huyện Lạc Sơn", "incoming")
        vubinh_out = s.register(vubinh, "Sổ văn bản đi — xã Vũ Bình", "outgoing", issuer_code="BCĐ")
        ministry_in = s.register(ministry, "Sổ văn bản đến — Bộ Công Thương", "incoming")
        ministry_out = s.register(
            ministry,
            "Sổ văn bản đi — Bộ Công Thương",
            "outgoing",
            issuer_code="BCT",
            series=Register.Series.PER_TYPE,
        )
        bloc_in = s.register(bloc, "Sổ văn bản đến — Đảng ủy Khối", "incoming")
        bloc_out = s.register(
            bloc,
            "Sổ văn bản đi — Đảng ủy Khối",
            "outgoing",
            system=Register.System.PARTY,
            series=Register.Series.PER_TYPE,
            issuer_code="ĐUK",
            term_start=datetime.date(2020, 9, 10),
        )

        # Real documents received from the centre.
        nq35_prov = s.receive(prov_in, NQ35)
        nd30_prov = s.receive(prov_in, ND30)
        s.receive(prov_in, HD36)
        nq35_bct = s.receive(ministry_in, NQ35)
        nd30_bct = s.receive(ministry_in, ND30)
        nq35_bloc = s.receive(bloc_in, NQ35)
        hd36_bloc = s.receive(bloc_in, HD36)
        services.document_route(
            actor=actor,
            document=nd30_prov,
            to_unit=province,
            instruction="Văn phòng UBND tỉnh nghiên cứu, tham mưu triển khai thực hiện.",
        )

        # Province → district → commune, each plan implementing the one above.
        prov_plan = s.issue(
            prov_bcd,
            "Kế hoạch",
            "Kế hoạch thực hiện Nghị quyết số 35-NQ/TW ngày 22/10/2018 của Bộ Chính trị về tăng cường bảo vệ "
            "nền tảng tư tưởng của Đảng trên địa bàn tỉnh",
            "province",
            recipients=[lacson, maichau],
            place="Hòa Bình",
            body_text=(
                "Căn cứ Nghị quyết số 35-NQ/TW ngày 22/10/2018 của Bộ Chính trị; thực hiện Hướng dẫn số "
                "36-HD/VPTW ngày 03/4/2018 của Văn phòng Trung ương Đảng, Ban Chỉ đạo 35 tỉnh xây dựng kế "
                "hoạch như sau: …"
            ),
            external_recipients="Ban Chỉ đạo 35 Trung ương (để báo cáo)\nCác đồng chí Ủy viên Ban Chỉ đạo",
        )
        s.link(prov_plan, nq35_prov)
        prov_letter = s.issue(
            prov_ubnd,
            "Công văn",
            "V/v triển khai thực hiện Nghị định số 30/2020/NĐ-CP về công tác văn thư",
            "province_ubnd",
            recipients=[lacson, maichau],
            place="Hòa Bình",
        )
        s.link(prov_letter, nd30_prov, "guides")
        district_plan = s.issue(
            lacson_bcd,
            "Kế hoạch",
            "Kế hoạch thực hiện Kế hoạch của Ban Chỉ đạo 35 tỉnh về bảo vệ nền tảng tư tưởng của Đảng trên "
            "địa bàn huyện Lạc Sơn",
            "district",
            recipients=[vubinh],
            place="Lạc Sơn",
            body_text=f"Thực hiện Kế hoạch số {prov_plan.number_text} của Ban Chỉ đạo 35 tỉnh Hòa Bình, …",
        )
        s.link(district_plan, prov_plan)
        district_report = s.issue(
            lacson_bcd,
            "Báo cáo",
            "Báo cáo kết quả 6 tháng đầu năm thực hiện nhiệm vụ bảo vệ nền tảng tư tưởng của Đảng",
            "district",
            recipients=[province],
            place="Lạc Sơn",
        )
        s.link(district_report, district_plan, "based_on")
        commune_plan = s.issue(
            vubinh_out,
            "Kế hoạch",
            "Kế hoạch học tập, quán triệt Nghị quyết số 35-NQ/TW tại xã Vũ Bình",
            "commune",
            recipients=[lacson],
            place="Vũ Bình",
        )
        s.link(commune_plan, district_plan)

        # The ministry and the Party bloc.
        bct_plan = s.issue(
            ministry_out,
            "Kế hoạch",
            "Kế hoạch của Ban Chỉ đạo 35 Bộ Công Thương thực hiện Nghị quyết số 35-NQ/TW của Bộ Chính trị",
            "ministry",
            place="Hà Nội",
        )
        s.link(bct_plan, nq35_bct)
        bct_decision = s.issue(
            ministry_out,
            "Quyết định",
            "Quyết định ban hành Quy chế công tác văn thư của Bộ Công Thương",
            "ministry",
            place="Hà Nội",
        )
        s.link(bct_decision, nd30_bct, "based_on")
        bloc_plan = s.issue(
            bloc_out,
            "Kế hoạch",
            "Kế hoạch thực hiện Nghị quyết số 35-NQ/TW trong Đảng bộ Khối các cơ quan Trung ương",
            "bloc",
            place="Hà Nội",
        )
        s.link(bloc_plan, nq35_bloc)
        bloc_guide = s.issue(
            bloc_out,
            "Hướng dẫn",
            "Hướng dẫn thể thức văn bản của các cấp ủy trực thuộc Đảng bộ Khối",
            "bloc",
            place="Hà Nội",
        )
        s.link(bloc_guide, hd36_bloc, "based_on")

        # Work in progress: a draft and a signed document waiting for its number.
        services.document_create_draft(
            actor=actor,
            register=prov_bcd,
            doc_type=s.types["Báo cáo"],
            summary="Báo cáo sơ kết công tác bảo vệ nền tảng tư tưởng của Đảng (dự thảo)",
            body_text=f"Căn cứ Kế hoạch số {prov_plan.number_text} và Nghị quyết số 35-NQ/TW, …",
        )
        s.count += 1
    return s.count
