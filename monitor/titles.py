"""Article titles without the outlet's name (pure).

Pages and feeds write the outlet into the title: «… - اليوم السابع», «المدينة نيوز - …»,
«… | Euronews», «… - CNNArabic.com». ``clean_title`` removes such a part from either end: a part
separated by `` - ``, `` | ``, `` – ``, `` — `` or `` :: `` that names the outlet (the site name, the
feed's title, the host) or, when the page's headline is known, the part that is not the headline.
A title that is one part, or whose parts name no outlet, is kept as it is: a colon, ``..`` or a dash
inside a headline («وزارة النقل: …», «غزة - رفح») is the headline's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml.html import HtmlElement

from monitor.arabic import normalize

_SEPARATOR = re.compile(r"\s+(?:[-|–—]|::)\s+|\s*\|\s*")
_WORD = re.compile(r"[^\W_]+")
MAX_NAME_WORDS = 5  # an outlet's name is short; a longer part is part of the headline


def _key(text: str) -> str:
    return " ".join(_WORD.findall(normalize(text)))


def clean_title(title: str, names: Iterable[str] = (), headline: str = "") -> str:
    """``title`` without a leading or trailing part that names the outlet."""
    title = " ".join(title.split())
    parts = _SEPARATOR.split(title)
    if len(parts) < 2:
        return title
    wanted = _key(headline)
    if wanted:
        # the headline the page shows is the title without the outlet's (and section's) parts
        for start in range(len(parts)):
            for end in range(len(parts), start, -1):
                if (start, end) != (0, len(parts)) and _key(" ".join(parts[start:end])) == wanted:
                    return _joined(title, parts[start], parts[end - 1])
    keys = {k for n in names for part in _SEPARATOR.split(n) if len(k := _key(part)) >= 3}
    keys |= {k.replace(" ", "") for k in keys}
    if not keys:
        return title
    if _names_outlet(parts[-1], keys, last=True):
        return _joined(title, parts[0], parts[-2])
    if _names_outlet(parts[0], keys, last=False):
        return _joined(title, parts[1], parts[-1])
    return title


def _names_outlet(part: str, keys: set[str], last: bool) -> bool:
    """Whether ``part`` names the outlet. A one-word Arabic name must match whole: «القدس» is a
    city before it is part of «القدس العربي», and «أخبار» a word before it is a feed's title."""
    key = _key(part)
    if not key or len(key.split()) > MAX_NAME_WORDS:
        return False
    squeezed = key.replace(" ", "")
    padded = f" {key} "
    for k in keys:
        if k in (key, squeezed):
            return True
        distinctive = " " in k or k.isascii()
        if distinctive and f" {k} " in padded:  # «موقع اليوم السابع», «CNNArabic.com»
            return True
        if last and (" " in key or key.isascii()) and f" {key} " in f" {k} ":  # «الجزيرة نت» in a longer name
            return True
    # "Sputnik Arabic" and "Sputnik_Ar": a Latin name's first word (Arabic first words are too common)
    first = key.split()[0]
    return first.isascii() and len(first) >= 4 and any(k.split()[0] == first for k in keys)


def _joined(title: str, first: str, last: str) -> str:
    """The part of ``title`` from ``first`` to ``last`` as written (its own separators kept)."""
    start = title.find(first)
    end = title.rfind(last) + len(last)
    return title[start:end].strip() if 0 <= start < end else title


def host_names(url: str) -> list[str]:
    """The names a host gives an outlet: ``arabic.cnn.com`` → ``cnn``, ``cnnarabic`` … (for matching
    ``CNNArabic.com``), ``www.youm7.com`` → ``youm7``."""
    host = re.sub(r"^https?://", "", url).split("/")[0].split(":")[0].lower()
    labels = [x for x in host.split(".") if x not in ("www", "com", "net", "org", "co", "news", "")]
    names = list(labels)
    if len(labels) >= 2:
        names += ["".join(reversed(labels[:2])), "".join(labels[:2])]
    return names


def page_headline(tree: HtmlElement, title: str) -> str:
    """The article's <h1>: the one the title names, when a logo is an <h1> too."""
    h1s = [" ".join(h.text_content().split()) for h in tree.iter("h1")]
    h1s = [h for h in h1s if h]
    named = [h for h in h1s if _key(h) and _key(h) in _key(title)]
    return (named or h1s or [""])[0]
