from sovereign.text.normalize import collapse_whitespace, detex, fold, none_if_blank


def test_collapse_joins_hard_wrapped_lines():
    assert collapse_whitespace("  A fully differential\n  calculation\tis\n") == (
        "A fully differential calculation is"
    )
    assert collapse_whitespace(None) == ""


def test_detex_resolves_accents_and_drops_markup():
    assert detex("C. Bal\\'azs and G\\\"odel") == "C. Balázs and Gödel"
    assert detex('na\\"\\i ve \\c{c}a') == "naïve ça"
    assert detex("an $\\ell_1$ norm, \\emph{sparse} experts \\cite{x}") == (
        "an ell 1 norm, sparse experts x"
    )


def test_fold_strips_accents_and_case():
    assert fold("Ça Übér") == "ca uber"


def test_missing_value_spellings_are_none():
    for value in (None, "", "  ", "None", "null", "NaN"):
        assert none_if_blank(value) is None
    assert none_if_blank("0") == "0"  # a real title in arXiv's data


def test_search_words_split_hyphens_like_a_search_engine():
    from sovereign.text.normalize import search_words

    assert search_words("Mixture-of-Experts on VQA-CP v2.0") == [
        "mixture",
        "of",
        "experts",
        "on",
        "vqa",
        "cp",
        "v2.0",
    ]
