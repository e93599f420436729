import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from steerdesk.core.text import (
    fold,
    full_name_sort_key,
    name_sort_key,
    nfc,
    split_name,
    tokens,
    tone_canonical,
)

VIET_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
TONED = "àảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
word = st.text(alphabet=VIET_LETTERS + TONED, min_size=1, max_size=7)


def test_it_folds_diacritics_and_d_bar():
    assert fold("Đảng ủy Hoà Bình") == "dang uy hoa binh"
    assert fold("hòa bình") == fold("hoà bình") == "hoa binh"
    assert fold("ÐẢNG") == "dang"  # look-alike U+00D0


def test_it_folds_nfd_like_nfc():
    text = "Nguyễn Thị Minh Khai"
    assert fold(unicodedata.normalize("NFD", text)) == fold(text)
    assert nfc(unicodedata.normalize("NFD", text)) == text


def test_it_tokenises_document_numbers():
    assert tokens("Số: 12/QĐ-UBND") == ["so", "12", "qd", "ubnd"]


def test_tone_placement_variants_are_equal_canonically():
    assert tone_canonical("Hoà Bình") == tone_canonical("Hòa Bình")
    assert tone_canonical("thuỷ") == tone_canonical("thủy")
    assert tone_canonical("hoà") != tone_canonical("hoả")


def test_it_splits_names_family_middle_given():
    parts = split_name("Nguyễn Thị Minh Khai")
    assert (parts.family, parts.middle, parts.given) == ("Nguyễn", "Thị Minh", "Khai")
    parts = split_name("Hoàng Phủ Ngọc Tường")
    assert (parts.family, parts.middle, parts.given) == ("Hoàng Phủ", "Ngọc", "Tường")
    assert split_name("An").given == "An"


def test_names_sort_by_given_then_middle_then_family():
    names = ["Trần Văn Bình", "Lê Thị An", "Phạm Đức", "Nguyễn Dũng", "Vũ Ăn", "Đỗ Anh", "Lê Văn An"]
    ordered = sorted(names, key=full_name_sort_key)
    assert ordered == [
        "Lê Thị An",
        "Lê Văn An",
        "Đỗ Anh",
        "Vũ Ăn",
        "Trần Văn Bình",
        "Nguyễn Dũng",
        "Phạm Đức",
    ]


def test_tones_only_break_ties_in_the_standard_order():
    given_names = ["Á", "A", "Ạ", "À", "Ã", "Ả"]
    ordered = sorted(given_names, key=lambda g: name_sort_key(given=g))
    assert ordered == ["A", "À", "Ả", "Ã", "Á", "Ạ"]


@given(word, word)
def test_sort_key_orders_base_letters_by_the_vietnamese_alphabet(a, b):
    def primary(w):
        out = []
        for ch in unicodedata.normalize("NFD", w):
            if unicodedata.combining(ch) and ch not in "\u0306\u0302\u031b":
                continue
            out.append(ch)
        return [VIET_LETTERS.index(c) for c in unicodedata.normalize("NFC", "".join(out))]

    if primary(a) != primary(b):
        assert (name_sort_key(given=a) < name_sort_key(given=b)) == (primary(a) < primary(b))


@given(st.text(max_size=40))
def test_fold_is_idempotent_and_ascii_for_vietnamese(text):
    once = fold(text)
    assert fold(once) == once


@given(st.text(alphabet=VIET_LETTERS + TONED + " ", max_size=30))
def test_fold_of_vietnamese_is_plain_ascii(text):
    assert fold(text).isascii()


@given(st.lists(word, min_size=1, max_size=4))
def test_sort_key_is_stable_under_nfd(words):
    name = " ".join(words)
    assert full_name_sort_key(name) == full_name_sort_key(unicodedata.normalize("NFD", name))
