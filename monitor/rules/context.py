"""What one article offers one rule while it is evaluated: term hits, texts, dates, and the
sentences and paragraphs its tokens fall in (pure)."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import accumulate
from typing import TYPE_CHECKING

from monitor.arabic import normalize, spans, token_spans
from monitor.dates import mentioned_dates
from monitor.model import Article, MentionedDate
from monitor.rules.base import FUTURE_TOLERANCE, REGEX_MAX_TEXT
from monitor.termindex import Hits

if TYPE_CHECKING:
    pass


def article_dates(article: Article, now: datetime) -> list[MentionedDate]:
    """Every date the article mentions, resolved against its publication date (else ``now``)."""
    published = article.published
    if published is not None and published > now + FUTURE_TOLERANCE:
        published = None
    return mentioned_dates(_dated_text(article), (published or now).date())


def _dated_text(article: Article) -> str:
    return f"{article.title}\n{article.summary}\n{article.body}"


@dataclass
class _Ctx:
    """What one article offers one rule: term hits in the rule's fields, texts, dates."""

    article: Article
    hits: Hits  # term id → (field, position, length)
    reference: date
    fields: frozenset[str]
    cached_dates: list[MentionedDate] | None = None
    toks: Mapping[str, list[str]] = field(default_factory=dict)  # each field's tokens, when known
    _sentences: dict[str, list[int]] = field(default_factory=dict)
    _normalised: dict[str, str] = field(default_factory=dict)
    _paragraphs: dict[str, list[int]] = field(default_factory=dict)
    # scope → (field, unit) → the hits in that sentence or paragraph (never shared with a narrowed ctx)
    _by_unit: dict[str, dict[tuple[str, int], Hits]] = field(default_factory=dict)
    _places: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # field → its tokens' spans
    # (scope, unit) → this view narrowed to the unit, kept: a rule's evidence narrows it again
    _views: dict[tuple[str, tuple[str, int]], _Ctx] = field(default_factory=dict)

    @property
    def dates(self) -> list[MentionedDate]:
        if self.cached_dates is None:
            self.cached_dates = mentioned_dates(_dated_text(self.article), self.reference)
        return self.cached_dates

    def sentences(self, field_name: str) -> list[int]:
        return self._numbered(self._sentences, field_name, _SENTENCE_END)

    def units(self, field_name: str, scope: str) -> list[int]:
        """For each token of the field, the number of its sentence or paragraph."""
        if scope == "sentence":
            return self.sentences(field_name)
        return self._numbered(self._paragraphs, field_name, _PARAGRAPH_END)

    def _numbered(self, kept: dict[str, list[int]], field_name: str, ends: re.Pattern[str]) -> list[int]:
        found = kept.get(field_name)
        if found is None:
            text = self.article.field_text(field_name)  # type: ignore[arg-type]
            found = kept[field_name] = unit_ids(text, self._spans(field_name, text), ends)
        return found

    def _spans(self, field_name: str, text: str) -> list[tuple[int, int]]:
        """The spans of the field's tokens, found once for both scopes (from its tokens, when the
        matcher has them: the text is not tokenised again)."""
        found = self._places.get(field_name)
        if found is None:
            toks = self.toks.get(field_name)
            found = spans(text, len(toks)) if toks is not None else [(a, b) for _, a, b in token_spans(text)]
            self._places[field_name] = found
        return found

    def narrowed(self, keep: Callable[[str, int], bool], fields: frozenset[str] | None = None) -> _Ctx:
        """The same article seen only where ``keep(field, position)`` holds (the lead, the title)."""
        hits = {t: kept for t, found in self.hits.items() if (kept := [h for h in found if keep(h[0], h[1])])}
        return self.with_hits(hits, fields)

    def by_unit(self, scope: str) -> dict[tuple[str, int], Hits]:
        """The hits grouped by their sentence or paragraph, in one pass over them (kept)."""
        grouped = self._by_unit.get(scope)
        if grouped is None:
            grouped = {}
            of_field: dict[str, list[int]] = {}
            for t, found in self.hits.items():
                for h in found:
                    units = of_field.get(h[0])
                    if units is None:
                        units = of_field[h[0]] = self.units(h[0], scope)
                    unit = (h[0], units[h[1]] if h[1] < len(units) else -1)
                    grouped.setdefault(unit, {}).setdefault(t, []).append(h)
            self._by_unit[scope] = grouped
        return grouped

    def in_unit(self, scope: str, unit: tuple[str, int]) -> _Ctx:
        """This view narrowed to one sentence or paragraph (``unit``: a key of :meth:`by_unit`),
        made once: what is found in it (its own units) is kept for the next look."""
        view = self._views.get((scope, unit))
        if view is None:
            view = self._views[(scope, unit)] = self.with_hits(self.by_unit(scope)[unit])
        return view

    def with_hits(self, hits: Hits, fields: frozenset[str] | None = None) -> _Ctx:
        """The same article with only ``hits`` (texts, dates and unit numbers are shared)."""
        return _Ctx(
            self.article,
            hits,
            self.reference,
            fields if fields is not None else self.fields,
            self.cached_dates,
            self.toks,
            self._sentences,
            self._normalised,
            self._paragraphs,
            _places=self._places,
        )

    def normalised(self, field_name: str) -> str:
        if field_name not in self._normalised:
            text = self.article.field_text(field_name)[:REGEX_MAX_TEXT]  # type: ignore[arg-type]
            self._normalised[field_name] = normalize(text)
        return self._normalised[field_name]


_SENTENCE_END = re.compile(r"[.!?؟\n]")
_PARAGRAPH_END = re.compile(r"\n")


def sentence_ids(text: str, ends: re.Pattern[str] = _SENTENCE_END) -> list[int]:
    """For each token of ``text`` (as :func:`tokens` yields them), the number of its sentence."""
    return unit_ids(text, [(a, b) for _, a, b in token_spans(text)], ends)


def unit_ids(text: str, places: list[tuple[int, int]], ends: re.Pattern[str]) -> list[int]:
    """For each token of ``text`` (``places``: their spans, in order), the number of its unit: a
    new one begins at a token with a match of ``ends`` (one character) between it and the token
    before (or the text's start). Read from the few matches of ``ends``, not token by token."""
    if not places:
        return []
    starts = [a for a, _ in places]
    begins = [0] * len(places)  # 1 at a token that begins a unit
    for m in ends.finditer(text, 0, starts[-1]):
        at = m.start()
        n = bisect_right(starts, at)  # the first token after the mark
        if n == 0 or places[n - 1][1] <= at:  # not inside the token before
            begins[n] = 1
    return list(accumulate(begins))


def paragraph_ids(text: str) -> list[int]:
    """For each token of ``text``, the number of its paragraph (paragraphs end at a line break, as
    extracted article bodies write them)."""
    return sentence_ids(text, _PARAGRAPH_END)
