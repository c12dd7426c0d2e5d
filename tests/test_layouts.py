"""Golden files for page layouts that cost real Arabic pages their lead, or added boilerplate and the
outlet's name: each page in tests/fixtures/pages is written here and reproduces one layout (its
comment names the outlet whose page taught it); its expected title, date and body are in
tests/golden/pages. Regenerate with ``pytest tests/test_layouts.py --regen-golden``, review the diff.
"""

from pathlib import Path

import lxml.html
import pytest

from monitor.bodytext import (
    feed_summary,
    loose_text_to_paragraphs,
    with_lead,
    without_repeated_title,
    without_trailing_chrome,
)
from monitor.extract import extract_page
from monitor.published import stored
from monitor.titles import clean_title, host_names

ROOT = Path(__file__).resolve().parent
PAGES = {
    "lead_outside_articlebody": "https://arabic.nabaa.example/world/202103161044-jordan-iraq/",
    "headline_in_body": "https://www.alwadinews.example/article/825-agriculture",
    "comment_policy": "http://arabic.ufuq.example/2013/middle_east/9/18/solar.plant/index.html",
    "newsletter_and_site_title": "https://www.alnahar-aljadeed.example/story/2020/9/15/irrigation/4943",
    # Maghress: the headline and the lead in one block, so trafilatura gives them as one line
    "headline_span_in_lead": "https://www.maghress.example/alakhbar/2001",
    # ICRC: the article under a section whose class says "bottom": trafilatura's fast pass finds nothing
    "bottom_class_section": "https://www.humanitarian.example/ar/document/civilians-statement",
    # Sputnik: a "read also" box inside a paragraph; the paragraph's rest is the box's tail
    "box_inside_paragraph": "https://arabic.nabaa.example/world/20210408/",
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_layout_matches_golden(name, regen):
    x = extract_page((ROOT / "fixtures" / "pages" / f"{name}.html").read_bytes(), PAGES[name])
    assert x is not None
    text = f"{x.title}\n{stored(x.published) or ''}\n\n{x.body}\n"
    golden = ROOT / "golden" / "pages" / f"{name}.txt"
    if regen:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_the_lead_outside_the_article_block_is_recovered_whole():
    x = extract_page(
        (ROOT / "fixtures" / "pages" / "lead_outside_articlebody.html").read_bytes(), "https://x.example/"
    )
    assert x is not None
    first = x.body.split("\n")[0]
    assert first.startswith("أعلنت وزارة الداخلية الأردنية") and first.endswith("بعد أشهر من أعمال التأهيل.")
    assert "الأكثر قراءة" not in x.body and "تابعنا عبر" not in x.body  # no chrome came with it


def test_a_site_description_in_the_page_s_chrome_is_not_a_lead():
    tagline = "موقع إخباري يتناول الشؤون المحلية والعربية والدولية على مدار الساعة"
    page = (ROOT / "fixtures" / "pages" / "newsletter_and_site_title.html").read_text(encoding="utf-8")
    page = page.replace("</title>", f'</title><meta name="description" content="{tagline}">')
    page = page.replace("<footer>", f"<footer><p>{tagline}</p>").replace(
        "<header>", f"<header><p>{tagline}</p>"
    )
    x = extract_page(page.encode(), "https://x.example/")
    assert x is not None and tagline not in x.body


@pytest.mark.parametrize(
    ("title", "names", "headline", "expected"),
    [
        ("وزير الري يتفقد الترع - اليوم السابع", ["اليوم السابع"], "", "وزير الري يتفقد الترع"),
        (
            "المدينة نيوز - عمان :50 مليون دينار لدعم المزارعين",
            ["شركة"],
            "عمان :50 مليون دينار لدعم المزارعين",
            "عمان :50 مليون دينار لدعم المزارعين",
        ),
        (
            "المدينة نيوز - عمان :50 مليون دينار لدعم المزارعين",
            ["المدينة نيوز"],
            "",
            "عمان :50 مليون دينار لدعم المزارعين",
        ),
        ("خبر عاجل | Euronews", ["Euronews"], "", "خبر عاجل"),
        (
            "افتتاح محطة للطاقة الشمسية - CNNArabic.com",
            host_names("http://arabic.cnn.com/2013/x"),
            "",
            "افتتاح محطة للطاقة الشمسية",
        ),
        ("الأردن يفتح معبرا جديدا - Sputnik Arabic", ["Sputnik_Ar"], "", "الأردن يفتح معبرا جديدا"),
        ("خبر - قسم - أخبار وتقارير - البيان", ["البيان"], "خبر", "خبر"),
        # a separator that is the headline's own is kept
        ("غزة - رفح: قصف جديد", ["الجزيرة نت"], "", "غزة - رفح: قصف جديد"),
        ("وزارة النقل: تشغيل خط جديد", ["RT Arabic"], "", "وزارة النقل: تشغيل خط جديد"),
        ("اتفاق جديد بين البلدين", ["اليوم السابع"], "", "اتفاق جديد بين البلدين"),
        ("القدس - اشتباكات عند باب العامود", ["القدس العربي"], "", "القدس - اشتباكات عند باب العامود"),
        ("اشتباكات عند باب العامود - القدس العربي", ["القدس العربي"], "", "اشتباكات عند باب العامود"),
        ("زيارة رسمية - أخبار العراق", ["أخبار"], "", "زيارة رسمية - أخبار العراق"),
        ("خبر عاجل - الجزيرة نت", ["شبكة الجزيرة نت الإخبارية"], "", "خبر عاجل"),
    ],
)
def test_titles_without_the_outlet(title, names, headline, expected):
    assert clean_title(title, names, headline) == expected


@pytest.mark.parametrize(
    "tail",
    [
        "ترحب شبكة الأفق بالنقاش البناء، ونرجو قراءة قواعد التعليق قبل المشاركة.",
        "الآراء الواردة أدناه لا تعبر عن رأي الموقع، وإنما عن آراء كاتبيها.",
        "التعليقات لا تعبر بالضرورة عن رأي الموقع",
        "اشترك في النشرة البريدية لتصلك أهم الأخبار",
        "اشترك الآن في نشرتنا الإخبارية",
        "حمّل تطبيق الموقع على هاتفك",
        "جميع الحقوق محفوظة © 2024",
        "تابعونا على تويتر وفيسبوك",
    ],
)
def test_boilerplate_at_the_end_of_a_body_is_removed(tail):
    body = "الفقرة الأولى من الخبر.\nالفقرة الثانية من الخبر."
    assert without_trailing_chrome(f"{body}\n{tail}") == body


def test_the_same_words_inside_the_article_are_kept():
    body = (
        "ترحب الحكومة بالنقاش حول الموازنة.\nوقال الوزير إن النشرة الاقتصادية تصدر غدا.\nوتابع الوزير حديثه."
    )
    assert without_trailing_chrome(body) == body


def test_a_repeated_headline_is_dropped_from_the_body():
    assert without_repeated_title("خبر عاجل\nنص الخبر", "خبر عاجل") == "نص الخبر"
    assert without_repeated_title("نص الخبر\nخبر عاجل", "خبر عاجل") == "نص الخبر\nخبر عاجل"


def test_a_headline_glued_to_the_lead_line_is_cut_from_it():
    title = "عاجل.. الحكومة تعلن خطة جديدة -التفاصيل"
    body = "| عاجل.. الحكومة تُعلن خطة جديدة -التفاصيل أعلنت الوزارة اليوم خطة.\nوقال الوزير إنها تبدأ غدا."
    cut = without_repeated_title(body, title, glued=True)
    assert cut == "أعلنت الوزارة اليوم خطة.\nوقال الوزير إنها تبدأ غدا."
    assert without_repeated_title(body.split("\n")[0], title, glued=True) == "أعلنت الوزارة اليوم خطة."
    assert without_repeated_title(body, title) == body  # not known to be glued: left whole


def test_a_lead_paragraph_that_begins_with_the_headline_is_left_whole():
    """Sites often title an article with its lead's first clause: that lead keeps its words."""
    title = "أعلنت وزارة الصحة تسجيل إصابات جديدة بالفيروس"
    lead = f"{title} في ثلاث محافظات خلال الساعات الماضية، بينها العاصمة."
    rest = "وقال المتحدث باسم الوزارة إن الفرق الطبية تتابع الحالات. " * 12
    page = (
        f'<html lang="ar"><head><meta property="og:title" content="{title}"></head><body>'
        f"<h1>{title}</h1><article><p>{lead}</p><p>{rest}</p></article></body></html>"
    ).encode()
    for metadata in (True, False):
        x = extract_page(page, "https://x.example/a", metadata=metadata)
        assert x is not None and x.body.startswith(lead)


def test_an_article_the_fast_pass_misses_is_still_extracted():
    page = (ROOT / "fixtures" / "pages" / "bottom_class_section.html").read_bytes()
    for metadata in (True, False):
        x = extract_page(page, "https://x.example/a", metadata=metadata)
        assert x is not None
        assert "السيد الرئيس، تتابع المنظمة بقلق بالغ" in x.body
        assert x.body.endswith("وحماية كرامة الإنسان في كل مكان.")


def test_a_lead_that_starts_with_a_short_headline_s_words_keeps_them():
    # a three-word headline at a line's start is as likely the lead's own first words
    body = "الحكومة تعلن خطة لدعم المزارعين في الجنوب.\nوقال الوزير إنها تبدأ غدا."
    assert without_repeated_title(body, "الحكومة تعلن خطة") == body
    # a longer line that only shares the headline's first words is left alone
    title = "الحكومة تعلن خطة جديدة للمزارعين"
    assert without_repeated_title("الحكومة تعلن خطة جديدة للصيادين في الشمال", title).startswith("الحكومة")


LEAD = "أعلنت وزارة الصحة اليوم تسجيل ثلاثين إصابة جديدة بالفيروس ليرتفع العدد الإجمالي إلى مئتي إصابة."
REST = "وقال المتحدث باسم الوزارة إن الحالات الجديدة من المخالطين.\nوأكد أن الفرق الطبية تتابع الحالات."


@pytest.mark.parametrize(
    ("body", "summary", "expected"),
    [
        (REST, LEAD, f"{LEAD}\n{REST}"),  # the body lacks what the summary states: it leads
        (REST, LEAD[:60] + "...", f"{LEAD[:60]}\n{REST}"),  # a cut summary, without its ellipsis
        (f"{LEAD}\n{REST}", LEAD, f"{LEAD}\n{REST}"),  # already there
        (REST, "عاجل", REST),  # too short to tell
        (REST, "", REST),
        (
            REST,
            f"{LEAD} The post وزارة الصحة appeared first on الموقع.",
            f"{LEAD}\n{REST}",
        ),
    ],
)
def test_the_feed_summary_leads_a_body_that_lacks_it(body, summary, expected):
    assert with_lead(body, summary) == expected


def test_feed_summary_tails():
    assert feed_summary("نص الملخص [&#8230;]".replace("&#8230;", "…")) == "نص الملخص"
    assert feed_summary("نص الملخص ظهرت المقالة عنوان أولاً على موقع.") == "نص الملخص"


def test_the_sentence_after_a_box_inside_a_paragraph_is_kept():
    x = extract_page(
        (ROOT / "fixtures" / "pages" / "box_inside_paragraph.html").read_bytes(), "https://x.example/"
    )
    assert x is not None
    assert "وذكرت اللجنة أن عدد الحالات التي لم تظهر أعراض" in x.body
    assert "الحصيلة الأكبر في العالم" not in x.body  # the box itself stays out


def test_only_sentences_loose_in_a_text_block_become_paragraphs():
    tree = lxml.html.fromstring(
        "<html><body><div class='text'><p>فقرة أولى من النص.</p><div class='box'>صندوق</div>"
        "وذكرت المصادر أن الاجتماع سيعقد الأسبوع المقبل في العاصمة.</div>"
        "<div class='footer'><div>روابط</div> | حقوق النشر محفوظة</div>"  # no paragraphs: chrome
        "<div class='text'><p>فقرة</p><div>صندوق</div> | </div></body></html>"  # a separator
    )
    assert loose_text_to_paragraphs(tree) == 1
    ps = [p.text for p in tree.iter("p")]
    assert ps == ["فقرة أولى من النص.", "وذكرت المصادر أن الاجتماع سيعقد الأسبوع المقبل في العاصمة.", "فقرة"]
