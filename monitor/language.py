"""Which language an Arabic-script text is in, by letter statistics (pure).

Persian, Kurdish (Sorani) and Urdu share the Arabic script. Each has letters Arabic does not use
(Persian پ چ ژ گ and ی ک as its ordinary yeh and kaf; Sorani ە ۆ ێ ڵ ڕ; Urdu ٹ ڈ ڑ ں ے), while
Arabic writes ة, ى and ي/ك. An Arabic article with a few Persian-keyboard letters (seed 003 writes
مھمة and العسكریة) stays Arabic: what counts is the share of each set among all letters.
"""

from __future__ import annotations

from collections import Counter

ARABIC_ONLY = set("ةىيكؤإأآ")
PERSIAN_ONLY = set("پچژگیک")
SORANI_ONLY = set("ەۆێڵڕ")
URDU_ONLY = set("ٹڈڑںےہ")


def detect_language(text: str, sample: int = 4000) -> str:
    """``"ar"``, ``"fa"``, ``"ckb"``, ``"ur"``, or ``"other"`` (mostly not in Arabic script)."""
    counts = Counter(ch for ch in text[:sample] if ch.isalpha())
    letters = sum(counts.values())
    if not letters:
        return "other"
    script = sum(n for ch, n in counts.items() if "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f")
    if script < 0.5 * letters:
        return "other"

    def share(chars: set[str]) -> float:
        return sum(counts[c] for c in chars) / script

    arabic, persian, sorani, urdu = (
        share(ARABIC_ONLY),
        share(PERSIAN_ONLY),
        share(SORANI_ONLY),
        share(URDU_ONLY),
    )
    if sorani > 0.02 and sorani > arabic / 2:
        return "ckb"
    if urdu > 0.02 and urdu > arabic / 2:
        return "ur"
    if persian > arabic:
        return "fa"
    return "ar"
