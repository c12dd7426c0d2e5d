"""Arabic normalisation and tokenisation (pure).

``normalize`` is applied to both rule terms and article text, so the two always meet on the same
spelling. The original text is kept for display; only what is matched is normalised.

Steps: NFKC (presentation forms, lam-alef ligatures), then one translation table (letter variants,
Persian/Urdu/Kurdish letters, digits, punctuation, deletions of diacritics, tatweel and every
format character), then lower-case for Latin script.

Common slips fold with them: a hamza on the wrong seat (الإمريكي is الأمريكي), ى for ي, ه for ة,
ئ for ؤ, tatweel, Persian and Kurdish keyboard letters. Slips whose fold would join different words
are left to aliases: شئ for شيء (final يء→ء joins بطيء and بطء), هيأة for هيئة, repeated letters
(جداااا; شدددد is شدد), مسؤولوا (final وا→و joins غزوا and غزو) — see tests/test_arabic.py.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from functools import lru_cache, partial
from itertools import accumulate, compress, repeat
from operator import add

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
    # map() keeps the loop over 126,000 code points in C (a third of the time of a comprehension)
    return [
        cp
        for r in ranges
        for cp, cat in zip(r, map(unicodedata.category, map(chr, r)), strict=True)
        if cat == "Cf"
    ]


_TABLE: dict[int, str | None] = {ord(k): v for k, v in _MAP.items()}
_TABLE.update({cp: None for cp in (*_DELETE, *_format_chars())})

_SPLIT = re.compile(r"[^\W\d_]+|\d+")  # a run of letters, or a run of digits ("كوردستان24" is two words)
_GAP = "\x00"  # stands for a deleted character in the length-preserving token table


def _map(ch: str) -> str:
    """One character through NFKC, the translation table and lower-casing (may be empty or longer)."""
    out = []
    for c in unicodedata.normalize("NFKC", ch):
        mapped = _TABLE.get(ord(c), c)
        if mapped is not None:
            out.append(mapped.lower() if len(mapped.lower()) == 1 else mapped)
    return "".join(out)


def _entry(ch: str) -> tuple[str | None, str]:
    """One character's entries: normalised (None: deleted), and its part of a token (see
    :func:`_tables`)."""
    mapped = _map(ch)
    letters = "".join(c for c in mapped if not unicodedata.category(c).startswith("M"))
    if not letters:
        return mapped or None, _GAP
    return mapped or None, letters if letters.isalnum() else " "


# Blocks that NFKC, the table and lower-casing leave as they are, filled in bulk (70% of the
# plane, a start-up's worth of time): CJK ideographs and Hangul syllables, letters each a token of
# its own; surrogates and private use, no part of a token. tests/test_arabic.py checks them
# against :func:`_entry`.
PLAIN_LETTERS = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xAC00, 0xD7A4))
PLAIN_OTHER = ((0xD800, 0xF900),)


def _tables() -> tuple[list[str | None], list[str], str]:
    """Lookup lists over the Basic Multilingual Plane (a list never misses, unlike a dict, which
    makes str.translate several times faster), with NFKC applied character by character:

    - normalising: every character mapped; deleted ones removed; everything else unchanged;
    - tokenising: letters and digits mapped, deleted characters and combining marks become a gap,
      everything else a space. Only a few characters (ligatures such as ﻻ) change length here;
      they are returned too, so token offsets can take the slow path when one occurs.

    Built at import, so fast: most characters are their own NFKC form, their own lower case and not
    in the translation table; for them :func:`_entry` reduces to their category, computed in bulk.
    Only the others go through :func:`_entry` (tests/test_arabic.py checks every character).
    """
    norm: list[str | None] = []
    tok: list[str] = []
    expanding = []
    bulk = {lo: (hi, True) for lo, hi in PLAIN_LETTERS} | {lo: (hi, False) for lo, hi in PLAIN_OTHER}
    lo = 0
    for start in [*sorted(bulk), 0x10000]:
        chars = list(map(chr, range(lo, start)))
        nfkc = map(partial(unicodedata.normalize, "NFKC"), chars)
        lower = map(str.lower, chars)
        category = map(unicodedata.category, chars)
        for ch, plain, low, cat in zip(chars, nfkc, lower, category, strict=True):
            if plain == ch and low == ch and ord(ch) not in _TABLE:
                norm.append(ch)
                tok.append(_GAP if cat[0] == "M" else ch if ch.isalnum() else " ")
                continue
            mapped, part = _entry(ch)
            norm.append(mapped)
            tok.append(part)
            if part not in (_GAP, " ") and len(part) != 1:
                expanding.append(ch)
        if start in bulk:
            lo, letters = bulk[start]
            chars = list(map(chr, range(start, lo)))
            norm.extend(chars)
            tok.extend(chars if letters else [" "] * len(chars))
    return norm, tok, "".join(expanding)


_NORM_LIST, _TOKEN_LIST, _EXPANDING = _tables()
_EXPANDS = re.compile("[" + re.escape(_EXPANDING) + "]|[\U00010000-\U0010ffff]")


def _classes() -> list[str]:
    """Each BMP character's part in a token: ``a`` letter, ``d`` digit, ``g`` deleted (joins the
    letters around it), `` `` anything else. A one-character entry other than a gap or a space is a
    letter or a digit (``isalnum``); a digit is what ``\\d`` matches, a decimal digit (Nd)."""
    out = []
    for entry in _TOKEN_LIST:
        if entry == _GAP:
            out.append("g")
        elif len(entry) != 1 or entry == " ":
            out.append(" ")
        else:
            out.append("d" if entry.isdecimal() else "a")
    out[0] = " "  # NUL is not a diacritic
    return out


_CLASS_LIST = _classes()
# one token in the class string: letters (or digits) with deleted characters between and after them
_CLASS_TOKEN = re.compile("a(?:g*a)*g*|d(?:g*d)*g*")


_IGNORABLE = "".join(chr(cp) for cp, t in enumerate(_TOKEN_LIST) if t == _GAP and cp > 32)
_ORIGINAL_WORD = re.compile(r"(?:[^\W_]|[" + re.escape(_IGNORABLE) + r"])+")


def normalize(text: str) -> str:
    """Return ``text`` in the one spelling that rules and articles are compared in."""
    return text.translate(_NORM_LIST)


class Tokens(list[str]):
    """Tokens that remember the text's translation they were cut from (same length as the text
    when no character changed length), so their positions in the text come without a second pass.

    ``split``: the words (between spaces) that gave more than one token, as (first token, count),
    e.g. كوردستان24; ``regular``: every other word gave exactly one token."""

    __slots__ = ("regular", "split", "translated")
    translated: str
    split: list[tuple[int, int]]
    regular: bool


_GAP_ONLY = re.compile("(?:^| )\x00+(?= |$)")


def tokens(text: str) -> Tokens:
    """Normalised word tokens of ``text``: the fast path used for matching."""
    translated = text.translate(_TOKEN_LIST)
    out = Tokens()
    out.translated = translated
    out.split = []
    for word in translated.replace(_GAP, "").split():
        if word.isalpha() or word.isdigit():
            out.append(word)
        else:
            parts = _SPLIT.findall(word)
            out.split.append((len(out), len(parts)))
            out.extend(parts)
    gaps = translated.startswith(_GAP) or " " + _GAP in translated
    out.regular = not (gaps and _GAP_ONLY.search(translated)) and all(n for _, n in out.split)
    return out


@lru_cache(maxsize=4096)
def _skip(words: int) -> re.Pattern[str]:
    return re.compile(f"(?: *[^ ]+){{{words}}} *")


def token_offsets(text: str, toks: list[str], positions: Iterable[int]) -> dict[int, tuple[int, int]] | None:
    """The spans in ``text`` of the tokens at ``positions``, found by skipping words of the
    tokeniser's translation inside the regular expression engine (no object per word); None when
    the translation cannot tell (then read the whole text: :func:`leading_spans`)."""
    translated = getattr(toks, "translated", None)
    if translated is None or not getattr(toks, "regular", False) or len(translated) != len(text):
        return None
    split: list[tuple[int, int]] = getattr(toks, "split", [])
    out: dict[int, tuple[int, int]] = {}
    at = previous = 0  # where word number ``previous`` starts
    for k in sorted(set(positions)):
        word, part = k, None  # the word token k is in, and which of its tokens
        for first, count in split:
            if first + count <= k:
                word -= count - 1
            elif first <= k:
                word, part = word - (k - first), k - first
                break
            else:
                break
        m = _skip(word - previous).match(translated, at)
        if m is None or m.end() >= len(translated):
            return None
        at, previous = m.end(), word
        start = at
        while translated[start] == _GAP:  # deleted characters before the first letter
            start += 1
        end = translated.find(" ", start)
        end = len(translated) if end == -1 else end
        if part is not None:
            pieces = [m.span() for m in _TRANSLATED_TOKEN.finditer(translated, start, end)]
            if part >= len(pieces):
                return None
            start, end = pieces[part]
        out[k] = (start, end)
    return out


def token_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """Normalised tokens with the span of original text each came from.

    Yields exactly the sequence ``tokens(text)`` yields, so token positions found by the matcher can be
    mapped back to the article's own spelling for highlighting.
    """
    toks = tokens(text)
    for tok, (start, end) in zip(toks, spans(text, len(toks)), strict=True):
        yield tok, start, end


def _fast_spans(text: str) -> list[tuple[int, int]]:
    """Token spans of a text in which no character changes length when normalised.

    Words between spaces are tokens (C-level string operations do the work); the few words that
    are not — letters and digits together (كوردستان24: two tokens), deleted characters before the
    first letter or alone — are cut by a regular expression, one word at a time."""
    classes = text.translate(_CLASS_LIST)
    if ("ag" in classes and "gd" in classes) or ("dg" in classes and "ga" in classes):
        return [m.span() for m in _CLASS_TOKEN.finditer(classes)]  # rare: a gap between letter and digit
    lengths = list(map(len, classes.split(" ")))
    starts = list(accumulate(map(add, lengths, repeat(1)), initial=0))
    words = list(zip(compress(starts, lengths), compress(map(add, starts, lengths), lengths), strict=False))
    odd = _odd_words(classes)
    if not odd:
        return words
    word_starts = [w[0] for w in words]
    out: list[tuple[int, int]] = []
    done = 0
    for offset in sorted(odd):
        i = bisect_right(word_starts, offset) - 1
        if i < done:
            continue
        out.extend(words[done:i])
        start, end = words[i]
        out.extend(m.span() for m in _CLASS_TOKEN.finditer(classes, start, end))
        done = i + 1
    out.extend(words[done:])
    return out


def _odd_words(classes: str) -> set[int]:
    """Offsets inside the words that are not one token each (see :func:`_fast_spans`)."""
    found: set[int] = set()
    for pattern in ("ad", "da", " g"):
        i = classes.find(pattern)
        while i != -1:
            found.add(i + (pattern == " g"))
            i = classes.find(pattern, i + 1)
    if classes.startswith("g"):
        found.add(0)
    return found


# one token in a translation: letters (or digits) with deleted characters between and after them
_TRANSLATED_TOKEN = re.compile("(?:[^\\W\\d_](?:\x00*[^\\W\\d_])*|\\d(?:\x00*\\d)*)\x00*")


def leading_spans(text: str, toks: list[str], last: int) -> list[tuple[int, int]]:
    """The spans of at least tokens ``0 .. last`` of ``text`` (``toks`` are its tokens): only as much
    of the text is read as they take, which is what highlighting a few early matches needs."""
    if last < len(toks) - 1:
        cut = int((sum(map(len, toks[: last + 2])) + last + 2) * 1.25) + 16  # the tokens fit in less
        while cut < len(text) * 0.7:  # beyond that, reading it all costs no more
            head = text[:cut]
            if _EXPANDS.search(head):
                break
            found = _fast_spans(head)
            if len(found) > last + 1:
                return found[:-1]  # the last one may be cut short
            cut *= 2
    return spans(text, len(toks))


def spans(text: str, count: int) -> list[tuple[int, int]]:
    """The original-text span of each of the ``count`` tokens of ``text``."""
    if not _EXPANDS.search(text):
        found = _fast_spans(text)
        if len(found) == count:
            return found
    # a ligature changed lengths: find the words in the original text instead
    out: list[tuple[int, int]] = []
    for m in _ORIGINAL_WORD.finditer(text):
        out.extend([m.span()] * len(tokens(m.group())))
    return out


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
