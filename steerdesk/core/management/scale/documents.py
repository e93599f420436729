"""Registers, documents, recipients and numbering counters of a generated scale.

Every unit has an incoming register; units that number State documents (People's Committees, departments,
ministries, companies) an outgoing State register numbered per year (`12/QĐ-UBND`, công văn `125/UBND-VP`,
normative `15/2025/QĐ-UBND`); committees and Party bodies a Party register numbered per type per term
(`10-KH/BCĐ`, `35-NQ/TW`-style). Numbers are formatted with `documents.numbering` exactly as
`documents.services.format_number` does and run consecutively in date order within each register, period and
series, so the database's uniqueness constraints hold; secret documents of State registers keep their own series
(`secret`). Outgoing documents sent down the tree (plans, guidance) or up (reports) are delivered like
`documents.services._deliver` does: a Recipient row and an incoming entry in the recipient's incoming register,
with the next incoming number of the year in order of arrival. `search_tokens` and `number_key` are computed with
`documents.search.document_search_tokens` and `numbering.normalize_number`; the engine index follows (SQLite:
the FTS5 triggers; PostgreSQL: the GIN expression index).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from steerdesk.documents import numbering
from steerdesk.documents.models import Document, DocumentType, NumberCounter, Recipient, Register
from steerdesk.documents.search import MAX_DOCUMENT_TOKENS, text_tokens
from steerdesk.documents.services import document_types_ensure

from . import phrases
from .config import Run
from .tree import PeopleBuilder, Unit

D = Document
STATE_WEIGHTS = {
    "Công văn": 34,
    "Quyết định": 14,
    "Kế hoạch": 10,
    "Báo cáo": 12,
    "Thông báo": 8,
    "Giấy mời": 8,
    "Tờ trình": 5,
    "Hướng dẫn": 3,
    "Chương trình": 2,
    "Biên bản": 2,
}
PARTY_WEIGHTS = {
    "Kế hoạch": 18,
    "Báo cáo": 20,
    "Thông báo": 15,
    "Công văn": 20,
    "Quyết định": 10,
    "Hướng dẫn": 6,
    "Chương trình": 4,
    "Biên bản": 3,
    "Kết luận": 2,
    "Quy định": 1,
}
# Bodies above a People's Committee issue normative documents too.
NORMATIVE_BY_LEVEL = {"province": "Quyết định (quy phạm pháp luật)", "ministry": "Thông tư"}
# Which documents go down to the units below, and which go up, with what probability.
SEND_DOWN = {"Kế hoạch": 0.7, "Hướng dẫn": 0.7, "Thông báo": 0.25, "Công văn": 0.1, "Quyết định": 0.05}
SEND_UP = {"Báo cáo": 0.7}
# Party term starts (the day after the congress closed) by level.
TERM_START = {
    "central": datetime.date(2021, 2, 2),
    "bloc": datetime.date(2020, 9, 11),
    "party": datetime.date(2020, 7, 20),
    "province": datetime.date(2020, 10, 16),
    "district": datetime.date(2020, 7, 24),
    "ministry": datetime.date(2020, 7, 10),
    "corporation": datetime.date(2020, 8, 5),
    "company": datetime.date(2020, 6, 26),
}
# Drafting units in công văn numbers (issuer – drafting unit), by level.
DRAFTING = {"province": ["VP", "KGVX", "KT", "NC"], "district": ["VP", "NV"], "commune": ["VP"]}
# Real documents every top-level body has received (public record).
EXTERNAL = [
    ("Nghị quyết", "35-NQ/TW", datetime.date(2018, 10, 22), "Bộ Chính trị",
     "Về tăng cường bảo vệ nền tảng tư tưởng của Đảng trong tình hình mới"),
    ("Nghị định", "30/2020/NĐ-CP", datetime.date(2020, 3, 5), "Chính phủ", "Về công tác văn thư"),
    ("Hướng dẫn", "36-HD/VPTW", datetime.date(2018, 4, 3), "Văn phòng Trung ương Đảng",
     "Về thể thức và kỹ thuật trình bày văn bản của Đảng"),
    ("Nghị định", "45/2020/NĐ-CP", datetime.date(2020, 4, 8), "Chính phủ",
     "Về thực hiện thủ tục hành chính trên môi trường điện tử"),
    ("Nghị quyết", "57-NQ/TW", datetime.date(2024, 12, 22), "Bộ Chính trị",
     "Về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia"),
    ("Luật", "33/2024/QH15", datetime.date(2024, 6, 21), "Quốc hội", "Luật Lưu trữ"),
]  # fmt: skip
SIGNER_TITLES = {
    "party": [("Trưởng Ban", "TM."), ("Phó Trưởng Ban Thường trực", "KT."), ("Phó Trưởng Ban", "KT.")],
    "state": [("Chủ tịch", ""), ("Phó Chủ tịch", "KT."), ("Chánh Văn phòng", "TL.")],
    "ministry": [("Bộ trưởng", ""), ("Thứ trưởng", "KT."), ("Chánh Văn phòng", "TL.")],
    "company": [("Tổng Giám đốc", ""), ("Phó Tổng Giám đốc", "KT."), ("Chánh Văn phòng", "TL.")],
}
EXTERNAL_LEVELS = ("central", "province", "ministry", "bloc", "corporation")


@dataclass(eq=False)
class Reg:
    id: int
    unit: Unit
    system: str
    issuer: str
    series: str
    term_start: datetime.date | None
    committee: bool
    signers: list[tuple[str, str, str]] = field(default_factory=list)
    counters: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))


_WORD_TOKENS: dict[str, list[str]] = {}


def search_tokens(number_text: str, summary: str, issuer: str, signer: str, body: str, secret: bool) -> str:
    """`documents.search.document_search_tokens` of a document without attachments (the tests assert they are
    equal), memoised per word: folding and tokenising act within words, and the generated text has a small
    vocabulary, so each distinct word is folded once instead of once per document."""
    parts = [number_text, summary, issuer] + ([] if secret else [signer, body])
    seen: dict[str, None] = {}
    for part in parts:
        for word in part.split():
            found = _WORD_TOKENS.get(word)
            if found is None:
                found = _WORD_TOKENS[word] = text_tokens(word)
            for token in found:
                seen[token] = None
    return " ".join(list(seen)[:MAX_DOCUMENT_TOKENS])


class DocumentBuilder:
    def __init__(self, run: Run, units: list[Unit], people: PeopleBuilder):
        self.run = run
        self.rng = run.rng
        self.units = units
        self.people = people
        self.speller = phrases.Speller(run.rng)
        document_types_ensure()
        self.types = {t.name: t for t in DocumentType.objects.all()}
        w = run.writer
        self.register_table = w.table(
            Register,
            ["id", "unit_id", "unit_path", "committee_id", "name", "direction", "system", "period", "series",
             "issuer_code", "term_start"],
        )  # fmt: skip
        self.doc_table = w.table(
            Document,
            ["id", "unit_id", "unit_path", "register_id", "direction", "status", "doc_type_id", "number",
             "number_text", "number_key", "period_key", "series_key", "incoming_number", "incoming_date",
             "summary", "body_text", "issuer_name", "signer_name", "signer_title", "signing_authority",
             "signing_date", "place", "issued_at", "urgency", "confidentiality", "secret_level", "source_id",
             "search_tokens", "created_at", "updated_at"],
        )  # fmt: skip
        self.recipient_table = w.table(
            Recipient, ["id", "document_id", "unit_id", "unit_path", "incoming_id", "opened_at"]
        )
        self.incoming_reg: dict[int, Reg] = {}
        self.outgoing_regs: dict[int, list[Reg]] = defaultdict(list)
        self.deliveries: dict[int, list[tuple]] = defaultdict(list)
        self.plan_documents: dict[tuple[int, int], int] = {}
        self.counts = {"registers": 0, "outgoing": 0, "incoming": 0, "recipients": 0}

    # --- Registers -----------------------------------------------------------------------------------------

    def _register(
        self, u: Unit, name, direction, system, series, issuer, *, committee=False, term=None
    ) -> Reg:
        reg = Reg(self.run.writer.ids.next(Register), u, system, issuer, series, term, committee)
        period = Register.Period.TERM if system == Register.System.PARTY else Register.Period.YEAR
        self.run.writer.add(
            self.register_table,
            (reg.id, u.id, u.path, u.committee_id if committee else None, name, direction, system, period,
             series, issuer, term),
        )  # fmt: skip
        self.counts["registers"] += 1
        return reg

    def registers(self) -> None:
        P, S = Register.System.PARTY, Register.System.STATE
        for u in self.units:
            self.incoming_reg[u.id] = self._register(
                u, f"Sổ văn bản đến — {u.name}", "incoming", S, Register.Series.SINGLE, u.code
            )
            if u.has_committee:
                term = TERM_START[u.level]
                reg = self._register(
                    u, f"Sổ văn bản đi — {u.committee_name}", "outgoing", P, Register.Series.PER_TYPE, "BCĐ",
                    committee=True, term=term,
                )  # fmt: skip
                self.outgoing_regs[u.id].append(reg)
            if u.level in ("central", "bloc", "party"):
                reg = self._register(
                    u, f"Sổ văn bản đi — {u.name}", "outgoing", P, Register.Series.PER_TYPE, u.code,
                    term=TERM_START[u.level],
                )  # fmt: skip
            else:
                series = Register.Series.PER_TYPE if u.level == "ministry" else Register.Series.SINGLE
                reg = self._register(u, f"Sổ văn bản đi — {u.name}", "outgoing", S, series, u.code)
            self.outgoing_regs[u.id].append(reg)

    def _signers(self, reg: Reg) -> list[tuple[str, str, str]]:
        if not reg.signers:
            if reg.system == Register.System.PARTY:
                kind = "party"
            else:
                kind = {"ministry": "ministry", "corporation": "company", "company": "company"}.get(
                    reg.unit.level, "state"
                )
            for title, authority in SIGNER_TITLES[kind]:
                reg.signers.append((self.people._name(reg.unit.local_names), title, authority))
        return reg.signers

    # --- Outgoing ------------------------------------------------------------------------------------------

    def outgoing(self) -> None:
        rng = self.rng
        today = self.run.today
        years = self.run.years
        for u in self.units:
            per_year = self.run.scale.outgoing.get(u.level, 0)
            regs = self.outgoing_regs[u.id]
            committee_reg = regs[0] if regs[0].committee else None
            for year in years:
                start = datetime.date(year, 1, 2)
                end = min(datetime.date(year, 12, 31), today)
                if end < start:
                    continue
                span = (end - start).days
                count = max(1, round(per_year * (span + 1) / 365))
                if committee_reg is not None:
                    self.plan_documents[(u.id, year)] = self._issue(
                        committee_reg, self.types["Kế hoạch"], start, year, plan=True
                    )
                dates = sorted(start + datetime.timedelta(days=rng.randint(0, span)) for _i in range(count))
                for on in dates:
                    reg = committee_reg if committee_reg and rng.random() < 0.35 else regs[-1]
                    self._issue(reg, self._type(reg), on, year)

    def _type(self, reg: Reg) -> DocumentType:
        rng = self.rng
        if reg.system == Register.System.PARTY:
            weights = PARTY_WEIGHTS
        else:
            normative = NORMATIVE_BY_LEVEL.get(reg.unit.level)
            if normative and rng.random() < 0.02:
                return self.types[normative]
            weights = STATE_WEIGHTS
        name = rng.choices(list(weights), weights=list(weights.values()))[0]
        if reg.system == Register.System.PARTY and reg.unit.level == "central" and rng.random() < 0.05:
            name = "Nghị quyết"
        return self.types[name]

    def _context(self, u: Unit, year: int) -> dict:
        if u.level in ("province", "district"):
            scope = f"trên địa bàn {u.kind_word} {u.short}"
        elif u.level == "commune":
            scope = f"trên địa bàn {u.name[:1].lower()}{u.name[1:]}"
        else:
            scope = f"tại {u.name}"
        committee = u.committee_name or (f"Ban Chỉ đạo 35 {u.parent.name}" if u.parent else "Ban Chỉ đạo")
        return {"y": year, "c": committee, "u": u.name, "scope": scope}

    def _issue(self, reg: Reg, doc_type: DocumentType, on: datetime.date, year: int, *, plan=False) -> int:
        rng, run = self.rng, self.run
        u = reg.unit
        ctx = self._context(u, year)
        style = self.speller.style()
        if plan:
            raw = f"Kế hoạch công tác năm {year} của {u.committee_name}"
        else:
            raw = phrases.fill(rng, rng.choice(phrases.BY_TYPE.get(doc_type.name, phrases.LETTERS)), ctx)
        summary = self.speller.apply(raw, style)
        secret = not plan and rng.random() < 0.003
        body = ""
        if not secret and rng.random() < 0.4:
            ctx["d"] = (on + datetime.timedelta(days=rng.randint(10, 60))).strftime("%d/%m/%Y")
            sentences = [phrases.fill(rng, t, ctx) for t in rng.sample(phrases.BODY, rng.randint(1, 3))]
            body = self.speller.apply("\n".join(sentences), style, part=1, multiline=True)
        # Draft/signed documents are not numbered yet (the last weeks only).
        status = D.Status.ISSUED
        if not plan and (run.today - on).days < 20 and rng.random() < 0.1:
            status = rng.choice([D.Status.DRAFT, D.Status.SIGNED])
        signer, title, authority = rng.choice(self._signers(reg))
        if status == D.Status.DRAFT:
            signer, title, authority = "", "", ""
        number, text, key, period, series = None, "", "", "", ""
        if status == D.Status.ISSUED:
            period = numbering.period_key(
                Register.Period.TERM if reg.system == Register.System.PARTY else Register.Period.YEAR,
                on,
                reg.term_start,
            )
            series = self._series(reg, doc_type, secret)
            reg.counters[(period, series)] += 1
            number = reg.counters[(period, series)]
            text = self._format(reg, doc_type, number, on)
            key = numbering.normalize_number(text)
        confidentiality = D.Confidentiality.SECRET if secret else rng.choice(
            [D.Confidentiality.INTERNAL] * 6 + [D.Confidentiality.PUBLIC]
        )  # fmt: skip
        urgency = (
            D.Urgency.NORMAL if rng.random() < 0.9 else rng.choice([D.Urgency.URGENT, D.Urgency.VERY_URGENT])
        )
        tokens = search_tokens(text, summary, u.name, signer, body, secret)
        doc_id = run.writer.ids.next(Document)
        issued_at = run.at(on, rng.randint(8, 16)) if status == D.Status.ISSUED else None
        created = run.at(on, 8)
        run.writer.add(
            self.doc_table,
            (doc_id, u.id, u.path, reg.id, D.Direction.OUTGOING, status, doc_type.pk, number, text, key, period,
             series, None, None, summary, body, u.name, signer, title, authority, on if signer else None,
             u.place, issued_at, urgency, confidentiality, D.SecretLevel.MAT if secret else "", None, tokens,
             created, issued_at or created),
        )  # fmt: skip
        self.counts["outgoing"] += 1
        if status == D.Status.ISSUED:
            self._send(reg, doc_type, on, (doc_id, doc_type.pk, text, key, summary, body, u.name, signer, title,
                                           authority, on, u.place, urgency, confidentiality, secret, tokens),
                       plan=plan)  # fmt: skip
        return doc_id

    def _series(self, reg: Reg, doc_type: DocumentType, secret: bool) -> str:
        """As `documents.services.series_key_for`."""
        if reg.series == Register.Series.PER_TYPE:
            key = doc_type.code_for(reg.system) or f"#{doc_type.pk}"
        else:
            key = "*"
        if secret and reg.system == Register.System.STATE:
            key = "secret" if key == "*" else f"secret:{key}"
        return key

    def _format(self, reg: Reg, doc_type: DocumentType, number: int, on: datetime.date) -> str:
        """As `documents.services.format_number`, plus the drafting unit of a State công văn (`125/UBND-VP`)."""
        code = doc_type.code_for(reg.system)
        if reg.system == Register.System.PARTY:
            return numbering.format_party_number(number, code, reg.issuer)
        drafting = None
        if not code and not doc_type.is_normative:
            choices = DRAFTING.get(reg.unit.level) or [c.code for c in reg.unit.children[:3]] or ["VP"]
            drafting = self.rng.choice(choices)
            if drafting == reg.issuer:
                drafting = "VP"
        year = on.year if doc_type.is_normative else None
        return numbering.format_state_number(
            number, code or None, reg.issuer, year=year, drafting_unit=drafting
        )

    def _send(
        self, reg: Reg, doc_type: DocumentType, on: datetime.date, record: tuple, *, plan: bool
    ) -> None:
        rng = self.rng
        u = reg.unit
        targets: list[Unit] = []
        down = 1.0 if plan else SEND_DOWN.get(doc_type.name, 0)
        if down and u.children and rng.random() < down:
            children = u.children
            if reg.committee:  # a committee writes to the committees below, or to every commune of a district
                children = [c for c in children if c.has_committee or c.level == "commune"]
            targets = children
        elif u.parent is not None and rng.random() < SEND_UP.get(doc_type.name, 0):
            targets = [u.parent]
        for target in targets:
            arrives = min(on + datetime.timedelta(days=rng.randint(0, 3)), self.run.today)
            self.deliveries[target.id].append((arrives, record))

    # --- Incoming ------------------------------------------------------------------------------------------

    def incoming(self) -> None:
        """Every unit's incoming entries in order of arrival, numbered from 1 each year; Recipient rows."""
        rng, run = self.rng, self.run
        first_day = datetime.date(run.years[0], 1, 5)
        external = []
        for type_name, text, signed, issuer, summary in EXTERNAL:
            tokens = search_tokens(text, summary, issuer, "", "", False)
            record = (None, self.types[type_name].pk, text, numbering.normalize_number(text), summary, "", issuer,
                      "", "", "", signed, "", D.Urgency.NORMAL, D.Confidentiality.PUBLIC, False, tokens)  # fmt: skip
            external.append((max(signed + datetime.timedelta(days=7), first_day), record))
        for u in self.units:
            arrivals = self.deliveries.pop(u.id, [])
            if u.level in EXTERNAL_LEVELS:
                arrivals += external
            if not arrivals:
                continue
            arrivals.sort(key=lambda a: a[0])
            reg = self.incoming_reg[u.id]
            for arrives, rec in arrivals:
                (src, type_id, text, key, summary, body, issuer, signer, title, authority, signed, place,
                 urgency, confidentiality, secret, tokens) = rec  # fmt: skip
                period = str(arrives.year)
                reg.counters[(period, "incoming")] += 1
                incoming_number = reg.counters[(period, "incoming")]
                doc_id = run.writer.ids.next(Document)
                age = (run.today - arrives).days
                status = D.Status.HANDLED if age > 14 and rng.random() < 0.85 else D.Status.REGISTERED
                at = run.at(arrives, rng.randint(8, 16))
                run.writer.add(
                    self.doc_table,
                    (doc_id, u.id, u.path, reg.id, D.Direction.INCOMING, status, type_id, None, text, key, period,
                     "incoming", incoming_number, arrives, summary, body, issuer, signer, title, authority,
                     signed, place, None, urgency, confidentiality, D.SecretLevel.MAT if secret else "", src,
                     tokens, at, at),
                )  # fmt: skip
                self.counts["incoming"] += 1
                if src is not None:
                    opened = at if status == D.Status.HANDLED else None
                    run.writer.add(
                        self.recipient_table,
                        (run.writer.ids.next(Recipient), src, u.id, u.path, doc_id, opened),
                    )
                    self.counts["recipients"] += 1

    def counters(self) -> None:
        """The last number of every series, so documents issued later continue after the generated ones."""
        table = self.run.writer.table(
            NumberCounter, ["id", "register_id", "period_key", "series_key", "last_number"]
        )
        regs = list(self.incoming_reg.values()) + [r for regs in self.outgoing_regs.values() for r in regs]
        for reg in regs:
            for (period, series), last in sorted(reg.counters.items()):
                self.run.writer.add(
                    table, (self.run.writer.ids.next(NumberCounter), reg.id, period, series, last)
                )

    def build(self) -> None:
        self.registers()
        self.outgoing()
        self.incoming()
        self.counters()
