"""Folding and tokens: what the index stores and what a query becomes."""

from eoffice.search.text import fold, index_text, tokens


def test_fold_removes_accents_case_and_folds_d_stroke():
    assert fold("Chỉ thị về CẢI CÁCH hành chính") == "chi thi ve cai cach hanh chinh"
    assert fold("Đẩy mạnh đô thị Đà Nẵng") == "day manh do thi da nang"
    assert fold("  Hỏa   tốc ") == "hoa toc"
    assert fold("") == "" and fold(None) == ""  # type: ignore[arg-type]


def test_tokens_drop_every_syntax_character():
    assert tokens("05/CT-UBND") == ["05", "ct", "ubnd"]
    assert tokens('"*():-^ NEAR( AND OR') == ["near", "and", "or"]
    assert tokens("' OR 1=1 --") == ["or", "1", "1"]
    assert tokens("___") == [] and tokens("\"'") == []


def test_index_text_joins_the_tokens_of_every_part():
    assert index_text("120/STC-NS", None, "", "Sở Tài chính") == "120 stc ns so tai chinh"
