import pytest

from monitor.arabic import normalize, readings, token_spans, tokens

NORMALISATION = [
    # (input, expected, what)
    ("أحمد", "احمد", "alef with hamza above"),
    ("إنهاء", "انهاء", "alef with hamza below"),
    ("آب", "اب", "alef madda"),
    ("ٱلله", "الله", "alef wasla"),
    ("مستشفى", "مستشفي", "alef maqsura"),
    ("مهمة", "مهمه", "teh marbuta"),
    ("مسئول", "مسءول", "yeh with hamza"),
    ("مسؤول", "مسءول", "waw with hamza: same as مسئول"),
    ("شركاؤنا", "شركاءنا", "waw hamza inside"),
    ("شركائنا", "شركاءنا", "yeh hamza inside: same as شركاؤنا"),
    ("العسكریة", "العسكريه", "Persian yeh"),
    ("مھمة", "مهمه", "Persian heh doachashmee (seed 003)"),
    ("کردستان", "كردستان", "keheh"),
    ("گاز", "كاز", "gaf"),
    ("پاریس", "باريس", "peh"),
    ("ڤيينا", "فيينا", "veh"),
    ("چین", "جين", "tcheh"),
    ("ژنرال", "زنرال", "jeh"),
    ("٢٠٢٦", "2026", "Arabic-Indic digits"),
    ("۲۰۲۶", "2026", "Extended Arabic-Indic digits"),
    ("نعم، لا؛ لماذا؟ ٥٠٪", "نعم, لا; لماذا? 50%", "Arabic punctuation"),
    ("مُهِمَّةٌ", "مهمه", "harakat, shadda, tanween"),
    ("الرحمٰن", "الرحمن", "dagger alef"),
    ("العـــراق", "العراق", "tatweel"),
    ("الع\u200cراق", "العراق", "zero-width non-joiner"),
    ("\u200fالعراق\u200e", "العراق", "RLM and LRM"),
    ("\u2067العراق\u2069", "العراق", "bidi isolates"),
    ("\ufeffالعراق", "العراق", "BOM"),
    ("ﻻ", "لا", "lam-alef ligature (NFKC)"),
    ("ﺍﻟﻌﺮﺍﻕ", "العراق", "presentation forms (NFKC)"),
    ("HMC Baghdad", "hmc baghdad", "Latin lower-cased"),
]


@pytest.mark.parametrize(("text", "expected", "what"), NORMALISATION, ids=[r[2] for r in NORMALISATION])
def test_normalize(text, expected, what):
    assert normalize(text) == expected


def test_tokens_split_on_punctuation_and_quotes():
    assert tokens("لـ”التحالف الدولي” (HMC) ٢٠٢٦") == ["ل", "التحالف", "الدولي", "hmc", "2026"]


@pytest.mark.parametrize(
    ("token", "must_include", "must_not_include"),
    [
        ("والتحالف", {"التحالف", "تحالف"}, set()),
        ("بالتحالف", {"التحالف", "تحالف"}, set()),
        ("للتحالف", {"التحالف", "تحالف"}, set()),
        ("فللتحالف", {"التحالف", "تحالف"}, set()),
        ("وبالعراق", {"العراق", "عراق"}, set()),
        ("كالعاده", {"العاده"}, set()),
        ("ورقه", {"رقه"}, {"الرقه"}),  # ورقة never reads as الرقة
        ("وب", set(), {"ب", ""}),  # never fewer than two letters
    ],
)
def test_readings(token, must_include, must_not_include):
    r = set(readings(token))
    assert token in r
    assert must_include <= r
    assert not (must_not_include & r)
    assert all(len(x) >= 2 for x in r)


def test_token_spans_align_with_tokens_and_keep_original_spelling():
    text = "أعلنت الحكومة العراقیة، اليوم، إنھاء المُهمّة لـ”التحالف” ٢٠٢٦"
    spans = list(token_spans(text))
    assert [t for t, _, _ in spans] == tokens(text)
    originals = [text[s:e] for _, s, e in spans]
    assert "العراقیة" in originals  # the Persian yeh as written
    assert "المُهمّة" in originals  # diacritics kept for display
    assert "٢٠٢٦" in originals


def test_spans_cover_each_token_on_every_path():
    """Each token's span, read back, holds that token: plain words (fastest path), words of
    letters and digits or with a stray diacritic (per-word path), ligatures (slow path)."""
    from pathlib import Path

    from monitor.arabic import spans

    root = Path(__file__).resolve().parent.parent
    texts = [p.read_text(encoding="utf-8") for p in sorted((root / "seeds").glob("*.txt"))]
    texts += [
        "أعلنت الحكومة العراقیة، اليوم، إنھاء المُهمّة",
        "كوردستان24 وفرانس24 COVID19",
        "مُهِمَّةٌ ـ لـ”التحالف” ٢٠٢٦",
        " َمهمة ـ ـ abc",
        "ﻻ للحرب ﷲ",
    ]
    for text in texts:
        toks = tokens(text)
        found = spans(text, len(toks))
        assert len(found) == len(toks)
        for tok, (start, end) in zip(toks, found, strict=True):
            assert tok in tokens(text[start:end]), (text[:40], tok, text[start:end])
        assert [s for s, _ in found] == sorted(s for s, _ in found)
    assert spans("كوردستان24 نيوز", 3) == [(0, 8), (8, 10), (11, 15)]  # letters and digits: apart
    assert spans("مُهِمَّةٌ كبيرة", 2) == [(0, 9), (10, 15)]  # diacritics kept for display


def test_leading_spans_agree_with_the_whole_text_for_the_tokens_they_cover():
    from pathlib import Path

    from monitor.arabic import leading_spans, spans

    root = Path(__file__).resolve().parent.parent
    texts = [p.read_text(encoding="utf-8") for p in sorted((root / "seeds").glob("*.txt"))]
    texts += ["كوردستان24 " * 40 + "مُهِمَّةٌ ـ لـ”التحالف” " * 30, "ﻻ للحرب " * 50]
    for text in texts:
        toks = tokens(text)
        whole = spans(text, len(toks))
        for last in (0, 1, 5, 17, len(toks) // 3, len(toks) - 2, len(toks) - 1):
            head = leading_spans(text, toks, last)
            assert len(head) > last
            assert head == whole[: len(head)], (text[:30], last)


def test_spans_from_the_tokenisers_translation_survive_emoji_and_ligatures():
    from monitor.arabic import leading_spans, spans

    for text in ("🙂 العراق 🙂التحالف 2026🙂", "ﻻ للحرب ﷲ أكبر", "كوردستان24 " * 3):
        toks = tokens(text)
        assert leading_spans(text, toks, len(toks) - 1) == spans(text, len(toks))


def test_token_offsets_skip_words_to_the_same_spans_or_decline():
    from pathlib import Path

    from monitor.arabic import spans, token_offsets

    root = Path(__file__).resolve().parent.parent
    texts = [p.read_text(encoding="utf-8") for p in sorted((root / "seeds" / "golden").glob("*.txt"))]
    texts += ["  أعلنت الحكومة العراقیة، اليوم، إنھاء المُهمّة لـ”التحالف” ٢٠٢٦  "]
    checked = 0
    for text in texts:
        toks = tokens(text)
        found = token_offsets(text, toks, range(len(toks)))
        if found is None:  # a word of letters and digits, a stray diacritic…: the caller reads it all
            assert not toks.regular
            continue
        checked += 1
        assert [found[k] for k in range(len(toks))] == spans(text, len(toks))
        some = token_offsets(text, toks, [len(toks) - 1, 3, 0])
        assert some == {k: found[k] for k in (0, 3, len(toks) - 1)}
    assert checked >= 5
    text = "أربيل (كوردستان24)- أعلنت  َمهمة"  # letters and digits in one word; a stray diacritic
    assert token_offsets(text, tokens(text), range(5)) == dict(enumerate(spans(text, 5)))
    assert token_offsets("مهمة", tokens("مهمة"), [5]) is None  # past the last token
    assert token_offsets("مهمة ـ خبر", tokens("مهمة ـ خبر"), [1]) is None  # a word that is no token


# Spelling slips as real Arabic news and Telegram type them. Each fold: the pairs it must join and
# the near-words it must leave apart (compared as normalised text and as tokens, as rules see them).
FOLDS = {
    "hamza on the wrong seat, after ال too (alef forms fold)": (
        [
            ("الإمريكي", "الأمريكي"),
            ("الإمريكي", "الامريكي"),
            ("الآمريكي", "الأمريكي"),
            ("الإتفاق", "الاتفاق"),
            ("الإنسحاب", "الانسحاب"),
            ("الآن", "الان"),
            ("لآ", "لا"),
        ],
        [("إنهاء", "إنها"), ("سأل", "سئل"), ("بدأ", "بدء"), ("مؤمن", "مأمن")],
    ),
    "alef maqsura and yeh": (
        [("مستشفى", "مستشفي"), ("الذى", "الذي"), ("إلى", "إلي")],
        [("الأسرى", "الأسرة"), ("عصى", "عصا")],
    ),
    "teh marbuta and heh": (
        [("مهمة", "مهمه"), ("الرقة", "الرقه")],
        [("مهمة", "مهم"), ("قوة", "قوت")],
    ),
    "hamza on waw and yeh": (
        [("مسئول", "مسؤول"), ("شئون", "شؤون"), ("شيئ", "شيء"), ("سيئ", "سيء")],
        [("سأل", "سئل"), ("مؤمن", "مأمن")],
    ),
    "tatweel": (
        [("العـــراق", "العراق"), ("بـالعراق", "بالعراق"), ("الأمريكـية", "الأمريكية")],
        [("لـ التحالف", "للتحالف")],  # a tatweel before a space does not join two words
    ),
    "Persian and Kurdish keyboard letters": (
        [
            ("العسكریة", "العسكرية"),
            ("مھمة", "مهمة"),
            ("کردستان", "كردستان"),
            ("الحکومە", "الحكومة"),
            ("علی", "على"),
        ],
        [("بیت", "بنت"), ("ھذا", "حذا")],
    ),
}


@pytest.mark.parametrize("fold", FOLDS)
def test_spelling_slips_fold_and_near_words_stay_apart(fold):
    join, apart = FOLDS[fold]
    for a, b in join:
        assert normalize(a) == normalize(b), (a, b)
        assert tokens(a) == tokens(b), (a, b)
    for a, b in apart:
        assert normalize(a) != normalize(b), (a, b)
        assert tokens(a) != tokens(b), (a, b)


# Slips left alone, because the fold that would join them also joins different words (or because
# the issue puts them in an alias): these must stay different.
NOT_FOLDED = [
    ("شيء", "شئ", "final يء→ء would also join بطيء/بطء, مليء/ملء, بريء/برء"),
    ("بطيء", "بطء", "slow / slowness"),
    ("مليء", "ملء", "full / filling"),
    ("بريء", "برء", "innocent / recovery"),
    ("شاطئ", "شاطىء", "ىء is also Egypt's dotless final yeh before hamza: شىء is شيء"),
    ("هيئة", "هيأة", "the Iraqi spelling: an alias, as تهيأ/تهيئ are different verbs"),
    ("التواجد", "الوجود", "different words: an alias (issue 11)"),
    ("جداااا", "جدا", "collapsing a repeated letter is ambiguous: شدددد is شدد, جداااا is جدا"),
    ("مسؤولوا", "مسؤولو", "final وا→و would join غزوا (they invaded) and غزو (invasion)"),
    ("الائتلاف", "الإتلاف", "coalition / destruction"),
]


@pytest.mark.parametrize(("a", "b", "why"), NOT_FOLDED, ids=[w.split(":")[0][:30] for _, _, w in NOT_FOLDED])
def test_slips_whose_fold_would_join_different_words_stay_apart(a, b, why):
    assert normalize(a) != normalize(b)


def test_a_rule_written_with_hamza_matches_the_slip_and_the_bare_spelling():
    from datetime import UTC, datetime

    from monitor.config import RuleConfig
    from monitor.model import Article
    from monitor.rules import compile_rules, match

    rules = compile_rules([RuleConfig.model_validate({"id": "r", "any": ["القوات الأمريكية"]})], {})
    now = datetime(2026, 11, 22, tzinfo=UTC)
    for text in ("انسحاب القوات الإمريكية", "انسحاب القوات الامريكية", "انسحاب القوات الأمریکیة"):
        assert match(Article("k", "", "", "", "", text, None), rules, now), text


def test_every_character_of_the_tables_is_what_it_gives_alone():
    """The tables are built at import by a fast path for the characters that NFKC, the translation
    table and lower-casing leave alone: each of the 65,536 entries is what :func:`_entry` (the
    definition) gives, and each token class is what the regular expressions say."""
    import re
    import unicodedata

    from monitor import arabic

    expanding = ""
    for cp in range(0x10000):
        mapped, part = arabic._entry(chr(cp))
        assert (arabic._NORM_LIST[cp], arabic._TOKEN_LIST[cp]) == (mapped, part), hex(cp)
        if part not in (arabic._GAP, " ") and len(part) != 1:
            expanding += chr(cp)
    assert expanding == arabic._EXPANDING and "ﻻ" in expanding

    letter = re.compile(r"[^\W\d_]")
    for cp, entry in enumerate(arabic._TOKEN_LIST):
        if cp == 0 or entry == " " or len(entry) != 1:
            want = " "
        elif entry == arabic._GAP:
            want = "g"
        else:
            want = "a" if letter.match(entry) else "d"
        assert arabic._CLASS_LIST[cp] == want, hex(cp)

    every = (range(0x10000), range(0x11000, 0x1F000), range(0xE0000, 0xE1000))
    cf = [cp for r in every for cp in r if unicodedata.category(chr(cp)) == "Cf"]
    assert arabic._format_chars() == cf and 0x200C in cf and 0xFEFF in cf


def test_the_blocks_filled_in_bulk_are_what_each_character_gives():
    """The normalising and token tables fill CJK, Hangul, surrogates and private use in bulk at
    import (a start-up's worth of time): each of those characters is what it would be alone."""
    from monitor import arabic

    for blocks, letters in ((arabic.PLAIN_LETTERS, True), (arabic.PLAIN_OTHER, False)):
        for lo, hi in blocks:
            for cp in range(lo, hi):
                ch = chr(cp)
                assert arabic._entry(ch) == (ch, ch if letters else " "), hex(cp)
                assert (arabic._NORM_LIST[cp], arabic._TOKEN_LIST[cp]) == (ch, ch if letters else " ")
