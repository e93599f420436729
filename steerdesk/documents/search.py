"""Accent-insensitive full-text search over documents (DESIGN §6), one function for SQLite and PostgreSQL.

Text is folded and tokenised in Python (`core.text.tokens`) and the tokens are stored in `Document.search_tokens`;
the databases only look tokens up, they never fold or split words themselves:

- SQLite: the FTS5 table `documents_fts` (external content = `documents_document.search_tokens`, kept current by
  triggers on that column, so the index can never drift from the column), queried with quoted terms.
- PostgreSQL: the expression GIN index `to_tsvector('simple', search_tokens)`, queried with `plainto_tsquery`.

Both engines index exactly the column, and every stored or queried token is a run of ASCII letters and digits of
at most `MAX_TOKEN_LEN` characters (tokens with other letters are spelled in hexadecimal, see `engine_token`), so
both tokenisers see one term per token and return the same *set* of documents for every query: the documents
whose tokens include every query token (AND), plus exact number matches (`numbering.normalize_number`).
Ranking differs from the set only in order: number hits, then exact-diacritic matches, then newest first.
"""

from __future__ import annotations

import datetime
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from steerdesk.core.text import fold, tokens

from . import numbering
from .models import Attachment, Document

MAX_TOKEN_LEN = 64  # longer tokens are cut (PostgreSQL ignores words over 2047 characters; keep both alike)
MAX_DOCUMENT_TOKENS = 40_000  # distinct tokens kept per document (a tsvector must stay under 1 MB)
MAX_QUERY_CHARS = 20_000  # a longer query is cut (a GET line is shorter anyway)
RANK_LIMIT = 10_000  # above this many matches: newest first only, and the count says "more than"
RANK_WORDS = 8  # exact-diacritic ranking looks at the query's first words only
SNIPPET_BEFORE = 60
SNIPPET_AFTER = 160

FTS_TABLE = "documents_fts"
PG_INDEX = "documents_search_tokens_gin"

# Tokens PostgreSQL's parser would split into scientific notation + a word (`1e5x` → `1e5`, `x`).
_PG_SPLITS = re.compile(r"\d+e\d+[a-z]")
# A word of the original text as people read it: letters/digits with any combining marks (NFD input).
_WORD = re.compile(r"[^\W_](?:[^\W_]|[\u0300-\u036f])*")


# ---------------------------------------------------------------------------------------------------------------
# Tokens


def engine_token(token: str) -> str:
    """A folded token as both engines will index it: ASCII `[a-z0-9]`, at most MAX_TOKEN_LEN characters.

    Folded Vietnamese is ASCII. A token with other letters (CJK, `ß`, `ø`, …) is spelled `u` + six hex digits per
    character: FTS5's unicode61 (Unicode 6.1 tables) and PostgreSQL's parser (the C library's locale) would
    otherwise disagree on where such words start and end, and the two databases would return different sets.
    PostgreSQL's parser also reads `1e5x` as the number `1e5` and the word `x`: such tokens get the prefix `sf`
    so they stay one word (found by probing every shape of `[0-9a-z]` token against `to_tsvector`).
    """
    if not token.isascii():
        token = "u" + "".join(f"{ord(ch):06x}" for ch in token)
    token = token[:MAX_TOKEN_LEN]
    if _PG_SPLITS.match(token):
        token = "sf" + token
    return token


def _clean_input(text: str | None) -> str:
    """Text safe to pass to either database: no NUL (PostgreSQL refuses it), no lone surrogates."""
    if not text:
        return ""
    return text.replace("\x00", " ").encode("utf-8", "ignore").decode("utf-8")


def text_tokens(text: str | None) -> list[str]:
    """Engine tokens of `text`, in order, with repeats."""
    return [engine_token(t) for t in tokens(_clean_input(text))]


def _unique(items: Iterable[str], limit: int | None = None) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item not in seen:
            seen[item] = None
            if limit is not None and len(seen) >= limit:
                break
    return list(seen)


def query_tokens(query: str | None) -> list[str]:
    """The distinct tokens a query must all match (AND)."""
    return _unique(text_tokens(_clean_input(query)[:MAX_QUERY_CHARS]))


def _current_texts(document: Document) -> list[str]:
    return list(
        Attachment.objects.filter(document_id=document.pk, is_current=True)
        .order_by("pk")
        .values_list("extracted_text", flat=True)
    )


def document_token_list(document: Document, attachment_texts: Iterable[str] | None = None) -> list[str]:
    """The distinct tokens of a document, in order of appearance.

    Number, summary, issuer, signer, body text and the current attachments' extracted text; a secret document
    only by its number, summary and issuer (DESIGN §6: secret documents are registered by metadata only).
    """
    parts = [document.number_text, document.summary, document.issuer_name]
    if not document.is_secret:
        parts += [document.signer_name, document.body_text]
        if attachment_texts is None:
            attachment_texts = _current_texts(document) if document.pk else []
        parts += list(attachment_texts)
    return _unique(
        itertools.chain.from_iterable(text_tokens(p) for p in parts if p), limit=MAX_DOCUMENT_TOKENS
    )


def document_search_tokens(document: Document, attachment_texts: Iterable[str] | None = None) -> str:
    return " ".join(document_token_list(document, attachment_texts))


def index_document(document: Document) -> None:
    """Recompute and save the document's `search_tokens`; the engine index follows in the same transaction.

    Services call it after every create/update of a document and after an attachment's text changes. On SQLite
    the triggers of migration 0002 delete and re-insert the FTS5 row in the UPDATE's own statement; on PostgreSQL
    the expression index is maintained by the UPDATE itself.
    """
    with transaction.atomic():
        document.search_tokens = document_search_tokens(document)
        document.save(update_fields=["search_tokens"])


def reindex_queryset(qs: QuerySet[Document], *, batch_size: int = 500) -> int:
    """Recompute `search_tokens` of every document of `qs` in batches (one short transaction each).

    Returns how many documents changed. Idempotent."""
    changed = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(qs.filter(pk__gt=last_pk).order_by("pk")[:batch_size])
            if not batch:
                return changed
            texts: dict[int, list[str]] = {d.pk: [] for d in batch}
            rows = (
                Attachment.objects.filter(document_id__in=texts, is_current=True)
                .order_by("pk")
                .values_list("document_id", "extracted_text")
            )
            for doc_id, text in rows:
                texts[doc_id].append(text)
            dirty = []
            for document in batch:
                value = document_search_tokens(document, texts[document.pk])
                if value != document.search_tokens:
                    document.search_tokens = value
                    dirty.append(document)
            if dirty:
                Document.objects.bulk_update(dirty, ["search_tokens"])
            changed += len(dirty)
            last_pk = batch[-1].pk


# ---------------------------------------------------------------------------------------------------------------
# Engine index (created by migration 0002; re-created after migrations if a table rebuild dropped the triggers)

SQLITE_FTS_SQL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(search_tokens, content='documents_document', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')"
)
SQLITE_TRIGGERS = {
    "documents_fts_ai": (
        "CREATE TRIGGER IF NOT EXISTS documents_fts_ai AFTER INSERT ON documents_document BEGIN "
        "INSERT INTO documents_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); END"
    ),
    "documents_fts_ad": (
        "CREATE TRIGGER IF NOT EXISTS documents_fts_ad AFTER DELETE ON documents_document BEGIN "
        "INSERT INTO documents_fts(documents_fts, rowid, search_tokens) VALUES ('delete', old.id, old.search_tokens); "
        "END"
    ),
    "documents_fts_au": (
        "CREATE TRIGGER IF NOT EXISTS documents_fts_au AFTER UPDATE OF search_tokens ON documents_document "
        "WHEN old.search_tokens IS NOT new.search_tokens BEGIN "
        "INSERT INTO documents_fts(documents_fts, rowid, search_tokens) VALUES ('delete', old.id, old.search_tokens); "
        "INSERT INTO documents_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); END"
    ),
}
PG_INDEX_SQL = (
    "CREATE INDEX IF NOT EXISTS documents_search_tokens_gin ON documents_document "
    "USING gin (to_tsvector('simple'::regconfig, search_tokens))"
)


def install_engine_index(conn) -> None:
    """Create the engine's index if missing (idempotent). SQLite: FTS5 table + triggers, rebuilt from the column
    when the triggers had gone (Django rebuilds a SQLite table for some ALTERs and drops its triggers)."""
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
            names = {row[0] for row in cursor.fetchall()}
            if "documents_document" not in names:
                return
            fresh = FTS_TABLE not in names or not set(SQLITE_TRIGGERS) <= names
            cursor.execute(SQLITE_FTS_SQL)
            for sql in SQLITE_TRIGGERS.values():
                cursor.execute(sql)
            if fresh:
                cursor.execute("INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')")
        elif conn.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [PG_INDEX])
            if cursor.fetchone() is None:
                cursor.execute(PG_INDEX_SQL)


def uninstall_engine_index(conn) -> None:
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute("DROP TABLE IF EXISTS documents_fts")
        elif conn.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS documents_search_tokens_gin")


def rebuild_engine_index(conn=None) -> None:
    """SQLite: rebuild the FTS5 index from the column (PostgreSQL's expression index needs nothing)."""
    conn = conn or connection
    if conn.vendor == "sqlite":
        install_engine_index(conn)
        with conn.cursor() as cursor:
            cursor.execute("INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')")


def ensure_engine_index(sender=None, using="default", **kwargs) -> None:
    """post_migrate receiver: put back the SQLite triggers if a table rebuild dropped them."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    conn = connections[using]
    if ("documents", "0002_search_index") in MigrationRecorder(conn).applied_migrations():
        install_engine_index(conn)


class _TokensMatch(Func):
    """`search_tokens` contains every token of the query string (a parameter, never formatted into SQL)."""

    output_field = BooleanField()

    def __init__(self, query: str):
        super().__init__(F("search_tokens"), Value(query))

    def as_sql(self, compiler, conn, **extra):  # pragma: no cover - each vendor has its own method
        raise NotImplementedError(f"search is not implemented for {conn.vendor}")

    def as_postgresql(self, compiler, conn, **extra):
        column_sql, column_params = compiler.compile(self.source_expressions[0])
        query_sql, query_params = compiler.compile(self.source_expressions[1])
        sql = f"to_tsvector('simple'::regconfig, {column_sql}) @@ plainto_tsquery('simple'::regconfig, {query_sql})"
        return sql, (*column_params, *query_params)


def _match_q(terms: list[str]) -> Q:
    if connection.vendor == "sqlite":
        match = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
        return Q(pk__in=RawSQL("SELECT rowid FROM documents_fts WHERE documents_fts MATCH %s", [match]))
    return Q(_TokensMatch(" ".join(terms)))


# ---------------------------------------------------------------------------------------------------------------
# Filters and the matching set


@dataclass
class SearchFilters:
    doc_type: object = None  # a DocumentType (or its pk)
    issuer: str = ""  # folded "contains"
    year: int | None = None
    unit: object = None  # an OrgUnit: its subtree
    status: str = ""
    direction: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    @classmethod
    def coerce(cls, value) -> SearchFilters:
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        return cls(**{k: v for k, v in dict(value).items() if k in cls.__dataclass_fields__})


def _date_range_q(start: datetime.date | None, end: datetime.date | None) -> Q:
    """The register date in [start, end]: incoming date for received documents, signing date for outgoing."""
    inc = Q(direction=Document.Direction.INCOMING)
    out = ~Q(direction=Document.Direction.INCOMING)
    if start:
        inc &= Q(incoming_date__gte=start)
        out &= Q(signing_date__gte=start)
    if end:
        inc &= Q(incoming_date__lte=end)
        out &= Q(signing_date__lte=end)
    return inc | out


def _issuer_q(qs: QuerySet[Document], text: str) -> Q:
    """Issuer names that contain `text` once both are folded (`ubnd tinh hoa binh` ~ `UBND tỉnh Hòa Bình`).

    Folding is Python's, so the distinct issuer names in scope are folded here: a few hundred names, not rows."""
    wanted = fold(_clean_input(text))
    if not wanted:
        return Q()
    names = qs.order_by().values_list("issuer_name", flat=True).distinct()
    return Q(issuer_name__in=[name for name in names if wanted in fold(name)])


def _filtered(user, filters: SearchFilters) -> QuerySet[Document]:
    qs = Document.objects.for_user(user)
    f = filters
    if f.doc_type:
        qs = qs.filter(doc_type=f.doc_type)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.direction:
        qs = qs.filter(direction=f.direction)
    if f.unit is not None:
        qs = qs.in_subtree(f.unit.path)
    if f.year:
        qs = qs.filter(_date_range_q(datetime.date(f.year, 1, 1), datetime.date(f.year, 12, 31)))
    if f.date_from or f.date_to:
        qs = qs.filter(_date_range_q(f.date_from, f.date_to))
    if f.issuer:
        qs = qs.filter(_issuer_q(qs, f.issuer))
    return qs


def number_keys(query: str) -> list[str]:
    """Exact-lookup keys for a query that reads as a document number, else [].

    `12/qd-ubnd` is typed without `Đ`: the key is also tried with every `D` of the code as `Đ` (at most 64)."""
    query = _clean_input(query)[:200]
    try:
        numbering.parse_number(query)
    except ValueError:
        return []
    key = numbering.normalize_number(query)
    if not key:
        return []
    positions = [i for i, ch in enumerate(key) if ch == "D"][:6]
    keys = {key}
    for combo in itertools.product("DĐ", repeat=len(positions)):
        chars = list(key)
        for i, ch in zip(positions, combo, strict=True):
            chars[i] = ch
        keys.add("".join(chars))
    return sorted(keys)


def matching_documents(*, user, query: str, filters=None) -> QuerySet[Document]:
    """The set of documents the user may see that match `query` and the filters (unordered).

    A document matches when its tokens include every token of the query, or when its number is the number the
    query spells. An empty query (or one with no letters or digits) matches nothing."""
    terms = query_tokens(query)
    keys = number_keys(query)
    if not terms and not keys:
        return Document.objects.none()
    qs = _filtered(user, SearchFilters.coerce(filters))
    match = Q(number_key__in=keys) if keys else Q(pk__in=[])
    if terms:
        match |= _match_q(terms)
    return qs.filter(match)


# ---------------------------------------------------------------------------------------------------------------
# Ranking, snippets, the result


def query_words(query: str) -> list[str]:
    """The query's words as typed (NFC, marks kept), for exact-diacritic ranking and highlighting."""
    text = unicodedata.normalize("NFC", _clean_input(query)[:MAX_QUERY_CHARS])
    return _unique(m.group(0) for m in _WORD.finditer(text))


def _exact_expression(words: list[str]):
    """1 when the summary or number contains every query word as typed (any of its usual casings), else 0."""
    if not words:
        return Value(0, output_field=IntegerField())
    condition = Q()
    for word in words[:RANK_WORDS]:
        forms = _unique([word, word.lower(), word.upper(), word[:1].upper() + word[1:].lower()])
        either = Q()
        for form in forms:
            either |= Q(GreaterThan(StrIndex("summary", Value(form)), 0))
            either |= Q(GreaterThan(StrIndex("number_text", Value(form)), 0))
        condition &= either
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _date_expression():
    return Case(
        When(direction=Document.Direction.INCOMING, then=F("incoming_date")),
        default=F("signing_date"),
    )


def highlight(text: str, terms: Iterable[str], *, window: bool = False) -> SafeString | None:
    """`text` escaped, with the words whose folded token is one of `terms` wrapped in `<mark>`.

    `hoa binh` marks `hòa bình`, `Hoà Bình` and `HÒA BÌNH`. With `window`, only a short excerpt around the first
    match (None when nothing matches). The text is escaped piece by piece; only our own tags are left raw."""
    terms = set(terms)
    text = unicodedata.normalize("NFC", text or "")
    spans = []
    for m in _WORD.finditer(text):
        folded = tokens(m.group(0))
        if folded and any(engine_token(t) in terms for t in folded):
            spans.append((m.start(), m.end()))
    if window:
        if not spans:
            return None
        start = max(0, spans[0][0] - SNIPPET_BEFORE)
        end = min(len(text), spans[0][1] + SNIPPET_AFTER)
        while start > 0 and not text[start - 1].isspace() and spans[0][0] - start < SNIPPET_BEFORE + 20:
            start -= 1
        while end < len(text) and not text[end].isspace() and end - spans[0][1] < SNIPPET_AFTER + 20:
            end += 1
    else:
        start, end = 0, len(text)
    out = ["…" if start > 0 else ""]
    pos = start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(escape(text[pos:s]))
        out.append("<mark>" + escape(text[s:e]) + "</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    if end < len(text):
        out.append("…")
    # Every piece of user text above went through escape(): only our own <mark> tags are raw.
    return mark_safe("".join(out))  # noqa: S308  # nosec


@dataclass
class SearchHit:
    document: Document
    summary_html: SafeString
    snippet_html: SafeString | None  # an excerpt of the body or an attachment's text around the first match
    number_hit: bool = False


@dataclass
class SearchResult:
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0  # capped at RANK_LIMIT + 1 when `more` is true
    more: bool = False  # more than RANK_LIMIT matches: the count was not finished, no ranking
    terms: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [h.document.pk for h in self.hits]

    @property
    def documents(self) -> list[Document]:
        return [h.document for h in self.hits]

    @property
    def snippets(self) -> dict[int, SafeString | None]:
        return {h.document.pk: h.snippet_html for h in self.hits}


def _snippets(documents: list[Document], terms: list[str]) -> dict[int, SafeString | None]:
    """An excerpt around the first match of each document: in its body text, else in its current attachments'
    extracted text (read in one query for the documents whose body does not match)."""
    snippets: dict[int, SafeString | None] = {}
    if not terms:
        return snippets
    need_files = []
    for document in documents:
        if document.is_secret:
            continue
        snippets[document.pk] = highlight(document.body_text, terms, window=True)
        if snippets[document.pk] is None:
            need_files.append(document.pk)
    if need_files:
        rows = (
            Attachment.objects.filter(document_id__in=need_files, is_current=True)
            .exclude(extracted_text="")
            .order_by("pk")
            .values_list("document_id", "extracted_text")
        )
        for document_id, text in rows:
            if snippets[document_id] is None:
                snippets[document_id] = highlight(text, terms, window=True)
    return snippets


def search_documents(*, user, query: str, filters=None, limit: int = 20, offset: int = 0) -> SearchResult:
    """One page of search results: the matching set (see `matching_documents`), ordered by number hits first,
    then documents whose summary or number contains the query's words with their diacritics as typed, then the
    newest. Above RANK_LIMIT matches the order is newest first only and the total is not counted further."""
    terms = query_tokens(query)
    keys = number_keys(query)
    qs = matching_documents(user=user, query=query, filters=filters)
    if not terms and not keys:
        return SearchResult()
    total = qs.order_by().values("pk")[: RANK_LIMIT + 1].count()
    more = total > RANK_LIMIT
    limit = max(0, min(int(limit), 200))
    offset = max(0, int(offset))
    ordered = qs.annotate(
        _number_hit=Case(
            When(number_key__in=keys, then=Value(1)), default=Value(0), output_field=IntegerField()
        )
        if keys
        else Value(0, output_field=IntegerField()),
        _exact=Value(0, output_field=IntegerField()) if more else _exact_expression(query_words(query)),
        _date=_date_expression(),
    ).order_by("-_number_hit", "-_exact", F("_date").desc(nulls_last=True), "-pk")
    page_ids = list(ordered.values_list("pk", "_number_hit")[offset : offset + limit])
    documents = Document.objects.select_related("doc_type", "unit", "register").in_bulk(
        [pk for pk, _ in page_ids]
    )
    snippets = _snippets([documents[pk] for pk, _ in page_ids], terms)
    hits = []
    for pk, number_hit in page_ids:
        document = documents[pk]
        hits.append(
            SearchHit(
                document=document,
                summary_html=highlight(document.summary, terms),
                snippet_html=snippets.get(pk),
                number_hit=bool(number_hit),
            )
        )
    return SearchResult(hits=hits, total=total, more=more, terms=terms)
