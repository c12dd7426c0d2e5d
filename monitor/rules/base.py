"""What the rule compiler and the matcher share: the fields, the limits, a compiled term, the error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from monitor.model import FieldName
from monitor.termindex import Tok as _Tok

if TYPE_CHECKING:
    pass


FIELDS: tuple[FieldName, ...] = ("title", "summary", "body", "url", "source")
DEFAULT_FIELD_WEIGHT: dict[str, float] = {
    "title": 3.0,
    "summary": 2.0,
    "body": 1.0,
    "url": 1.0,
    "source": 1.0,
}
FIELD_ORDER: dict[str, int] = {f: i for i, f in enumerate(FIELDS)}
BARE_MIN = 4  # letters that must follow ال for a term to match the bare word
PRONOUN_SUFFIXES = ("ه", "ها", "هما", "هم", "هن", "ك", "كما", "كم", "كن", "ي", "ني", "نا")
FUTURE_TOLERANCE = timedelta(days=1)  # a publication date further ahead than this is wrong
REGEX_MAX_TEXT = 200_000
MAX_NESTING = 20  # groups inside groups; real rules use 3 or 4
LEAD_WORDS = 50  # words of the body that, with the title and summary, make the lead
SCOPES = ("sentence", "paragraph")
PLACES = ("title", "lead")
SCOPE_KEYS = ("scope", "in", "lead_words")
# Regexes are the exception (terms do the work): with RE2's memory per pattern (ruleregex.MAX_MEMORY)
# 200 of them keep at most about 40 MB, and a pathological set costs seconds, not minutes, an article.
MAX_REGEXES = 200

Loc = tuple[str | int, ...]


class RuleError(Exception):
    """Rules that cannot be compiled: ``problems`` is a list of (config location, message)."""

    def __init__(self, problems: list[tuple[Loc, str]]) -> None:
        super().__init__("; ".join(m for _, m in problems))
        self.problems = problems


# ---------------------------------------------------------------- terms


@dataclass(frozen=True, slots=True)
class Term:
    id: int
    text: str  # as written in the rule
    toks: tuple[_Tok, ...]
    weight: float = 1.0
