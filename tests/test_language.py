"""Language detection by words: Arabic typed on Persian and Kurdish keyboards is Arabic; Persian,
Sorani and Urdu are not, whatever keyboard typed them; titles alone follow a stated rule."""

from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

import pytest

from monitor.config import load_rules_file
from monitor.explain import explain
from monitor.language import detect_language, spellings, word_counts
from monitor.model import Article
from monitor.rules import match

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 22, tzinfo=UTC)
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
SWAPS = {"ي": "ی", "ك": "ک", "ه": "ھ", "ى": "ی"}  # what Persian and Kurdish keyboards type
SWAP_SETS = [dict(c) for n in range(1, 5) for c in combinations(SWAPS.items(), n)]


def seed(path: Path) -> Article:
    title, _, body = path.read_text(encoding="utf-8").partition("\n")
    return Article(key=path.stem, url="", source="", title=title, summary="", body=body, published=None)


def retyped(article: Article, swaps: dict[str, str], every: int = 1) -> Article:
    """``article`` with every ``every``-th occurrence of each letter in ``swaps`` typed the other way."""

    def swap(text: str) -> str:
        seen = dict.fromkeys(swaps, 0)
        out = []
        for c in text:
            if c in swaps:
                seen[c] += 1
                if seen[c] % every == 0:
                    c = swaps[c]
            out.append(c)
        return "".join(out)

    return Article(article.key, "", "", swap(article.title), swap(article.summary), swap(article.body), None)


def found(article: Article, ruleset) -> list[tuple[str, float, list[str]]]:
    return [(m.rule_id, m.score, m.terms) for m in match(article, ruleset, NOW)]


@pytest.fixture(scope="module")
def example_rules():
    return load_rules_file(ROOT / "config" / "rules.yaml")


@pytest.mark.parametrize("path", SEEDS, ids=[p.stem for p in SEEDS])
def test_seeds_typed_on_persian_and_kurdish_keyboards_are_arabic_and_match_the_same_rules(
    path, example_rules
):
    original = seed(path)
    expected = found(original, example_rules)
    assert expected  # every seed matches an example rule
    for swaps in SWAP_SETS:
        for every in (1, 2, 3):  # every letter, every other one, every third
            article = retyped(original, swaps, every)
            label = f"{''.join(swaps.values())} every {every}"
            assert detect_language(f"{article.title}\n{article.body[:1000]}") == "ar", label
            assert found(article, example_rules) == expected, label


def test_a_retyped_seed_is_not_turned_away_by_the_language_guard(example_rules):
    """`rasad rules test` said "language fa not in [ar]" for seed 003 typed with ی ک ھ."""
    article = retyped(seed(SEEDS[3]), SWAPS)
    assert [e.reason for e in explain(article, example_rules, NOW)] == [None] * len(example_rules)


PERSIAN = [
    # news that names Iraq, America and the coalition, as an Iranian outlet writes it
    "وزارت خارجه عراق اعلام کرد که مذاکرات با آمریکا درباره پایان مأموریت ائتلاف بین‌المللی در بغداد ادامه دارد.",
    "به گزارش خبرگزاری‌ها، نیروهای ائتلاف به رهبری آمریکا تا سپتامبر ۲۰۲۶ از پایگاه‌های خود در عراق خارج خواهند شد.",
    "سخنگوی دولت عراق روز سه‌شنبه گفت کمیته عالی نظامی مشترک دو کشور جدول زمانی خروج نیروهای خارجی را بررسی "
    "کرده است. وی افزود این روند با همکاری ائتلاف و بر اساس توافق‌های امنیتی انجام می‌شود و هیچ پایگاهی بدون "
    "هماهنگی با ارتش عراق تحویل داده نمی‌شود.",
    "پارلمان عراق خواستار خروج کامل نیروهای آمریکایی شد",
    "خروج نیروهای آمریکایی از عراق",
    "مقام‌های آمریکایی می‌گویند حضور نظامی در اقلیم کردستان تا پایان سال آینده ادامه خواهد یافت و "
    "عراق باید برای تأمین امنیت مرزهای خود آماده شود.",
    "رئیس جمهور ایران در دیدار با نخست وزیر عراق گفت که خروج نیروهای بیگانه خواست مردم منطقه است.",
]
SORANI = [
    "هێزەکانی هاوپەیمانی نێودەوڵەتی بە سەرکردایەتی ئەمریکا لە کۆتایی ساڵی ٢٠٢٦ عێراق جێدەهێڵن.",
    "وەزارەتی دەرەوەی عێراق ڕایگەیاند کە گفتوگۆکان لەگەڵ واشنتن بۆ کۆتاییهێنان بە ئەرکی هاوپەیمانی بەردەوامن.",
    "سەرۆکی حکومەتی هەرێمی کوردستان لە دیدارێکدا لەگەڵ باڵیۆزی ئەمریکا باسی لە ئاسایشی ناوچەکە کرد و "
    "ڕایگەیاند کە هێزەکانی پێشمەرگە ئامادەن بۆ هاوکاری زیاتر لەگەڵ سوپای عێراق.",
    "پەرلەمانی عێراق داوای کشانەوەی هێزە بیانییەکانی کرد",
    "هاوپەیمانی نێودەوڵەتی و عێراق",
    "هێزهکانی هاوپهیمانی له ههرێمی کوردستان دهمێننهوه",  # the older spelling: ه for ە
]
URDU = [
    "پاکستان کے وزیر خارجہ نے کہا ہے کہ عراق میں امریکی فوج کی موجودگی پر بات چیت جاری ہے۔",
    "امریکہ اور عراق کے درمیان سیکیورٹی معاہدے پر مذاکرات ہوئے۔",
    "اتحادی افواج عراق سے نکل جائیں گی",
]


@pytest.mark.parametrize("text", PERSIAN, ids=[f"fa{i}" for i in range(len(PERSIAN))])
def test_persian_is_persian_on_any_keyboard_and_without_its_zero_width_joiners(text):
    assert detect_language(text) == "fa"
    assert detect_language(text.replace("ی", "ي").replace("ک", "ك")) == "fa"  # an Arabic keyboard
    assert detect_language(text.replace("\u200c", "")) == "fa"  # joiners lost on the way


@pytest.mark.parametrize("text", SORANI, ids=[f"ckb{i}" for i in range(len(SORANI))])
def test_sorani_is_kurdish(text):
    assert detect_language(text) == "ckb"
    assert detect_language(text.replace("ی", "ي").replace("ک", "ك")) == "ckb"


@pytest.mark.parametrize("text", URDU, ids=[f"ur{i}" for i in range(len(URDU))])
def test_urdu_is_urdu(text):
    assert detect_language(text) == "ur"


@pytest.mark.parametrize(
    "text",
    [
        "The US-led coalition will leave Iraq by September 2026, officials said.",
        "Коалиция покинет Ирак к сентябрю 2026 года",  # no Latin, no Arabic script either
        "联军将于2026年撤离伊拉克",
        "2026",
        "",
    ],
)
def test_text_that_is_not_in_arabic_script_is_other(text):
    assert detect_language(text) == "other"


@pytest.mark.parametrize(
    "text",
    [
        "ولي ولي العهد يبحث الجهود الإنسانية",  # ولی is Persian's "but": not on the Persian list
        "ترحيب واسع بالاتفاق والالتزام به",  # به is Persian's "to": not on it either
        "اين ما حلت امريكا حل الخراب",  # أين without its hamza is Persian's این
        "وَدَّ الَّذِينَ كَفَرُوا لَوْ تَغْفُلُونَ عَنْ أَسْلِحَتِكُمْ",  # vocalised: read again without marks
        "أعلن البنتاغون (Pentagon) أن القوات الأمريكية ستبقى في قاعدة عين الأسد",
    ],
)
def test_arabic_that_shares_words_or_marks_with_persian_is_arabic(text):
    assert detect_language(text) == "ar"


@pytest.mark.parametrize(
    ("title", "language"),
    [
        # a title with any word of a list is decided by its words …
        ("انسحاب القوات الأمريكية من العراق", "ar"),
        ("انسحاب القوات الأمریکیة من العراق", "ar"),
        ("خروج نیروهای آمریکایی از عراق", "fa"),
        ("پەرلەمانی عێراق", "ckb"),  # ێ: a Sorani letter is a Sorani word
        # … one without: Arabic, unless Persian's پ ژ or a zero-width non-joiner say otherwise
        ("مھمة التحالف الدولی", "ar"),
        ("العراق", "ar"),
        ("گمرگ الشلامچة", "ar"),  # Iraqi Arabic writes گ and چ
        ("پایگاه نظامی آمریکا", "fa"),
        ("ائتلاف بین\u200cالمللی و آینده عراق", "fa"),
    ],
)
def test_a_title_alone_is_judged_by_its_words_then_by_the_stated_rule(title, language):
    assert detect_language(title) == language


def test_the_seed_titles_alone_are_arabic_on_every_keyboard():
    for path in SEEDS:
        title = seed(path).title
        assert detect_language(title) == "ar"
        assert detect_language(title.translate(str.maketrans(SWAPS))) == "ar"


def test_words_count_in_every_keyboard_spelling_and_with_punctuation():
    assert sorted(spellings("على")) == sorted(["على", "علی", "علي"])
    assert word_counts("في، على: (التی) «الذی»")["ar"] == 4
    assert word_counts("نیروها می\u200cروند و سربازان\u200cها")["fa"] == 2  # می‌ and ‌ها, not و
    assert word_counts("ڕۆژی")["ckb"] == 2  # Sorani letters
    assert (
        word_counts("او ما هم بين بعد")["ar"] == word_counts("او ما هم بين بعد")["fa"] == 0
    )  # both use them


def test_only_the_sample_is_read():
    persian_tail = " است که را از در" * 40
    assert detect_language("في من على" + persian_tail, sample=20) == "ar"
    assert detect_language("في من على" + persian_tail) == "fa"
