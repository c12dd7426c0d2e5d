"""Build seeds/site/: each seed article as a news page with realistic chrome, plus an RSS feed.

The seed .txt files are the source of truth (kept byte-for-byte as in ../shared/seeds). This script
splits each into title, body and the page chrome its outlet wraps around it, and writes HTML the way
a news site serves it: navigation, search, a breaking-news ticker, share buttons, "related news",
a comment form and a footer. Run it again after changing a seed, then review the diff:

    python scripts/build_seed_site.py

The feed's links use the placeholder base SITE_BASE; the local site server (monitor/site.py)
replaces it with its own address when serving.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SITE_BASE = "http://seeds.rasad.invalid"


@dataclass
class Seed:
    stem: str
    outlet: str
    slug: str
    published: str  # ISO with offset
    header_chrome: list[str]  # lines of the seed that are page chrome above the article
    dropped: list[str]  # lines of the seed that are chrome anywhere (removed from the body)
    subheads: list[str]  # body lines that are subheadings
    after_body: list[str]  # chrome lines shown below the article (tags, author box, disclaimers)
    related_inline: int = 0  # "show related news" widgets inside the article (arabi21 style)
    caption: str | None = None


SEED_META = [
    Seed(
        "000_7f9b371b52a31392",
        "كتابات",
        "kitabat",
        "2024-09-21T17:13:00+03:00",
        header_chrome=["21 سبتمبر، 2024 5:13 م", "Search", "Close this search box."],
        dropped=["أخبار ذات صلة"],
        subheads=[
            "إجماع بين أعضاء التحالف على العمل مستقبلاً..",
            "“داعش” لم ينتهي تمامًا..",
            "طبيعة المحادثات..",
        ],
        after_body=[],
    ),
    Seed(
        "001_e7fe13eef03437ae",
        "عنب بلدي",
        "enabbaladi",
        "2024-01-26T12:30:00+03:00",
        header_chrome=["اخر الاخبار"],
        dropped=["اترك تعليقاً", "لن يتم نشر عنوان بريدك الإلكتروني. الحقول الإلزامية مشار إليها بـ *"],
        subheads=["مطالب سببها التصعيد"],
        after_body=[],
    ),
    Seed(
        "002_071eff8cf92bc83d",
        "المسلة",
        "almasalah",
        "2024-09-24T09:00:00+03:00",
        header_chrome=["تاريخ النشر: 24th, September 2024 GMT", "24 سبتمبر، 2024"],
        dropped=[],
        subheads=[],
        after_body=[
            "النص الذي يتضمن اسم الكاتب او الجهة او الوكالة، لايعبّر بالضرورة عن وجهة نظر المسلة، والمصدر هو المسؤول عن المحتوى. ومسؤولية المسلة هو في نقل الأخبار بحيادية، والدفاع عن حرية الرأي بأعلى مستوياتها.",
            "About Post Author زينSee author's posts",
            "المصدر: المسلة",
            "كلمات دلالية: القوات الأمیرکیة مهمة التحالف",
        ],
    ),
    Seed(
        "003_9752d2132f3ca193",
        "كوردستان24",
        "kurdistan24",
        "2024-01-27T15:20:00+03:00",
        header_chrome=[],
        dropped=[],
        subheads=[],
        after_body=[],
    ),
    Seed(
        "004_0fda4c2446710f18",
        "عربي21",
        "arabi21",
        "2025-09-07T11:00:00+03:00",
        header_chrome=["سياسة عربية"],
        dropped=["اظهار أخبار متعلقة", "التعليقات (0)", "خبر عاجل"],
        subheads=["العراق بحاجة إلى التحالف الدولي"],
        after_body=[],
        related_inline=2,
        caption="السفارة الأمريكية في العراق أعلنت تحول مهام التحالف الدولي في البلاد إلى شراكة أمنية ثنائية- واع",
    ),
]

# Seed 002's text ends with another outlet's story under "إقرأ أيضاً:" (read also): it is related
# news on the page, not the article.
READ_ALSO = "إقرأ أيضاً:"
APP_BANNER = "إضغط على الصورة لتحميل تطبيق النهار للإطلاع على كل الآخبار على البلاي ستور"

NAV = ["الرئيسية", "العراق", "سياسة", "اقتصاد", "رياضة", "ثقافة", "منوعات", "فيديو"]
TICKER = [
    "عاجل: ارتفاع أسعار النفط مع تراجع المخزونات الأمريكية",
    "عاجل: الأرصاد تتوقع موجة حر في المحافظات الجنوبية",
]
RELATED = [
    ("التحالف العربي في اليمن يعلن اعتراض طائرة مسيرة", "yemen-drone"),
    ("منتخب العراق يستعد لمواجهة حاسمة في تصفيات كأس العالم", "football"),
    ("البنك المركزي يطرح مزاداً جديداً لبيع العملة الأجنبية", "cbi-auction"),
    ("مهرجان بابل الدولي يختتم فعالياته بمشاركة عربية واسعة", "babylon-festival"),
]


def split(seed: Seed) -> tuple[str, list[str], list[str]]:
    """(title, body lines, read-also lines) of a seed file."""
    lines = [ln.strip() for ln in (SEEDS / f"{seed.stem}.txt").read_text(encoding="utf-8").splitlines()]
    lines = [ln for ln in lines if ln]
    chrome = set(seed.header_chrome) | set(seed.dropped) | set(seed.after_body) | {APP_BANNER}
    if seed.caption:
        chrome.add(seed.caption)
    content = [ln for ln in lines if ln not in chrome]
    title = content[0]
    body = [ln for ln in content[1:] if ln != title]  # some pages repeat the title
    read_also: list[str] = []
    if READ_ALSO in body:
        i = body.index(READ_ALSO)
        body, read_also = body[:i], body[i + 1 :]
    return title, body, read_also


def page(seed: Seed, title: str, body: list[str], read_also: list[str]) -> str:
    e = html.escape
    url = f"{SITE_BASE}/{seed.slug}/{seed.stem}.html"
    paras: list[str] = []
    inline_left = seed.related_inline
    for i, line in enumerate(body):
        if line in seed.subheads:
            paras.append(f"<h2>{e(line)}</h2>")
        else:
            paras.append(f"<p>{e(line)}</p>")
        if inline_left and i in (len(body) // 3, 2 * len(body) // 3):
            inline_left -= 1
            paras.append(
                '<div class="related-inline"><span class="toggle">اظهار أخبار متعلقة</span>'
                f'<ul><li><a href="/{seed.slug}/related-{i}.html">{e(RELATED[i % 4][0])}</a></li></ul></div>'
            )
    meta_lines = [x for x in seed.header_chrome if "2024" in x or "2025" in x]
    byline = "".join(f'<span class="date">{e(x)}</span>' for x in meta_lines)
    top = [x for x in seed.header_chrome if x not in meta_lines]
    header_chrome = "\n".join(f'<div class="top-bar-item">{e(x)}</div>' for x in top)
    figure = (
        f'<figure><img src="/img/{seed.stem}.jpg" alt="{e(seed.caption)}"><figcaption>{e(seed.caption)}</figcaption></figure>'
        if seed.caption
        else ""
    )
    after = "\n".join(f'<div class="post-footer-item">{e(x)}</div>' for x in seed.after_body)
    also = ""
    if read_also:
        also = (
            '<section class="read-also"><h3>إقرأ أيضاً:</h3>'
            + "".join(f"<p>{e(x)}</p>" for x in read_also)
            + "</section>"
        )
    related = "".join(f'<li><a href="/{seed.slug}/{slug}.html">{e(t)}</a></li>' for t, slug in RELATED)
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": seed.published,
            "publisher": {"@type": "Organization", "name": seed.outlet},
            "inLanguage": "ar",
        },
        ensure_ascii=False,
    )
    nav = "".join(f'<li><a href="/{seed.slug}/section-{i}.html">{e(n)}</a></li>' for i, n in enumerate(NAV))
    ticker = "".join(f"<li>{e(t)}</li>" for t in TICKER)
    return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} | {e(seed.outlet)}</title>
<link rel="canonical" href="{url}">
<meta property="og:type" content="article">
<meta property="og:title" content="{e(title)}">
<meta property="og:site_name" content="{e(seed.outlet)}">
<meta property="article:published_time" content="{seed.published}">
<script type="application/ld+json">{ld}</script>
<link rel="stylesheet" href="/static/site.css">
</head>
<body class="single-post">
<header class="site-header">
{header_chrome}
<div class="logo"><a href="/{seed.slug}/">{e(seed.outlet)}</a></div>
<nav class="main-nav"><ul>{nav}</ul></nav>
<form class="search" action="/search"><input type="search" name="q" placeholder="ابحث في الموقع"><button>بحث</button></form>
<div class="breaking"><strong>خبر عاجل</strong><ul>{ticker}</ul></div>
</header>
<main>
<article class="post">
<header class="entry-header">
<h1 class="entry-title">{e(title)}</h1>
<div class="entry-meta">{byline}<time datetime="{seed.published}">{seed.published[:10]}</time></div>
</header>
{figure}
<div class="entry-content">
{chr(10).join(paras)}
</div>
</article>
{after}
{also}
<div class="share"><span>شارك الخبر:</span> <a href="#">فيسبوك</a> <a href="#">تويتر</a> <a href="#">واتساب</a> <a href="#">تلغرام</a></div>
<section class="related-posts"><h3>أخبار ذات صلة</h3><ul>{related}</ul></section>
<section id="comments" class="comments"><h3>التعليقات (0)</h3>
<div id="respond"><h3>اترك تعليقاً</h3>
<p class="comment-notes">لن يتم نشر عنوان بريدك الإلكتروني. الحقول الإلزامية مشار إليها بـ *</p>
<form action="/comment" method="post"><textarea name="comment" placeholder="التعليق"></textarea>
<input name="author" placeholder="الاسم *"><input name="email" placeholder="البريد الإلكتروني *">
<button type="submit">إرسال التعليق</button></form></div></section>
</main>
<aside class="sidebar"><h3>الأكثر قراءة</h3><ol>{related}</ol>
<div class="app-banner">{e(APP_BANNER)}</div></aside>
<footer class="site-footer"><ul><li><a href="/about">من نحن</a></li><li><a href="/contact">اتصل بنا</a></li>
<li><a href="/privacy">سياسة الخصوصية</a></li></ul><p>© {seed.published[:4]} {e(seed.outlet)}. جميع الحقوق محفوظة.</p></footer>
</body>
</html>
"""


def feed(items: list[tuple[Seed, str, list[str]]]) -> str:
    e = html.escape
    entries = []
    for seed, title, body in sorted(items, key=lambda x: x[0].published, reverse=True):
        url = f"{SITE_BASE}/{seed.slug}/{seed.stem}.html"
        when = format_datetime(datetime.fromisoformat(seed.published))
        summary = body[0][:300]
        entries.append(f"""  <item>
    <title>{e(title)}</title>
    <link>{url}?utm_source=rss&amp;utm_medium=feed</link>
    <guid isPermaLink="true">{url}</guid>
    <pubDate>{when}</pubDate>
    <source url="{SITE_BASE}/{seed.slug}/feed.xml">{e(seed.outlet)}</source>
    <description>{e(summary)}</description>
  </item>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
  <title>رصد — أخبار تجريبية</title>
  <link>{SITE_BASE}/</link>
  <description>The five seed articles, served as a local news site for Rasad's demo and tests.</description>
  <language>ar</language>
{chr(10).join(entries)}
</channel>
</rss>
"""


def main() -> None:
    out = SEEDS / "site"
    out.mkdir(exist_ok=True)
    items = []
    for seed in SEED_META:
        title, body, read_also = split(seed)
        (out / seed.slug).mkdir(exist_ok=True)
        (out / seed.slug / f"{seed.stem}.html").write_text(
            page(seed, title, body, read_also), encoding="utf-8"
        )
        items.append((seed, title, body))
    (out / "feed.xml").write_text(feed(items), encoding="utf-8")
    print(f"wrote {len(items)} pages and feed.xml to {out}")


if __name__ == "__main__":
    main()
