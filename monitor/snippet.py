"""A short excerpt of an article around its matched terms, with the matches marked (pure).

Returns segments ``(text, highlighted)``; each output format (terminal, HTML, Slack, plain text)
decides how to show a highlighted segment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from monitor.arabic import token_spans
from monitor.model import Article, TermHit

Segment = tuple[str, bool]
_SPACE = re.compile(r"\s+")


def snippet(article: Article, hits: Sequence[TermHit], width: int = 280) -> list[Segment]:
    """The ``width``-character window of the body (else summary, else title) with the most matches."""
    for field in ("body", "summary", "title"):
        field_hits = [h for h in hits if h.field == field]
        text = getattr(article, field)
        if field_hits and text:
            return _window(text, field_hits, width)
    text = article.body or article.summary or article.title
    return [(_clip(text, width), False)] if text else []


def _window(text: str, hits: Sequence[TermHit], width: int) -> list[Segment]:
    spans = [(s, e) for _, s, e in token_spans(text)]
    marks: list[tuple[int, int]] = []
    for h in hits:
        if h.position < len(spans):
            start = spans[h.position][0]
            end = start + len(h.text) if text[start : start + len(h.text)] == h.text else spans[h.position][1]
            marks.append((start, end))
    if not marks:
        return [(_clip(text, width), False)]
    marks = _merge(sorted(set(marks)))
    # the window start (at a mark) that covers the most distinct marks
    best = max(range(len(marks)), key=lambda i: sum(1 for s, e in marks[i:] if e - marks[i][0] <= width))
    lo = max(0, marks[best][0] - width // 5)
    hi = min(len(text), lo + width)
    lo = _word_start(text, lo)
    hi = _word_end(text, hi)
    out: list[Segment] = []
    pos = lo
    for s, e in marks:
        if s < pos or e > hi:
            continue
        if s > pos:
            out.append((text[pos:s], False))
        out.append((text[s:e], True))
        pos = e
    if pos < hi:
        out.append((text[pos:hi], False))
    out = [(_SPACE.sub(" ", t), m) for t, m in out]
    if lo > 0:
        out.insert(0, ("…", False))
    if hi < len(text):
        out.append(("…", False))
    return out


def _merge(marks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping matches (مهمة التحالف, التحالف الدولي) are one highlight."""
    out: list[tuple[int, int]] = []
    for s, e in marks:
        if out and s < out[-1][1]:
            out[-1] = (out[-1][0], max(e, out[-1][1]))
        else:
            out.append((s, e))
    return out


def _word_start(text: str, i: int) -> int:
    while 0 < i < len(text) and not text[i - 1].isspace():
        i -= 1
    return i


def _word_end(text: str, i: int) -> int:
    while i < len(text) and not text[i].isspace():
        i += 1
    return i


def _clip(text: str, width: int) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= width else text[: _word_end(text, width)] + " …"


def plain(segments: Sequence[Segment], left: str = "«", right: str = "»") -> str:
    """Segments as one line of text, highlights between ``left`` and ``right``."""
    return "".join(f"{left}{t}{right}" if m else t for t, m in segments).strip()
