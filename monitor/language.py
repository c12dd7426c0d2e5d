"""Which language an Arabic-script text is in, by letter statistics (pure).

Persian, Kurdish (Sorani) and Urdu share the Arabic script. Each has letters Arabic does not use
(Persian پ چ ژ گ and ی ک as its ordinary yeh and kaf; Sorani ە ۆ ێ ڵ ڕ; Urdu ٹ ڈ ڑ ں ے), while
Arabic writes ة, ى and ي/ك. An Arabic article with a few Persian-keyboard letters (seed 003 writes
مھمة and العسكریة) stays Arabic: what counts is the share of each set among all letters.
"""

from __future__ import annotations

import re

_NOT_LATIN = bytes(b for b in range(128) if not chr(b).isalpha())

ARABIC_ONLY = "ةىيكؤإأآ"
PERSIAN_ONLY = "پچژگیک"
SORANI_ONLY = "ەۆێڵڕ"
URDU_ONLY = "ٹڈڑںےہ"
_FOREIGN = PERSIAN_ONLY + SORANI_ONLY + URDU_ONLY  # letters Arabic does not use
_NOT_ARABIC = re.compile(f"[{_FOREIGN}]")


def detect_language(text: str, sample: int = 1000) -> str:
    """``"ar"``, ``"fa"``, ``"ckb"``, ``"ur"``, or ``"other"`` (mostly not in Arabic script).

    Substring scans for the letters Arabic does not use (most Arabic text has none), then
    str.count: it runs for every article, so it must cost microseconds.
    """
    part = text[:sample]
    ascii_part = part.encode("ascii", "ignore")
    non_ascii = len(part) - len(ascii_part)  # in Arabic text: nearly all letters
    latin = len(ascii_part.translate(None, _NOT_LATIN))
    if non_ascii == 0 or latin > non_ascii:
        return "other"
    if not any(c in part for c in _FOREIGN):  # most Arabic text: a few fast substring scans
        return "ar"
    foreign = "".join(_NOT_ARABIC.findall(part))  # all of them, in one scan

    def share(chars: str, text: str) -> float:
        return sum(text.count(c) for c in chars) / non_ascii

    arabic = share(ARABIC_ONLY, part)
    persian, sorani, urdu = (share(chars, foreign) for chars in (PERSIAN_ONLY, SORANI_ONLY, URDU_ONLY))
    if sorani > 0.02 and sorani > arabic / 2:
        return "ckb"
    if urdu > 0.02 and urdu > arabic / 2:
        return "ur"
    if persian > arabic:
        return "fa"
    return "ar"
