"""Arabic normalisation and tokenisation (pure).

``normalize`` is applied to both rule terms and article text, so the two always meet on the same
spelling. The original text is kept for display; only what is matched is normalised.

Steps: NFKC (presentation forms, lam-alef ligatures), then one translation table (letter variants,
Persian/Urdu/Kurdish letters, digits, punctuation, deletions of diacritics, tatweel and every
format character), then lower-case for Latin script.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

_MAP: dict[str, str] = {}


def _to(target: str, sources: str) -> None:
    for ch in sources:
        _MAP[ch] = target


_to("ا", "أإآٱٲٳٵ")
_to("ي", "ى")
_to("ه", "ةۃ")
_to("ء", "ؤئ")  # one choice unifies مسئول/مسؤول, شئون/شؤون, شركاؤنا/شركائنا
_to("ي", "یېۍێےۓ")  # Persian/Urdu/Kurdish yeh forms
_to("ه", "ھہۂۀە")  # Persian/Urdu/Kurdish heh forms
_to("ك", "کڪگ")  # keheh, swash kaf; gaf in loan names
_to("ب", "پ")
_to("ف", "ڤ")
_to("ج", "چ")
_to("ز", "ژ")
for _i in range(10):
    _MAP[chr(0x0660 + _i)] = str(_i)  # Arabic-Indic digits
    _MAP[chr(0x06F0 + _i)] = str(_i)  # Extended (Persian) digits
_MAP.update({"،": ",", "؛": ";", "؟": "?", "٪": "%"})

_DELETE: list[int] = [
    *range(0x064B, 0x0660),  # harakat, tanween, shadda, sukun and other combining marks
    0x0670,  # dagger alef
    0x0674,  # high hamza (NFKC leaves it after decomposing ٵ ٶ ٷ ٸ)
    *range(0x0610, 0x061B),  # Quranic honorifics and small marks
    *range(0x06D6, 0x06DD),  # Quranic annotation signs
    *range(0x06DF, 0x06E9),
    *range(0x06EA, 0x06EE),
    0x0640,  # tatweel
]


def _format_chars() -> list[int]:
    """Every format (Cf) character: ZWJ/ZWNJ, LRM/RLM/ALM, bidi embeddings and isolates, BOM, SHY …"""
    ranges = (range(0, 0x10000), range(0x11000, 0x1F000), range(0xE0000, 0xE1000))
    return [cp for r in ranges for cp in r if unicodedata.category(chr(cp)) == "Cf"]


_TABLE: dict[int, str | None] = {ord(k): v for k, v in _MAP.items()}
_TABLE.update({cp: None for cp in (*_DELETE, *_format_chars())})

# A word: a run of letters, or a run of digits ("كوردستان24" is two words). Underscore is neither.
_WORD = re.compile(r"[^\W\d_]+|\d+")
# In original text a word may also contain the characters normalisation deletes.
_IGNORABLE = "".join(chr(cp) for cp in sorted(_TABLE) if _TABLE[cp] is None and cp < sys.maxunicode)
_ORIGINAL_WORD = re.compile(r"(?:[^\W_]|[" + re.escape(_IGNORABLE) + r"])+")


def normalize(text: str) -> str:
    """Return ``text`` in the one spelling that rules and articles are compared in."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.translate(_TABLE).lower()


def tokens(text: str) -> list[str]:
    """Normalised word tokens of ``text``: the fast path used for matching."""
    return _WORD.findall(normalize(text))


def token_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """Normalised tokens with the span of original text each came from.

    Yields exactly the sequence ``tokens(text)`` yields, so token positions found by the matcher can be
    mapped back to the article's own spelling for highlighting.
    """
    for m in _ORIGINAL_WORD.finditer(text):
        for tok in _WORD.findall(normalize(m.group())):
            yield tok, m.start(), m.end()


# Clitics, text side only: one of و/ف, then one of ب/ك/ل, then ال (ل + ال is written لل).
_CONJ = ("", "و", "ف")
_PREP = ("", "ب", "ك", "ل")
MIN_STEM = 2


@lru_cache(maxsize=262_144)
def readings(token: str) -> tuple[str, ...]:
    """Ways to read a normalised text token with its proclitics removed, the token itself first.

    ``والتحالف`` reads as والتحالف, التحالف, تحالف; ``للتحالف`` as للتحالف, التحالف, تحالف.
    A reading never has fewer than two letters.
    """
    out: dict[str, None] = {token: None}
    for conj in _CONJ:
        if not token.startswith(conj):
            continue
        t1 = token[len(conj) :]
        for prep in _PREP:
            if not t1.startswith(prep):
                continue
            t2 = t1[len(prep) :]
            if len(t2) >= MIN_STEM:
                out[t2] = None
            if t2.startswith("ال") and len(t2) - 2 >= MIN_STEM:
                out[t2[2:]] = None
        if t1.startswith("لل") and len(t1) - 2 >= MIN_STEM:
            out["ال" + t1[2:]] = None
            out[t1[2:]] = None
    return tuple(out)
