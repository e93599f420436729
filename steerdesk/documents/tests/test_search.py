"""Search: accent-insensitive matching, the same set of ids on SQLite and PostgreSQL (both checked against a
brute-force filter), hostile queries, scope, number lookup, ranking, snippets, the page and the reindex command.

CI runs this file on both databases; every assertion about the *set* of results holds on both."""

from __future__ import annotations

import datetime
import unicodedata

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import NoReverseMatch, reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from steerdesk.core.text import tokens
from steerdesk.documents import search
from steerdesk.documents.models import Document
from steerdesk.documents.tests.factories import AttachmentFactory, DocumentFactory, DocumentTypeFactory


@pytest.fixture(autouse=True)
def english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def doc(unit, summary, **fields):
    return DocumentFactory(unit=unit, summary=summary, **fields)


def ids(result_or_qs) -> set[int]:
    if isinstance(result_or_qs, search.SearchResult):
        return set(result_or_qs.ids)
    return set(result_or_qs.values_list("pk", flat=True))


def found(user, query, **kwargs) -> set[int]:
    return ids(search.search_documents(user=user, query=query, limit=200, **kwargs))


# ---------------------------------------------------------------------------------------------------------------
# Accent-insensitive matching


def test_hoa_binh_finds_both_tone_placements(tree, users):
    old_style = doc(tree.district_a, "Kế hoạch phòng chống thiên tai tỉnh hòa bình")
    new_style = doc(tree.district_a, "Báo cáo tổng kết công tác ở Hoà Bình")
    other = doc(tree.district_a, "Kế hoạch năm 2026 của huyện")

    assert found(users.owner, "hoa binh") == {old_style.pk, new_style.pk}
    assert other.pk not in found(users.owner, "hoa binh")


def test_dang_uy_finds_dang_uy_with_d_stroke(tree, users):
    target = doc(tree.district_a, "Nghị quyết của Đảng ủy xã về xây dựng Đảng")
    doc(tree.district_a, "Nghị quyết về phát triển kinh tế")

    assert found(users.owner, "dang uy") == {target.pk}
    assert found(users.owner, "ĐẢNG ỦY") == {target.pk}


def test_an_nfd_query_matches_nfc_text(tree, users):
    target = doc(tree.district_a, "Quyết định thành lập Ban Chỉ đạo")
    query = unicodedata.normalize("NFD", "thành lập Ban Chỉ đạo")
    assert query != unicodedata.normalize("NFC", query)

    assert found(users.owner, query) == {target.pk}


def test_nfd_text_is_found_by_a_plain_query(tree, users):
    target = doc(tree.district_a, unicodedata.normalize("NFD", "Hướng dẫn tổng kết Nghị quyết"))

    assert found(users.owner, "huong dan tong ket") == {target.pk}


def test_a_query_with_marks_matches_text_without_marks(tree, users):
    target = doc(tree.district_a, "Ke hoach trien khai Nghi quyet so 35")

    assert found(users.owner, "Kế hoạch triển khai") == {target.pk}


def test_every_word_must_appear(tree, users):
    both = doc(tree.district_a, "Kế hoạch phòng chống ma túy")
    one = doc(tree.district_a, "Kế hoạch tuyên truyền")

    assert found(users.owner, "kế hoạch ma túy") == {both.pk}
    assert found(users.owner, "kế hoạch") == {both.pk, one.pk}


def test_words_are_matched_whole_not_as_prefixes(tree, users):
    doc(tree.district_a, "Kế hoạch tuyên truyền")

    assert found(users.owner, "hoa") == set()
    assert found(users.owner, "tuyen truy") == set()


def test_number_issuer_signer_body_and_current_attachment_text_are_searched(tree, users):
    d = doc(
        tree.district_a,
        "Báo cáo",
        number_text="77/BC-UBND",
        issuer_name="Sở Nội vụ",
        signer_name="Trần Thị Bích",
        body_text="Nội dung về chuyển đổi số",
    )
    attachment = AttachmentFactory(document=d, extracted_text="Phụ lục kèm theo về khu công nghiệp")
    search.index_document(d)

    for query in ("77 bc ubnd", "so noi vu", "tran thi bich", "chuyen doi so", "khu cong nghiep"):
        assert found(users.owner, query) == {d.pk}, query

    # A new version replaces the old text: only current attachments count.
    attachment.is_current = False
    attachment.save()
    AttachmentFactory(document=d, extracted_text="Bản sửa về đô thị thông minh")
    search.index_document(d)
    assert found(users.owner, "khu cong nghiep") == set()
    assert found(users.owner, "do thi thong minh") == {d.pk}


def test_secret_documents_are_indexed_by_number_summary_and_issuer_only(tree, users):
    secret = doc(
        tree.district_a,
        "Về công tác bảo vệ",
        number_text="5/QĐ-UBND",
        issuer_name="Công an tỉnh",
        signer_name="Lê Văn Mật",
        confidentiality=Document.Confidentiality.SECRET,
        secret_level=Document.SecretLevel.MAT,
    )
    AttachmentFactory(document=secret, extracted_text="không được lưu trên mạng")
    search.index_document(secret)

    assert found(users.owner, "cong tac bao ve") == {secret.pk}
    assert found(users.owner, "cong an tinh") == {secret.pk}
    assert found(users.owner, "le van mat") == set()
    assert found(users.owner, "khong duoc luu") == set()
    assert search.search_documents(user=users.owner, query="bao ve").hits[0].snippet_html is None


# ---------------------------------------------------------------------------------------------------------------
# Scope and filters


def test_documents_of_a_sibling_district_never_appear(tree, users):
    mine = doc(tree.district_a, "Kế hoạch phòng chống dịch bệnh")
    theirs = doc(tree.district_b, "Kế hoạch phòng chống dịch bệnh", number_text="9/KH-UBND")

    assert found(users.owner, "phong chong dich benh") == {mine.pk}
    assert found(users.owner, "9/KH-UBND") == set()
    assert found(users.outsider, "phong chong dich benh") == {theirs.pk}
    assert found(users.superuser, "phong chong dich benh") == {mine.pk, theirs.pk}


def test_a_document_addressed_to_the_users_unit_is_found(tree, users):
    from steerdesk.documents.models import Recipient

    provincial = doc(tree.province, "Kế hoạch của tỉnh về cải cách hành chính")
    Recipient.objects.create(document=provincial, unit=tree.district_a, unit_path=tree.district_a.path)
    doc(tree.province, "Kế hoạch nội bộ của tỉnh về cải cách hành chính")

    assert found(users.owner, "cai cach hanh chinh") == {provincial.pk}


def test_restricted_documents_stay_hidden_from_people_not_named(tree, users):
    restricted = doc(tree.district_a, "Hồ sơ nhân sự", confidentiality=Document.Confidentiality.RESTRICTED)
    restricted.restricted_to.add(users.member)

    assert found(users.viewer, "ho so nhan su") == set()
    assert found(users.member, "ho so nhan su") == {restricted.pk}


def test_filters_narrow_the_results(tree, users):
    plan = DocumentTypeFactory(name="Kế hoạch", state_code="KH")
    a = doc(
        tree.district_a,
        "Kế hoạch thi đua năm 2025",
        doc_type=plan,
        signing_date=datetime.date(2025, 3, 1),
        issuer_name="UBND huyện Lạc Sơn",
    )
    b = doc(
        tree.commune_a1,
        "Báo cáo thi đua năm 2026",
        signing_date=datetime.date(2026, 5, 2),
        issuer_name="UBND xã Vũ Bình",
        status=Document.Status.DRAFT,
    )
    c = doc(
        tree.district_a,
        "Công văn đến về thi đua",
        direction=Document.Direction.INCOMING,
        status=Document.Status.REGISTERED,
        signing_date=datetime.date(2025, 12, 30),
        incoming_date=datetime.date(2026, 1, 3),
        issuer_name="Sở Nội vụ tỉnh Hòa Bình",
    )
    user = users.owner

    assert found(user, "thi dua") == {a.pk, b.pk, c.pk}
    assert found(user, "thi dua", filters={"doc_type": plan}) == {a.pk}
    assert found(user, "thi dua", filters={"issuer": "ubnd xa vu binh"}) == {b.pk}
    assert found(user, "thi dua", filters={"issuer": "HÒA BÌNH"}) == {c.pk}
    assert found(user, "thi dua", filters={"year": 2026}) == {b.pk, c.pk}  # incoming: the incoming date
    assert found(user, "thi dua", filters={"unit": tree.commune_a1}) == {b.pk}
    assert found(user, "thi dua", filters={"status": Document.Status.DRAFT}) == {b.pk}
    assert found(user, "thi dua", filters={"direction": Document.Direction.INCOMING}) == {c.pk}
    assert found(
        user,
        "thi dua",
        filters=search.SearchFilters(
            date_from=datetime.date(2025, 1, 1), date_to=datetime.date(2025, 12, 31)
        ),
    ) == {a.pk}


def test_an_empty_query_finds_nothing_not_everything(tree, users):
    doc(tree.district_a, "Kế hoạch")

    for query in ("", "   ", "!!! ---", "\x00", "🙂"):
        result = search.search_documents(user=users.owner, query=query)
        assert result.hits == [] and result.total == 0, query


# ---------------------------------------------------------------------------------------------------------------
# Document numbers, ranking, snippets


@pytest.mark.parametrize("typed", ["12/QĐ-UBND", "12/qd-ubnd", "Số: 12 / QĐ-UBND", "số 012/qđ-ubnd"])
def test_a_document_number_is_found_first_however_it_is_typed(tree, users, typed):
    # Other documents mention the same words, and are newer: the number match still comes first.
    target = doc(
        tree.district_a,
        "Quyết định thành lập Ban Chỉ đạo",
        number_text="12/QĐ-UBND",
        signing_date=datetime.date(2024, 1, 2),
    )
    for day in range(1, 4):
        doc(
            tree.district_a,
            "Thực hiện Quyết định số 12/QĐ-UBND của UBND huyện",
            number_text=f"{day}/KH-UBND",
            signing_date=datetime.date(2026, 1, day),
        )
    doc(tree.district_a, "Quyết định khác", number_text="112/QĐ-UBND")

    result = search.search_documents(user=users.owner, query=typed)

    assert result.hits[0].document.pk == target.pk
    assert result.hits[0].number_hit
    assert target.pk in found(users.owner, typed)


def test_exact_diacritic_matches_are_ranked_first(tree, users):
    day = datetime.date(2025, 1, 1)
    folded_only_newer = [
        doc(tree.district_a, "Triển khai kế hoạch ở Hoà Bình", signing_date=day + datetime.timedelta(days=i))
        for i in range(1, 4)
    ]
    exact_older = doc(tree.district_a, "Triển khai kế hoạch ở hòa bình", signing_date=day)

    result = search.search_documents(user=users.owner, query="Hòa Bình")

    assert result.ids[0] == exact_older.pk
    assert set(result.ids[1:]) == {d.pk for d in folded_only_newer}
    # Without marks in the query nothing is "exact": newest first.
    plain = search.search_documents(user=users.owner, query="hoa binh")
    assert plain.ids == [d.pk for d in reversed(folded_only_newer)] + [exact_older.pk]


def test_over_the_rank_limit_the_order_is_newest_first_and_the_count_stops(tree, users, monkeypatch):
    monkeypatch.setattr(search, "RANK_LIMIT", 3)
    day = datetime.date(2025, 1, 1)
    exact = doc(tree.district_a, "Báo cáo hòa bình", signing_date=day)
    newer = [
        doc(tree.district_a, "Báo cáo Hoà Bình", signing_date=day + datetime.timedelta(days=i))
        for i in range(1, 5)
    ]

    result = search.search_documents(user=users.owner, query="hòa bình", limit=10)

    assert result.more and result.total == 4
    assert result.ids == [d.pk for d in reversed(newer)] + [exact.pk]


def test_snippets_highlight_folded_matches_in_the_original_text(tree, users):
    d = doc(
        tree.district_a,
        "Kế hoạch của tỉnh Hòa Bình <script>alert(1)</script>",
        body_text="Phần mở đầu. " * 20 + "Tăng cường công tác ở HOÀ BÌNH và các huyện. " + "Phần kết. " * 30,
    )

    hit = search.search_documents(user=users.owner, query="hoa binh").hits[0]

    assert hit.document.pk == d.pk
    assert "<mark>Hòa</mark> <mark>Bình</mark>" in hit.summary_html
    assert "<script>" not in hit.summary_html and "&lt;script&gt;" in hit.summary_html
    assert "<mark>HOÀ</mark> <mark>BÌNH</mark>" in hit.snippet_html
    assert hit.snippet_html.startswith("…") and hit.snippet_html.endswith("…")
    assert len(hit.snippet_html) < 400


def test_snippet_comes_from_an_attachment_when_the_body_has_no_match(tree, users):
    d = doc(tree.district_a, "Báo cáo")
    AttachmentFactory(document=d, extracted_text="Trang 1. Số liệu về đất đai & <b>tài nguyên</b>.")
    search.index_document(d)

    hit = search.search_documents(user=users.owner, query="dat dai").hits[0]

    assert (
        hit.snippet_html
        == "Trang 1. Số liệu về <mark>đất</mark> <mark>đai</mark> &amp; &lt;b&gt;tài nguyên&lt;/b&gt;."
    )


# ---------------------------------------------------------------------------------------------------------------
# Hostile input

HOSTILE_QUERIES = [
    '"',
    '"""',
    'hoa "binh',
    "-",
    "--",
    "-hoa binh",
    "*",
    "hoa*",
    ":",
    "summary:hoa",
    "search_tokens:hoa",
    "NEAR(",
    "NEAR(hoa binh, 2)",
    "hoa AND binh",
    "hoa OR",
    "NOT hoa",
    "' OR 1=1 --",
    "'; DROP TABLE documents_document; --",
    "((hoa",
    "hoa)))",
    "^hoa",
    "hoa & binh | !x",
    "a:* & b",
    "\\",
    "%_%",
    "x" * 10_240,
    "hòa bình " * 1200,
    "🙂🙃 hoa 🇻🇳",
    "hoa\x00binh",
    "\x00",
    "!?.,;:()[]{}<>",
    "1e5x 0x1F",
    "中文 Ελληνικά кириллица",
]


def test_there_are_at_least_fifteen_hostile_queries():
    assert len(HOSTILE_QUERIES) >= 15


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_hostile_queries_answer_with_results_or_none(tree, users, client_for, query):
    target = doc(tree.district_a, "Kế hoạch tỉnh Hòa Bình")
    client = client_for(users.owner)

    result = search.search_documents(user=users.owner, query=query)
    assert set(result.ids) <= {target.pk}

    response = client.get(reverse("documents:search"), {"q": query})
    assert response.status_code == 200
    response = client.get(reverse("documents:search"), {"q": query}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200

    try:
        api = reverse("api:document-list")
    except NoReverseMatch:
        api = None
    if api is not None:
        response = client.get(api, {"search": query})
        # The API refuses what no search can mean (a NUL, over 10,000 characters) with a 400 naming the field.
        assert response.status_code in (200, 400), response.content[:300]
        if response.status_code == 400:
            assert "search" in response.json()


def test_a_nul_byte_is_stripped(tree, users):
    target = doc(tree.district_a, "Kế hoạch tỉnh Hòa Bình")

    assert found(users.owner, "hoa\x00 binh") == {target.pk}


@hsettings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    query=st.one_of(
        st.text(max_size=200),
        st.lists(
            st.sampled_from(
                'kế hoạch Hòa Bình hoà binh ĐẢNG ủy dang 35 NQ/TW 12/qđ-ubnd Số: năm 2026 - " * : ( NEAR OR'.split()
            ),
            max_size=6,
        ).map(" ".join),
    )
)
def test_arbitrary_text_never_raises_and_matches_the_brute_force(tree, users, query):
    corpus = _corpus_once(tree)
    assert found(users.owner, query) == brute_force(users.owner, query, corpus)


# ---------------------------------------------------------------------------------------------------------------
# The same set on both databases: each engine equals a brute-force filter in Python

CORPUS = [
    ("Kế hoạch triển khai Nghị quyết số 35-NQ/TW của Bộ Chính trị", "35-NQ/TW"),
    ("Quyết định thành lập Ban Chỉ đạo 35 tỉnh Hòa Bình", "12/QĐ-UBND"),
    ("Báo cáo sơ kết 6 tháng đầu năm 2025 của Đảng ủy xã", "40-BC/ĐU"),
    ("Công văn về việc tổ chức hội nghị tại Hoà Bình", "125/UBND-VP"),
    ("Kế hoạch phòng, chống tham nhũng, tiêu cực năm 2026", "01/KH-BCĐ"),
    ("HƯỚNG DẪN THỰC HIỆN QUY CHẾ LÀM VIỆC", "02-HD/TU"),
    ("Nghị định 30/2020/NĐ-CP về công tác văn thư", "30/2020/NĐ-CP"),
    ("Thông báo kết luận của đồng chí Bí thư về chuyển đổi số", ""),
    ("Tờ trình đề nghị khen thưởng tập thể, cá nhân", "7/TTr-UBND"),
    ("Chương trình công tác năm 2026; phụ lục 1e5x và mã 0x1F", "3/CTr-UBND"),
    ("Báo cáo về khu kinh tế Straße — 中文 thử nghiệm", ""),
    ("Kế hoạch đảm bảo an ninh trật tự dịp Tết Nguyên đán", "15/KH-CAH"),
]

SAME_SET_QUERIES = [
    "hoa binh",
    "hòa bình",
    "hoà bình",
    "HOA BINH",
    "dang uy",
    "Đảng ủy xã",
    "ke hoach",
    "kế hoạch năm 2026",
    "35",
    "35-NQ/TW",
    "nq tw",
    "12/qd-ubnd",
    "Số: 12 / QĐ-UBND",
    "30/2020/nd-cp",
    "2020",
    "van thu",
    "1e5x",
    "0x1f",
    "straße",
    "中文",
    "ban chi dao 35",
    "cong tac",
    "tham nhung tieu cuc",
    "khen thuong",
    "không có gì",
    '"ke hoach" -nam',
    "NEAR(ke hoach)",
    "kế* hoạch:",
    "",
]


def _corpus(tree):
    made = []
    for i, (summary, number) in enumerate(CORPUS):
        unit = (tree.district_a, tree.commune_a1, tree.district_b)[i % 3]
        made.append(
            doc(
                unit,
                summary,
                number_text=number,
                issuer_name=("UBND huyện Lạc Sơn", "Đảng ủy xã Vũ Bình", "Sở Nội vụ")[i % 3],
                body_text=CORPUS[(i + 1) % len(CORPUS)][0] if i % 2 else "",
            )
        )
    return made


def _corpus_once(tree):
    if not Document.objects.exists():
        _corpus(tree)
    return list(Document.objects.all())


def brute_force(user, query, corpus) -> set[int]:
    """What any correct engine must return: visible documents whose own fields, tokenised here in Python, hold
    every query token, or whose number is the number typed (independent of the stored column and the index)."""
    visible = set(Document.objects.for_user(user).values_list("pk", flat=True))
    wanted = {search.engine_token(t) for t in tokens(search._clean_input(query)[: search.MAX_QUERY_CHARS])}
    keys = set(search.number_keys(query))
    out = set()
    for d in corpus:
        if d.pk not in visible:
            continue
        texts = [d.number_text, d.summary, d.issuer_name]
        if not d.is_secret:
            texts += [
                d.signer_name,
                d.body_text,
                *d.attachments.filter(is_current=True).values_list("extracted_text", flat=True),
            ]
        have = {search.engine_token(t) for text in texts for t in tokens(text)}
        if (wanted and wanted <= have) or (keys and d.number_key in keys):
            out.add(d.pk)
    return out


def test_each_query_returns_exactly_the_brute_force_set(tree, users):
    corpus = _corpus(tree)
    for user in (users.owner, users.outsider, users.superuser):
        for query in SAME_SET_QUERIES:
            expected = brute_force(user, query, corpus)
            assert found(user, query) == expected, (connection.vendor, user.username, query)
            assert ids(search.matching_documents(user=user, query=query)) == expected
    # The corpus does exercise the engine: some queries match several documents, some none.
    sizes = [len(brute_force(users.superuser, q, corpus)) for q in SAME_SET_QUERIES]
    assert max(sizes) >= 3 and sizes.count(0) >= 2


def test_tokens_are_one_word_for_both_engines():
    assert search.engine_token("hoa") == "hoa"
    assert search.engine_token("1e5") == "1e5"
    assert search.engine_token("1e5x") == "sf1e5x"  # PostgreSQL would read `1e5` + `x`
    assert search.engine_token("ß") == "u0000df"
    assert len(search.engine_token("a" * 500)) == search.MAX_TOKEN_LEN
    assert search.query_tokens("Hòa  hoà HÒA bình") == ["hoa", "binh"]


# ---------------------------------------------------------------------------------------------------------------
# The engine index follows the column


def test_the_index_follows_updates_and_deletes(tree, users):
    d = doc(tree.district_a, "Kế hoạch cũ")
    assert found(users.owner, "ke hoach cu") == {d.pk}

    d.summary = "Kế hoạch mới"
    search.index_document(d)
    assert found(users.owner, "ke hoach cu") == set()
    assert found(users.owner, "ke hoach moi") == {d.pk}

    pk = d.pk
    d.delete()
    assert found(users.owner, "ke hoach moi") == set()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM documents_fts WHERE documents_fts MATCH 'moi'")
            assert cursor.fetchone()[0] == 0, pk


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 table and triggers")
def test_sqlite_triggers_are_put_back_after_a_table_rebuild(tree, users):
    d = doc(tree.district_a, "Báo cáo an toàn giao thông")
    with connection.cursor() as cursor:
        for name in search.SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    search.ensure_engine_index(using="default")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'documents_fts_%'"
        )
        assert {row[0] for row in cursor.fetchall()} == set(search.SQLITE_TRIGGERS)

    d.summary = "Báo cáo an toàn thực phẩm"
    search.index_document(d)
    assert found(users.owner, "an toan thuc pham") == {d.pk}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's expression index")
def test_postgresql_has_the_gin_expression_index(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [search.PG_INDEX])
        (indexdef,) = cursor.fetchone()
    assert "gin" in indexdef and "to_tsvector('simple'::regconfig, search_tokens)" in indexdef


def test_reindex_documents_command_restores_the_tokens(tree, users, capsys):
    d = doc(tree.district_a, "Kế hoạch xây dựng nông thôn mới")
    Document.objects.filter(pk=d.pk).update(search_tokens="")
    assert found(users.owner, "nong thon moi") == set()

    call_command("reindex_documents", "--batch-size", "1", "--rebuild")

    assert found(users.owner, "nong thon moi") == {d.pk}
    assert "1 document(s) re-indexed" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------------------------
# The page


def test_the_search_page_requires_login(client, db):
    response = client.get(reverse("documents:search"), {"q": "hoa binh"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_search_page_shows_highlighted_results_and_filters(tree, users, client_for):
    d = doc(
        tree.district_a,
        "Kế hoạch tỉnh Hòa Bình",
        number_text="8/KH-UBND",
        signing_date=datetime.date(2026, 2, 5),
    )
    doc(tree.district_b, "Kế hoạch tỉnh Hòa Bình của huyện khác")
    client = client_for(users.owner)

    page = client.get(reverse("documents:search"), {"q": "hoa binh"})
    html = page.content.decode()

    assert page.status_code == 200
    assert (
        '<form class="search-form" method="get"' in html and 'hx-trigger="input changed delay:400ms' in html
    )
    assert 'id="search-results"' in html
    assert "8/KH-UBND" in html and "05/02/2026" in html and d.get_absolute_url() in html
    assert "<mark>Hòa</mark> <mark>Bình</mark>" in html
    assert "của huyện khác" not in html
    assert "1 document found." in html
    for name in ("doc_type", "issuer", "year", "unit", "status", "direction", "date_from", "date_to"):
        assert f'name="{name}"' in html

    partial = client.get(reverse("documents:search"), {"q": "hoa binh"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert partial.content.decode().startswith('<div id="search-results"')
    assert "<html" not in partial.content.decode()


def test_the_page_ignores_bad_filters_with_a_message(tree, users, client_for):
    d = doc(tree.district_a, "Kế hoạch tỉnh Hòa Bình")
    client = client_for(users.owner)

    page = client.get(
        reverse("documents:search"),
        {
            "q": "hoa binh",
            "year": "abc",
            "unit": str(tree.district_b.pk),
            "date_from": "31/02/2026",
            "page": "x",
        },
    )

    assert page.status_code == 200
    assert d.get_absolute_url() in page.content.decode()
    assert page.content.decode().count('class="error"') == 3


def test_the_page_paginates_and_says_more_than_the_limit(tree, users, client_for, monkeypatch):
    from steerdesk.documents import views_search

    monkeypatch.setattr(views_search, "PAGE_SIZE", 2)
    monkeypatch.setattr(search, "RANK_LIMIT", 4)
    for i in range(6):
        doc(tree.district_a, f"Báo cáo tuần {i} về giao thông", signing_date=datetime.date(2026, 1, i + 1))
    client = client_for(users.owner)

    first = client.get(reverse("documents:search"), {"q": "giao thong"}).content.decode()
    assert "More than 4 documents found" in first
    assert "page=2" in first and 'rel="prev"' not in first

    second = client.get(reverse("documents:search"), {"q": "giao thong", "page": "2"}).content.decode()
    assert "tuần 3" in second and 'rel="prev"' in second

    monkeypatch.setattr(search, "RANK_LIMIT", 100)
    counted = client.get(reverse("documents:search"), {"q": "giao thong", "page": "3"}).content.decode()
    assert "6 documents found." in counted and "Page 3 of 3" in counted
