"""Generated Vietnamese text for documents and tasks: summaries (trích yếu), body text, task titles and results,
built from phrase lists of ordinary committee work (studying resolutions, clerical work, reports, training,
inspections of how rules are applied, administrative reform, digital transformation, disaster prevention…).

Spelling varies as it does in real registers: about a third of the texts use the new tone placement (hoà,
thuỷ, uỷ ban), some mix both styles in one text, and some arrive decomposed (NFD, as pasted from certain word
processors). Everything is then normalised to NFC exactly as the services do at their boundary, so the stored
rows are what users would have produced through the forms.
"""

from __future__ import annotations

from string import Formatter

from steerdesk.core.text import nfc, nfc_keep_lines

from .names import new_style, nfd

# Real documents that committees implement (numbers, dates and issuers are public record).
SOURCES = [
    "Nghị quyết số 35-NQ/TW ngày 22/10/2018 của Bộ Chính trị",
    "Chỉ thị số 05-CT/TW ngày 15/5/2016 của Bộ Chính trị về đẩy mạnh học tập và làm theo tư tưởng, đạo đức, "
    "phong cách Hồ Chí Minh",
    "Nghị định số 30/2020/NĐ-CP ngày 05/3/2020 của Chính phủ về công tác văn thư",
    "Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị về đột phá phát triển khoa học, công nghệ, đổi mới "
    "sáng tạo và chuyển đổi số quốc gia",
    "Luật Lưu trữ số 33/2024/QH15",
    "Nghị định số 45/2020/NĐ-CP ngày 08/4/2020 của Chính phủ về thực hiện thủ tục hành chính trên môi trường "
    "điện tử",
    "Quy định số 08-QĐi/TW ngày 25/10/2018 của Ban Chấp hành Trung ương về trách nhiệm nêu gương của cán bộ, "
    "đảng viên",
    "Hướng dẫn số 36-HD/VPTW ngày 03/4/2018 của Văn phòng Trung ương Đảng về thể thức và kỹ thuật trình bày "
    "văn bản của Đảng",
]
TOPICS = [
    "công tác cải cách hành chính",
    "công tác chuyển đổi số",
    "công tác văn thư, lưu trữ",
    "phong trào thi đua yêu nước",
    "công tác phòng, chống thiên tai và tìm kiếm cứu nạn",
    "Chương trình mục tiêu quốc gia xây dựng nông thôn mới",
    "công tác bảo vệ môi trường",
    "công tác phổ biến, giáo dục pháp luật",
    "công tác bảo đảm an toàn hồ, đập thủy lợi",
    "công tác chăm sóc sức khỏe nhân dân",
    "công tác đào tạo, bồi dưỡng cán bộ, công chức",
    "việc thực hiện quy chế dân chủ ở cơ sở",
    "công tác dân vận của hệ thống chính trị",
    "kế hoạch phát triển kinh tế - xã hội",
    "dự toán ngân sách nhà nước",
    "công tác tiếp công dân",
    "công tác phòng cháy, chữa cháy",
    "chương trình giảm nghèo bền vững",
    "hoạt động của Tổ giúp việc Ban Chỉ đạo",
    "việc ứng dụng công nghệ thông tin trong hoạt động của cơ quan",
    "công tác bảo vệ bí mật nhà nước",
    "công tác thi đua, khen thưởng",
    "công tác hòa giải ở cơ sở",
    "công tác thủy lợi và phòng, chống lụt bão",
    "phát triển văn hóa đọc trong cộng đồng",
    "công tác xã hội hóa giáo dục",
    "Quy chế làm việc của Ban Chỉ đạo",
    "công tác kiểm tra, giám sát của cấp ủy",
    "việc lập hồ sơ điện tử và nộp lưu vào Lưu trữ cơ quan",
    "công tác quản lý, sử dụng chữ ký số",
]
ACTIONS = [
    "triển khai thực hiện",
    "tổ chức học tập, quán triệt",
    "tuyên truyền, phổ biến",
    "kiểm tra việc thực hiện",
    "sơ kết việc thực hiện",
    "tổng kết việc thực hiện",
    "tập huấn nghiệp vụ về",
    "rà soát, đánh giá việc thực hiện",
    "nâng cao hiệu quả thực hiện",
    "đẩy mạnh thực hiện",
]
PERIODS = ["6 tháng đầu năm {y}", "năm {y}", "quý {q} năm {y}", "9 tháng năm {y}", "giai đoạn 2021 - 2025"]
DECISIONS = [
    "Về việc kiện toàn {c}",
    "Ban hành Quy chế làm việc của {c}",
    "Về việc thành lập Tổ giúp việc {c}",
    "Về việc phân công nhiệm vụ các thành viên {c}",
    "Về việc khen thưởng các tập thể, cá nhân có thành tích xuất sắc trong {t}",
    "Ban hành Quy chế công tác văn thư, lưu trữ của {u}",
    "Phê duyệt danh mục hồ sơ năm {y} của {u}",
    "Về việc cử cán bộ tham dự lớp bồi dưỡng về {t}",
]
NOTICES = [
    "Kết luận của đồng chí Trưởng Ban Chỉ đạo tại hội nghị sơ kết {p}",
    "Kết luận của Thường trực Ban Chỉ đạo tại phiên họp thường kỳ {p}",
    "Phân công nhiệm vụ các thành viên {c}",
    "Lịch làm việc của Thường trực {c} tháng {m}/{y}",
    "Về việc tổ chức hội nghị trực tuyến về {t}",
]
INVITES = [
    "Dự hội nghị sơ kết {p} về {t}",
    "Dự hội nghị tập huấn nghiệp vụ về {t}",
    "Dự phiên họp thường kỳ của {c}",
    "Dự hội nghị tổng kết {t} năm {y}",
]
LETTERS = [
    "V/v {a} {t}",
    "V/v báo cáo kết quả {a} {t} {p}",
    "V/v đề nghị cung cấp số liệu về {t}",
    "V/v góp ý dự thảo Kế hoạch {a} {t}",
    "V/v đôn đốc thực hiện {s}",
    "V/v cử cán bộ tham gia Tổ giúp việc {c}",
]
REPORTS = [
    "Kết quả {a} {t} {p}",
    "Báo cáo sơ kết {p} thực hiện {s}",
    "Tình hình thực hiện {t} {p}",
    "Kết quả hoạt động của {c} {p}",
]
SUBMISSIONS = ["Về việc đề nghị phê duyệt Kế hoạch {a} {t}", "Về việc đề nghị kiện toàn {c}"]
GUIDES = ["Hướng dẫn {a} {s}", "Thực hiện {t} năm {y}", "Hướng dẫn xây dựng báo cáo {p} về {t}"]
PROGRAMMES = ["Chương trình công tác năm {y} của {c}", "Chương trình hành động thực hiện {s}"]
MINUTES = ["Biên bản phiên họp {c} {p}", "Biên bản kiểm tra việc thực hiện {t}"]
RESOLUTIONS = ["Về {a} {t}", "Về lãnh đạo thực hiện {s}"]
CONCLUSIONS = ["Kết luận về {a} {t}", "Kết luận về việc tiếp tục thực hiện {s}"]
RULES = ["Quy định về {t}", "Quy định về chế độ thông tin, báo cáo của {c}"]
NORMATIVE = [
    "Ban hành Quy định quản lý {t} trên địa bàn {u}",
    "Quy định chi tiết một số điều về {t}",
    "Sửa đổi, bổ sung một số điều của Quy định về {t}",
]
PLANS = ["Kế hoạch {a} {s} {scope}", "{A} {t} {scope} năm {y}", "Kế hoạch {a} {t} {p}"]

BY_TYPE = {
    "Kế hoạch": PLANS,
    "Công văn": LETTERS,
    "Báo cáo": REPORTS,
    "Quyết định": DECISIONS,
    "Thông báo": NOTICES,
    "Giấy mời": INVITES,
    "Tờ trình": SUBMISSIONS,
    "Hướng dẫn": GUIDES,
    "Chương trình": PROGRAMMES,
    "Biên bản": MINUTES,
    "Nghị quyết": RESOLUTIONS,
    "Kết luận": CONCLUSIONS,
    "Quy định": RULES,
    "Thông tư": NORMATIVE,
    "Quyết định (quy phạm pháp luật)": NORMATIVE,
}

BODY = [
    "Căn cứ {s};",
    "Thực hiện {s}, {u} xây dựng kế hoạch như sau:",
    "Đề nghị các cơ quan, đơn vị nghiêm túc triển khai thực hiện, báo cáo kết quả về {c} trước ngày {d}.",
    "Giao Văn phòng chủ trì, phối hợp với các đơn vị liên quan theo dõi, đôn đốc việc thực hiện.",
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các đơn vị phản ánh về Thường trực Ban Chỉ đạo để "
    "tổng hợp, báo cáo.",
    "Kinh phí thực hiện được bố trí trong dự toán ngân sách năm {y} của đơn vị.",
    "Việc lập hồ sơ, quản lý văn bản điện tử thực hiện theo Nghị định số 30/2020/NĐ-CP.",
    "Các đơn vị tổ chức quán triệt đến toàn thể cán bộ, công chức, viên chức và người lao động.",
    "Tăng cường ứng dụng công nghệ thông tin, sử dụng chữ ký số trong trao đổi văn bản.",
    "Đẩy mạnh công tác hòa giải ở cơ sở, bảo đảm an toàn hồ chứa thủy lợi trong mùa mưa lũ.",
]

TASK_TITLES = [
    "{A} {s}",
    "{A} {t}",
    "Xây dựng báo cáo {p} về {t}",
    "Tổ chức hội nghị sơ kết {t}",
    "Kiểm tra việc thực hiện Quy chế làm việc của Ban Chỉ đạo tại các đơn vị",
    "Rà soát, kiện toàn thành viên Ban Chỉ đạo và Tổ giúp việc",
    "Tập huấn nghiệp vụ công tác văn thư theo Nghị định số 30/2020/NĐ-CP",
    "Số hóa hồ sơ, tài liệu lưu trữ của cơ quan",
    "Biên soạn tài liệu tuyên truyền về {t}",
    "Tổ chức cuộc thi tìm hiểu về {t}",
]
TASK_DESCRIPTIONS = [
    "Mỗi đơn vị tổ chức ít nhất một hội nghị, báo cáo kết quả về Thường trực Ban Chỉ đạo.",
    "Thực hiện theo kế hoạch đã được phê duyệt; lồng ghép với các nhiệm vụ chuyên môn của đơn vị.",
    "Phối hợp chặt chẽ với các cơ quan liên quan; bảo đảm tiến độ và chất lượng.",
    "",
]
RESULTS = [
    "Đã tổ chức hội nghị quán triệt với {n} người tham dự; báo cáo kết quả đã gửi Thường trực Ban Chỉ đạo.",
    "Đã hoàn thành; báo cáo số {n}/BC-UBND đã gửi cấp trên.",
    "Đã rà soát {n} hồ sơ, cập nhật đầy đủ vào hệ thống.",
    "Đã tổ chức tập huấn cho {n} cán bộ, công chức.",
    "Hoàn thành đúng tiến độ; tài liệu kiểm chứng lưu tại Văn phòng.",
]


class Speller:
    """Turns template text into stored text with the varied spellings of real registers (see module doc)."""

    def __init__(self, rng):
        self.rng = rng

    def style(self) -> str:
        r = self.rng.random()
        if r < 0.30:
            return "new"
        if r < 0.40:
            return "mixed"
        if r < 0.45:
            return "nfd"
        return "old"

    def apply(self, text: str, style: str, *, part: int = 0, multiline: bool = False) -> str:
        if style == "new" or (style == "mixed" and part % 2):
            text = new_style(text)
        elif style == "nfd":
            text = nfd(text)
        return nfc_keep_lines(text) if multiline else nfc(text)


_FIELDS: dict[str, set[str]] = {}


def fill(rng, template: str, ctx: dict) -> str:
    """A template with {a} action, {A} capitalised action, {t} topic, {s} source, {p} period, {c} committee,
    {u} unit, {scope}, {y} year, {q} quarter, {m} month, {d} date, {n} a number. Only the fields the template
    uses are drawn."""
    fields = _FIELDS.get(template)
    if fields is None:
        fields = _FIELDS[template] = {
            name for _text, name, _spec, _conv in Formatter().parse(template) if name
        }
    values = {}
    if fields & {"a", "A"}:
        action = rng.choice(ACTIONS)
        values["a"] = action
        values["A"] = action[:1].upper() + action[1:]
    if "t" in fields:
        values["t"] = rng.choice(TOPICS)
    if "s" in fields:
        values["s"] = rng.choice(SOURCES)
    if "p" in fields:
        values["p"] = rng.choice(PERIODS).format(y=ctx["y"], q=rng.randint(1, 4))
    if "q" in fields:
        values["q"] = rng.randint(1, 4)
    if "m" in fields:
        values["m"] = rng.randint(1, 12)
    if "n" in fields:
        values["n"] = rng.randint(12, 480)
    for key in ("c", "u", "scope", "y", "d"):
        if key in fields:
            values[key] = ctx.get(key, "")
    text = template.format(**values)
    return text[:1].upper() + text[1:]
