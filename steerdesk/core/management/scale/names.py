"""Names for the large demo scales: real public bodies (provinces, ministries, corporations and their companies,
the real districts of Hòa Bình), place-name syllables for the generated districts and communes, and the
spelling helpers (old/new tone placement, NFD input) that make the text as varied as real registers.

People are fictional: their names come from `core.management.demo`'s lists plus a few given names that are
written in both tone styles (Hòa/Hoà, Thủy/Thuỷ).
"""

from __future__ import annotations

import re
import unicodedata

from steerdesk.core.text import fold

# The 63 provinces and centrally-run cities (before the 2025 mergers): (name, short name, kind word).
CITIES = ["Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ"]
PROVINCES = (
    "Hà Giang|Cao Bằng|Bắc Kạn|Tuyên Quang|Lào Cai|Điện Biên|Lai Châu|Sơn La|Yên Bái|Hòa Bình|Thái Nguyên|"
    "Lạng Sơn|Quảng Ninh|Bắc Giang|Phú Thọ|Vĩnh Phúc|Bắc Ninh|Hải Dương|Hưng Yên|Thái Bình|Hà Nam|Nam Định|"
    "Ninh Bình|Thanh Hóa|Nghệ An|Hà Tĩnh|Quảng Bình|Quảng Trị|Thừa Thiên Huế|Quảng Nam|Quảng Ngãi|Bình Định|"
    "Phú Yên|Khánh Hòa|Ninh Thuận|Bình Thuận|Kon Tum|Gia Lai|Đắk Lắk|Đắk Nông|Lâm Đồng|Bình Phước|Tây Ninh|"
    "Bình Dương|Đồng Nai|Bà Rịa - Vũng Tàu|Long An|Tiền Giang|Bến Tre|Trà Vinh|Vĩnh Long|Đồng Tháp|An Giang|"
    "Kiên Giang|Hậu Giang|Sóc Trăng|Bạc Liêu|Cà Mau"
).split("|")
ALL_PROVINCES = [(f"Thành phố {n}", n, "thành phố") for n in CITIES] + [
    (f"Tỉnh {n}", n, "tỉnh") for n in PROVINCES
]
if len(ALL_PROVINCES) != 63:  # a slip in the lists above (an assert would vanish under python -O)
    raise ValueError(f"63 provinces and cities expected, not {len(ALL_PROVINCES)}")

# The real districts of Hòa Bình (Lạc Sơn and Mai Châu first: the demo logins live there).
HOA_BINH_DISTRICTS = [
    ("Huyện Lạc Sơn", "Lạc Sơn", "huyện"),
    ("Huyện Mai Châu", "Mai Châu", "huyện"),
    ("Thành phố Hòa Bình", "Hòa Bình", "thành phố"),
    ("Huyện Cao Phong", "Cao Phong", "huyện"),
    ("Huyện Lương Sơn", "Lương Sơn", "huyện"),
    ("Huyện Kim Bôi", "Kim Bôi", "huyện"),
    ("Huyện Đà Bắc", "Đà Bắc", "huyện"),
    ("Huyện Tân Lạc", "Tân Lạc", "huyện"),
    ("Huyện Lạc Thủy", "Lạc Thủy", "huyện"),
    ("Huyện Yên Thủy", "Yên Thủy", "huyện"),
]
LAC_SON_COMMUNES = ["Thị trấn Vụ Bản", "Xã Vũ Bình", "Xã Ân Nghĩa", "Xã Yên Nghiệp"]

# Provincial departments (sở, ban ngành): (name, code used in document numbers).
PROVINCE_DEPARTMENTS = [
    ("Văn phòng UBND tỉnh", "VP"),
    ("Sở Nội vụ", "SNV"),
    ("Sở Tư pháp", "STP"),
    ("Sở Thông tin và Truyền thông", "STTTT"),
    ("Sở Tài chính", "STC"),
    ("Sở Kế hoạch và Đầu tư", "SKHĐT"),
    ("Sở Giáo dục và Đào tạo", "SGDĐT"),
    ("Sở Y tế", "SYT"),
    ("Sở Văn hóa, Thể thao và Du lịch", "SVHTTDL"),
    ("Sở Công Thương", "SCT"),
    ("Sở Nông nghiệp và Phát triển nông thôn", "SNNPTNT"),
    ("Sở Tài nguyên và Môi trường", "STNMT"),
    ("Sở Xây dựng", "SXD"),
    ("Sở Giao thông vận tải", "SGTVT"),
    ("Sở Lao động - Thương binh và Xã hội", "SLĐTBXH"),
    ("Sở Khoa học và Công nghệ", "SKHCN"),
    ("Thanh tra tỉnh", "TTr"),
    ("Ban Dân tộc", "BDT"),
    ("Sở Ngoại vụ", "SNgV"),
]

# Ministries and ministerial bodies: (name, code, short name). Bộ Công Thương first (demo logins).
MINISTRIES = [
    ("Bộ Công Thương", "BCT", "Bộ Công Thương"),
    ("Bộ Thông tin và Truyền thông", "BTTTT", "Bộ TT&TT"),
    ("Bộ Giao thông vận tải", "BGTVT", "Bộ GTVT"),
    ("Bộ Nông nghiệp và Phát triển nông thôn", "BNNPTNT", "Bộ NN&PTNT"),
    ("Bộ Tư pháp", "BTP", "Bộ Tư pháp"),
    ("Bộ Nội vụ", "BNV", "Bộ Nội vụ"),
    ("Bộ Tài chính", "BTC", "Bộ Tài chính"),
    ("Bộ Kế hoạch và Đầu tư", "BKHĐT", "Bộ KH&ĐT"),
    ("Bộ Xây dựng", "BXD", "Bộ Xây dựng"),
    ("Bộ Tài nguyên và Môi trường", "BTNMT", "Bộ TN&MT"),
    ("Bộ Lao động - Thương binh và Xã hội", "BLĐTBXH", "Bộ LĐ-TB&XH"),
    ("Bộ Văn hóa, Thể thao và Du lịch", "BVHTTDL", "Bộ VHTTDL"),
    ("Bộ Khoa học và Công nghệ", "BKHCN", "Bộ KH&CN"),
    ("Bộ Giáo dục và Đào tạo", "BGDĐT", "Bộ GD&ĐT"),
    ("Bộ Y tế", "BYT", "Bộ Y tế"),
    ("Bộ Ngoại giao", "BNG", "Bộ Ngoại giao"),
    ("Ủy ban Dân tộc", "UBDT", "Ủy ban Dân tộc"),
    ("Ngân hàng Nhà nước Việt Nam", "NHNN", "Ngân hàng Nhà nước"),
    ("Thanh tra Chính phủ", "TTCP", "Thanh tra Chính phủ"),
    ("Văn phòng Chính phủ", "VPCP", "Văn phòng Chính phủ"),
]
MINISTRY_DEPARTMENTS = [
    ("Văn phòng Bộ", "VP"),
    ("Vụ Tổ chức cán bộ", "TCCB"),
    ("Vụ Pháp chế", "PC"),
    ("Thanh tra Bộ", "TTr"),
    ("Vụ Kế hoạch - Tài chính", "KHTC"),
]

# State corporations under their ministry: (ministry code, name, code, short name, [(company, code)],
# subsidiary pattern). A subsidiary pattern `{p}` takes a province name; `{i}` the province's initials.
CORPORATIONS = [
    (
        "BCT",
        "Tập đoàn Điện lực Việt Nam",
        "EVN",
        "EVN",
        [
            ("Tổng công ty Điện lực miền Bắc", "EVNNPC"),
            ("Tổng công ty Truyền tải điện Quốc gia", "EVNNPT"),
            ("Tổng công ty Điện lực miền Trung", "EVNCPC"),
            ("Tổng công ty Điện lực miền Nam", "EVNSPC"),
            ("Tổng công ty Điện lực thành phố Hà Nội", "EVNHANOI"),
            ("Tổng công ty Điện lực Thành phố Hồ Chí Minh", "EVNHCMC"),
            ("Tổng công ty Phát điện 1", "EVNGENCO1"),
            ("Tổng công ty Phát điện 2", "EVNGENCO2"),
            ("Tổng công ty Phát điện 3", "EVNGENCO3"),
        ],
        ("Công ty Điện lực {p}", "PC{i}"),
    ),
    (
        "BCT",
        "Tập đoàn Công nghiệp - Năng lượng Quốc gia Việt Nam",
        "PVN",
        "Petrovietnam",
        [
            ("Tổng công ty Thăm dò Khai thác Dầu khí", "PVEP"),
            ("Tổng công ty Khí Việt Nam", "PVGAS"),
            ("Tổng công ty Điện lực Dầu khí Việt Nam", "PVPOWER"),
            ("Tổng công ty Dầu Việt Nam", "PVOIL"),
            ("Tổng công ty Phân bón và Hóa chất Dầu khí", "PVFCCO"),
        ],
        ("Chi nhánh {p}", "CN{i}"),
    ),
    (
        "BCT",
        "Tập đoàn Công nghiệp Than - Khoáng sản Việt Nam",
        "TKV",
        "Vinacomin",
        [
            ("Tổng công ty Khoáng sản - TKV", "VIMICO"),
            ("Tổng công ty Điện lực - TKV", "TKVPOWER"),
            ("Công ty Than Hà Lầm - TKV", "THL"),
            ("Công ty Than Mạo Khê - TKV", "TMK"),
            ("Công ty Than Vàng Danh - TKV", "TVD"),
        ],
        ("Chi nhánh {p}", "CN{i}"),
    ),
    (
        "BCT",
        "Tập đoàn Hóa chất Việt Nam",
        "HCVN",
        "Vinachem",
        [
            ("Công ty Supe Phốt phát và Hóa chất Lâm Thao", "SPLT"),
            ("Công ty Phân đạm và Hóa chất Hà Bắc", "ĐHB"),
            ("Công ty Apatit Việt Nam", "APATIT"),
        ],
        ("Chi nhánh {p}", "CN{i}"),
    ),
    (
        "BTTTT",
        "Tập đoàn Bưu chính Viễn thông Việt Nam",
        "VNPT",
        "VNPT",
        [
            ("Tổng công ty Dịch vụ Viễn thông", "VNPTVNP"),
            ("Tổng công ty Truyền thông", "VNPTMEDIA"),
            ("Tổng công ty Hạ tầng mạng", "VNPTNET"),
        ],
        ("Viễn thông {p}", "VNPT{i}"),
    ),
    (
        "BTTTT",
        "Tổng công ty Bưu điện Việt Nam",
        "BĐVN",
        "Vietnam Post",
        [("Tổng công ty Chuyển phát nhanh Bưu điện", "EMS"), ("Công ty Tem Việt Nam", "TEM")],
        ("Bưu điện tỉnh {p}", "BĐ{i}"),
    ),
    (
        "BGTVT",
        "Tổng công ty Đường sắt Việt Nam",
        "ĐSVN",
        "VNR",
        [
            ("Công ty Vận tải hành khách Đường sắt Hà Nội", "VTHKHN"),
            ("Công ty Vận tải hành khách Đường sắt Sài Gòn", "VTHKSG"),
        ],
        ("Chi nhánh {p}", "CN{i}"),
    ),
    (
        "BGTVT",
        "Tổng công ty Hàng không Việt Nam",
        "VNA",
        "Vietnam Airlines",
        [("Công ty Bay dịch vụ Hàng không", "VASCO"), ("Công ty Kỹ thuật máy bay", "VAECO")],
        ("Chi nhánh {p}", "CN{i}"),
    ),
    (
        "BNNPTNT",
        "Tập đoàn Công nghiệp Cao su Việt Nam",
        "CSVN",
        "VRG",
        [
            ("Công ty Cao su Dầu Tiếng", "CSDT"),
            ("Công ty Cao su Phú Riềng", "CSPR"),
            ("Công ty Cao su Đồng Nai", "CSĐN"),
        ],
        ("Nông trường {p}", "NT{i}"),
    ),
]

# Syllables of generated place names (common in real Vietnamese district and commune names).
PLACE_FIRST = (
    "Tân Yên An Hòa Phú Đông Tây Nam Bắc Vĩnh Thạch Lạc Kim Thanh Hưng Quảng Đức Thái Bình Long Mỹ Trung Hải "
    "Sơn Hồng Ngọc Xuân Thủy Hiệp Phúc Tiên Cẩm Gia Minh Đại Phong Châu Hà Lâm Thiệu Hương Nghĩa Thọ Cát"
).split()
PLACE_SECOND = (
    "Lập Phong Thịnh Lợi Hòa Bình Sơn Hưng Thành Tiến Phú Lộc Xuân Khánh Thủy Mỹ Hải Long An Định Nghĩa Trung "
    "Thuận Quang Hiệp Tân Đông Lạc Cường Vinh Phước Hạnh Lâm Tường Điền Yên Hà Linh Trạch Thái"
).split()


def place_name(rng, used: set[str]) -> str:
    """A generated two-syllable place name not in `used` (both syllables different)."""
    for _attempt in range(200):
        first, second = rng.choice(PLACE_FIRST), rng.choice(PLACE_SECOND)
        if first == second:
            continue
        name = f"{first} {second}"
        if name not in used:
            used.add(name)
            return name
    name = f"{rng.choice(PLACE_FIRST)} {rng.choice(PLACE_SECOND)} {len(used)}"
    used.add(name)
    return name


def initials(name: str) -> str:
    """`Hòa Bình` → `HB`, `Bà Rịa - Vũng Tàu` → `BRVT` (for generated issuer codes)."""
    return "".join(w[0] for w in fold(name).upper().split() if w[0].isalnum())


def slug(text: str) -> str:
    """`Hòa Bình` → `hoabinh`, `ĐUK` → `duk` (login names)."""
    return "".join(ch for ch in fold(text) if ch.isalnum())


# --- People ---------------------------------------------------------------------------------------------------
# Given names written in both tone styles, as registers really hold them.
EXTRA_GIVEN = {
    "m": "Hòa Hoà Thụy Thuỵ Khoa Toàn Hoàng Lộc Phúc Tài Bảo Thịnh Quý Khải Nghĩa Thuận".split(),
    "f": "Thủy Thuỷ Thúy Thuý Hòa Hoà Loan Ngân Trinh Thoa Tuyết Diệp Nhàn Châm Liên Xuân".split(),
}

# --- Spelling -------------------------------------------------------------------------------------------------
# Old-style tone placement (hòa, thủy) → new style (hoà, thuỷ): in a final oa/oe/uy the mark moves to the
# second vowel. Both styles are correct and both occur, often in one document (VIETNAMESE.md §1).
_OLD_TO_NEW = {}
for _old, _new in (
    ("òa", "oà"),
    ("óa", "oá"),
    ("ỏa", "oả"),
    ("õa", "oã"),
    ("ọa", "oạ"),
    ("òe", "oè"),
    ("óe", "oé"),
    ("ỏe", "oẻ"),
    ("õe", "oẽ"),
    ("ọe", "oẹ"),
    ("ùy", "uỳ"),
    ("úy", "uý"),
    ("ủy", "uỷ"),
    ("ũy", "uỹ"),
    ("ụy", "uỵ"),
):
    _OLD_TO_NEW[_old] = _new
    _OLD_TO_NEW[_old[0].upper() + _old[1]] = _new[0].upper() + _new[1]
_NEW_STYLE_RE = re.compile("(" + "|".join(_OLD_TO_NEW) + r")(?![^\W\d_])")


def new_style(text: str) -> str:
    """The same text with the new tone placement: `Ủy ban nhân dân tỉnh Hòa Bình` → `Uỷ ban … Hoà Bình`."""
    return _NEW_STYLE_RE.sub(lambda m: _OLD_TO_NEW[m.group(1)], text)


def nfd(text: str) -> str:
    """Decomposed form, as text pasted from some word processors arrives (normalised back at the boundary)."""
    return unicodedata.normalize("NFD", text)
