"""The edges of an extracted article body: the lead it lost, the headline and the boilerplate it
should not have (pure).

- **The lead.** Some layouts put the first paragraph (the one that states the news) outside the
  block trafilatura keeps: Sputnik's ``b-article__lead`` above ``articleBody``. When the page's
  description (or the feed's summary) states something the body does not contain, the lead is
  recovered: ``page_lead`` finds the element of the page whose text the description begins (the
  full paragraph, not the description's cut), ``with_lead`` puts the feed's summary first when the
  page had no such element. Nothing else of the page is added, so no chrome comes with it.
- **The headline repeated** as the body's first line is dropped (the title carries it).
- **Boilerplate at the end**: comment policies («ترحب شبكة … بالنقاش», «الآراء الواردة أدناه لا
  تعبر عن رأي …»), newsletter and app invitations («اشترك في النشرة»), «جميع الحقوق محفوظة»,
  «تابعونا على …»: trailing lines that only say these are dropped.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from monitor.arabic import normalize

_WORD = re.compile(r"[^\W_]+")
COVERED = 0.6  # a summary most of whose three-word runs the body has is already in it
MIN_WORDS = 6  # a shorter summary or description says too little to judge
LOOSE_MIN_WORDS = 5  # a loose text shorter than this is a label or a separator, not a sentence
_BOXES = ("div", "aside", "figure", "table")
_TEXT_BLOCKS = {"div", "section", "article", "main", "td", "body"}
MIN_HEADLINE_WORDS = 4  # a shorter headline at a line's start may be the lead's own first words
LEAD_MAX = 1_500  # characters: an element longer than a lead paragraph is a block of the page
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.+|…|\[…\]|\[\.\.\.\])\s*$")
_FEED_TAILS = re.compile(
    r"\s*(?:The post .{1,300} appeared first on .{1,200}|ظهرت المقالة .{1,300} أولاً على .{1,200}"
    r"|(?:اقرأ|إقرأ|قراءة) (?:المزيد|المزيد\.\.\.)|Read more|Continue reading.{0,200})\s*$",
    re.DOTALL,
)
# on normalised lines: ا for أ إ آ, ه for ة, ي for ى, no diacritics
_CHROME = re.compile(
    r"^(?:ترحب (?:شبكه|اسره|اداره|اسرة|صحيفه|جريده|قناه|موقع)\s.{0,80}بالنقاش"
    r"|الاراء الوارده.{0,60}لا تعبر عن"
    r"|(?:التعليقات|الاراء|المقالات|المشاركات) (?:الوارده )?لا تعبر.{0,40}عن راي"
    r"|(?:اشترك|اشتركوا|اشتركي|سجل)\s+(?:الان\s+)?(?:في|فى|ب)\s*(?:ال)?(?:نشره|نشرتنا|القائمه البريديه)"
    r"|(?:حمل|حملوا|نزل)\s+تطبيق"
    r"|جميع الحقوق محفوظه"
    r"|(?:تابعونا|تابعوا|تابع)\s+(?:اخبار\s+\S+\s+)?(?:علي|عبر|على)\s"
    r"|(?:لمتابعه|للمزيد من) (?:اخر|اهم)? ?(?:الاخبار|اخبار)"
    r")"
)
TRAILING_MAX = 6  # lines of boilerplate looked at from the end
_LEAD_TAGS = {"p", "div", "h2", "h3", "span", "section", "strong"}
_CHROME_TAGS = {"header", "footer", "nav", "aside", "form"}


def words(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


def covered(summary: str, body: str) -> bool:
    """Whether ``body`` already has what ``summary`` says (or the summary is too short to tell):
    most of its runs of three words. Shared words are not enough: the rest of an article repeats
    its lead's words, not its sentences."""
    said = words(summary)
    if len(said) < MIN_WORDS:
        return True
    wanted = _runs(said)
    need = COVERED * len(wanted)
    # A summary is most often the body's lead: its first few times the summary's length tell,
    # without reading a long body whole (what a part of the body has, the whole has).
    head = body[: 4 * len(summary) + 1000]
    if len(head) < len(body) and len(wanted & _runs(words(head))) >= need:
        return True
    return len(wanted & _runs(words(body))) >= need


def _runs(ws: list[str]) -> set[tuple[str, ...]]:
    return set(zip(ws, ws[1:], ws[2:], strict=False))


def feed_summary(summary: str) -> str:
    """A feed's summary without its tails (WordPress's "appeared first on", "read more", "…")."""
    return _ELLIPSIS.sub("", _FEED_TAILS.sub("", summary)).strip()


def with_lead(body: str, summary: str) -> str:
    """``body`` with the feed's summary first when the summary states what the body lacks."""
    lead = feed_summary(summary)
    if not lead or covered(lead, body):
        return body
    return f"{lead}\n{body}"


def page_lead(tree: HtmlElement, description: str, body: str) -> str | None:
    """The paragraph of the page that the description begins, when the body lacks it."""
    description = _ELLIPSIS.sub("", description).strip()
    if not description or covered(description, body):
        return None
    start = " ".join(words(description)[:12])
    best: str | None = None
    after_headline = tree.find(".//h1") is None
    for el in tree.iter():
        if el.tag == "h1":
            after_headline = True
        if not after_headline or el.tag not in _LEAD_TAGS:
            continue  # a lead follows the headline; a site's own description sits in its chrome
        text = " ".join(el.text_content().split())
        if not text or len(text) > LEAD_MAX or (best is not None and len(text) >= len(best)):
            continue
        if not " ".join(words(text)).startswith(start):
            continue
        if not any(a.tag in _CHROME_TAGS for a in el.iterancestors()):
            best = text
    return best


def loose_text_to_paragraphs(tree: HtmlElement) -> int:
    """Make a paragraph of each sentence that stands loose in an article's text block after a box
    (Sputnik's «b-inject»: a <div> inside a <p> closes the paragraph, so the rest of it becomes the
    box's tail, which extraction drops with the box). Only in blocks that hold paragraphs, and only
    tails of at least LOOSE_MIN_WORDS words. Returns how many were made."""
    made = 0
    for el in tree.iter(*_BOXES):
        tail, parent = el.tail, el.getparent()
        if not tail or parent is None or parent.tag not in _TEXT_BLOCKS or parent.find("p") is None:
            continue
        if len(words(tail)) < LOOSE_MIN_WORDS:
            continue
        p = parent.makeelement("p", {})
        p.text, el.tail = tail.strip(), None
        el.addnext(p)
        made += 1
    return made


def begins_with(body: str, title: str) -> bool:
    """Whether the body's first line begins with the whole headline and goes on (cheap: the
    line's start only)."""
    heading = words(title)
    said = words(body.partition("\n")[0][: 3 * len(title) + 40])
    return MIN_HEADLINE_WORDS <= len(heading) < len(said) and said[: len(heading)] == heading


def without_repeated_title(body: str, title: str, glued: bool = False) -> str:
    """``body`` without a first line that repeats the headline. ``glued``: the page writes the
    headline apart from the lead, so a first line that begins with it is the headline glued to the
    lead (layouts that put both in one block: Maghress), and the headline is cut from it; a lead
    that itself begins with the headline's words (sites often make the title of the lead's first
    clause) is left whole."""
    first, _, rest = body.partition("\n")
    heading = words(title)
    if not heading:
        return body
    said = words(first)
    if rest and said == heading:
        return rest.lstrip("\n")
    if glued and begins_with(first, title):
        # cut after the headline's last word: the shortest start of the line that reads as it
        for cut in (m.end() for m in _WORD.finditer(first, 0, 3 * len(title) + 40)):
            if words(first[:cut]) == heading:
                lead = first[cut:].lstrip(" \t|:-–—.،")
                return f"{lead}\n{rest}" if rest else lead
    return body


def without_trailing_chrome(body: str) -> str:
    """``body`` without comment-policy, newsletter and follow-us lines at its end."""
    lines = body.split("\n")
    kept = len(lines)
    while kept > 1 and len(lines) - kept < TRAILING_MAX and _chrome(lines[kept - 1]):
        kept -= 1
    return "\n".join(lines[:kept]).rstrip() if kept < len(lines) else body


def _chrome(line: str) -> bool:
    text = normalize(line.strip())
    return not text or bool(_CHROME.match(text))
