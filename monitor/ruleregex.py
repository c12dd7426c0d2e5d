"""Rule regexes on RE2: compiled once, searched in time linear in the text, whatever the pattern (pure).

Python's ``re`` backtracks: ``.*.*.*.*==`` on a 600-word article runs for hours. RE2 never does, so a
pattern cannot stall matching; in exchange it has no look-around and no backreferences, and the check
says so with what to write instead. ``compile_regex(pattern)`` returns a :class:`RulePattern` or
raises ValueError with the message for the user.

Patterns meet the *normalised* text (:func:`monitor.arabic.normalize`), as terms do. Two of RE2's
meanings differ from ``re``'s there: ``\\w`` and ``\\W`` are ASCII-only in RE2, so they are rewritten
to the Unicode classes ``re`` uses (letters, digits, ``_``), and ``\\b`` / ``\\B`` stay ASCII word
boundaries, which never hold next to an Arabic letter: a pattern that puts one there is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import re2

MAX_PATTERN = 300  # characters; a longer pattern is a list of terms in disguise
# RE2's memory for one pattern: its program and the DFA it builds while searching, which it keeps
# (measured: at most about 200 KB stays per pattern; past the budget RE2 searches without a DFA,
# slower, still linear). RE2's default is 8 MiB. Patterns per rules file: MAX_REGEXES in rules.py.
MAX_MEMORY = 512 << 10

_WORD = r"\p{L}\p{N}_"  # what re's \w matches, as RE2 classes
_LINEAR = "rule regexes run on RE2, which never backtracks"
_LOOKAROUND = {
    "(?=": "look-ahead",
    "(?!": "negative look-ahead",
    "(?<=": "look-behind",
    "(?<!": "negative look-behind",
}


@dataclass(frozen=True, eq=False)
class RulePattern:
    pattern: str  # as written in the rule
    compiled: Any  # re2._Regexp

    def search(self, text: str) -> bool:
        return self.compiled.search(text) is not None


def compile_regex(pattern: str) -> RulePattern:
    """Check and compile one rule regex. Raises ValueError saying what is wrong and what to do."""
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"regex is longer than {MAX_PATTERN} characters; split it into terms")
    _refuse_what_re2_lacks(pattern)
    options = re2.Options()
    options.log_errors = False  # RE2 would print the error on stderr too
    options.max_mem = MAX_MEMORY
    try:
        compiled = re2.compile(_unicode_words(pattern), options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        if "too large" in reason:
            raise ValueError(
                f"regex '{pattern}' is too large once compiled; repeat less (\\p{{L}}+ rather than "
                "\\p{L}{500}) or split it into terms"
            ) from None
        raise ValueError(f"invalid regex '{pattern}': {reason}") from None
    return RulePattern(pattern, compiled)


def _refuse_what_re2_lacks(pattern: str) -> None:
    for opener, name in _LOOKAROUND.items():
        if opener in pattern:
            raise ValueError(
                f"regex '{pattern}': {opener} ({name}) is not supported ({_LINEAR}); "
                "write that part as a condition of its own, in all or none"
            )
    unescaped = pattern.replace("\\\\", "")
    if "(?P=" in pattern or any(f"\\{d}" in unescaped for d in "123456789"):
        raise ValueError(
            f"regex '{pattern}': backreferences (\\1, (?P=name)) are not supported ({_LINEAR}); "
            "write the repeated text out"
        )
    if "\\Z" in unescaped:
        raise ValueError(f"regex '{pattern}': write \\z for the end of the text (RE2 has no \\Z)")
    for i, piece in _escapes(pattern):
        if piece in ("\\b", "\\B") and _next_to_non_ascii(pattern, i, len(piece)):
            raise ValueError(
                f"regex '{pattern}': {piece} is an ASCII word boundary in RE2 and never holds next to an "
                "Arabic letter; use a term (terms match whole words) or (^|[^\\p{L}])"
            )


def _escapes(pattern: str) -> list[tuple[int, str]]:
    """Each backslash escape of ``pattern`` with its position (``\\\\`` is one escape)."""
    out, i = [], 0
    while i < len(pattern) - 1:
        if pattern[i] == "\\":
            out.append((i, pattern[i : i + 2]))
            i += 2
        else:
            i += 1
    return out


def _next_to_non_ascii(pattern: str, start: int, length: int) -> bool:
    """Whether the characters just before and after ``pattern[start:start+length]``, past group
    brackets and quantifiers (not past ``|``: that is another alternative), include a non-ASCII one."""
    before = pattern[:start].rstrip("()?:+*")
    after = pattern[start + length :]
    while after[:3] == "(?:":
        after = after[3:]
    after = after.lstrip("(")
    return (before[-1:] > "\x7f") or (after[:1] > "\x7f")


def _unicode_words(pattern: str) -> str:
    """``\\w`` and ``\\W`` as ``re`` reads them (any script), for RE2, which reads them as ASCII."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            piece = pattern[i : i + 2]
            if piece == "\\w":
                out.append(_WORD if in_class else f"[{_WORD}]")
            elif piece == "\\W":
                if in_class:
                    raise ValueError(f"regex '{pattern}': write [^…] instead of \\W inside […]")
                out.append(f"[^{_WORD}]")
            else:
                out.append(piece)
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
            out.append(ch)
            i += 1
            # a ] first in the class (after an optional ^) is a literal ]
            for lead in ("^", "]"):
                if i < len(pattern) and pattern[i] == lead:
                    out.append(lead)
                    i += 1
            continue
        if ch == "[" and in_class and pattern[i + 1 : i + 2] == ":":  # [:alpha:] inside a class
            end = pattern.find(":]", i + 2)
            if end != -1:
                out.append(pattern[i : end + 2])
                i = end + 2
                continue
        if ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)
