"""A word and its inflections, for rule terms written ``~word`` (pure).

News writes one verb in every person, tense and number (انسحب، ينسحبون، ستنسحب، انسحابها، المنسحبة)
and one noun with every ending (قاعدة، قاعدتين، قواعدها is another matter: broken plurals are
words of their own). ``inflections("انسحب")`` returns the normalised spellings of the word's
paradigm, generated from its written shape; the matcher then accepts any of them (with the usual
proclitics و ف ب ك ل ال in front).

How (decisions.md says why a generator of our own rather than a stemmer or an analyser):

- A verb is given in the past, third person masculine singular (انسحب، غادر، أعلن، سلّم، استلم،
  انتهى). Its form (I–X) is read from its shape; a shadda marks form II, and a doubled verb of
  forms VIII and X (استمرّ، not استلم) where the shape cannot tell. It yields the past
  with every subject suffix, the present with every prefix (ي ت ن أ) and suffix, the future with
  س, object pronouns on all of these, and for the derived forms (II–X) the verbal noun and the
  participles, each with the noun endings below. Form I verbal nouns are unpredictable
  (خروج، رحيل، عودة): write them as terms of their own.
- A noun or adjective (ends in ة, starts with م or ال, or is no verb shape) yields its dual, sound
  plurals, feminine, construct forms and pronoun suffixes.
- Nothing is stemmed: a form is generated from the word the rule wrote, never by cutting text
  tokens down, so مهمة does not reach مهم, الدولي does not reach الدولة, وزير does not reach زير.
  A weak or ambiguous shape yields the readings it may have; a reading that is not a word costs
  nothing, since text never contains it.
"""

from __future__ import annotations

from functools import lru_cache

from monitor.arabic import normalize

SHADDA = "\u0651"
# third person only: news reports what was done to something; "you/me" objects would reach other
# words (أنهاك "he ended you" is إنهاك "exhaustion")
OBJECT_PRONOUNS = ("ه", "ها", "هما", "هم", "هن")
NOUN_PRONOUNS = ("ه", "ها", "هما", "هم", "هن", "ك", "كما", "كم", "كن", "ي", "نا")
PAST_SUFFIXES = ("", "ت", "تا", "وا", "نا", "تم", "تما", "تن", "ن")
PRESENT_PREFIXES = ("ي", "ت", "ن", "ا")
PRESENT_SUFFIXES = ("", "ون", "ان", "ين", "ن", "وا", "ا")
MIN_LETTERS = 3


class MorphologyError(ValueError):
    """The word cannot be inflected (too short, not Arabic letters)."""


@lru_cache(maxsize=4096)
def inflections(word: str) -> frozenset[str]:
    """Every normalised spelling of ``word``'s paradigm, ``word`` itself included."""
    doubled = SHADDA in word
    n = normalize(word.replace(SHADDA, ""))
    if n.startswith("ال") and len(n) - 2 >= MIN_LETTERS:
        n = n[2:]  # the article is a proclitic: the text side reads it off
    if len(n) < MIN_LETTERS or not all("\u0621" <= c <= "\u064a" for c in n):
        raise MorphologyError(f"~ needs an Arabic word of at least {MIN_LETTERS} letters, not '{word}'")
    # a verb's own letters as a noun would reach other words (رحل → رحلة trip, عاد → عادة habit)
    return frozenset(verb_forms(n, doubled) if _is_verb_shape(word, n) else noun_forms(n))


def _is_verb_shape(word: str, n: str) -> bool:
    """Whether ``word`` can be a past-tense verb (a noun ending in ة, or one starting with م, cannot)."""
    if word.rstrip(SHADDA).endswith("ة") or n.startswith("م") or word.startswith(("ال", "أل")):
        return False
    if len(n) == 3:
        return True
    if len(n) == 4:
        return n[1] == "ا" or n[0] in "ات" or SHADDA in word
    if len(n) == 5:
        return n.startswith("ا") or (n[0] == "ت" and n[2] == "ا")
    return len(n) == 6 and n.startswith("است")


# ---------------------------------------------------------------- verbs


def _form(n: str, doubled: bool) -> str:
    """The verb's form, from its shape: I, II, III, IV, V, VI, VIII (also VII), X."""
    if n.startswith("است") and len(n) >= 5:
        return "X"
    if n[0] == "ا" and len(n) >= 4 and (len(n) == 5 or n[1] == "ت" or n[2] == "ت"):
        return "VIII"  # VII (انسحب) and VIII (انتقل، اتفق، احتل) inflect alike
    if len(n) == 4 and n[0] == "ا":
        return "IV"
    if len(n) == 5 and n[0] == "ت" and n[2] == "ا":
        return "VI"
    if len(n) == 4 and n[0] == "ت":
        return "V"
    if len(n) == 4 and n[1] == "ا":
        return "III"
    if len(n) == 3:
        return "II" if doubled else "I"
    return "Q"  # four letters with no form's mark: a quadriliteral (ترجم، زلزل)


def _present_stems(n: str, form: str) -> list[str]:
    """The present tense stem(s), without prefix: نسحب (ينسحب), غادر (يغادر), عود/عيد (يعود، يعيد)."""
    if form in ("IV", "VIII", "X"):
        stem = n[1:]
        if form == "X" and len(n) == 6 and n[4] == "ا":  # hollow X: استعاد → يستعيد
            return [stem[:3] + "ي" + stem[-1]]
        if form == "IV" and n[2] == "ا":  # hollow IV: أعاد → يعيد
            return [stem[0] + "ي" + stem[-1]]
        return [stem]
    if form == "I" and n[1] == "ا":  # hollow I: عاد → يعود or يعيد, قام → يقوم
        return [n[0] + "و" + n[2], n[0] + "ي" + n[2]]
    if form == "I" and n[-1] in "يا":  # defective I: رمى → يرمي, دعا → يدعو
        return [n[:2] + "ي", n[:2] + "و", n[:2] + "ا"]
    return [n]


def _past_forms(n: str, form: str) -> set[str]:
    out = set()
    if n[-1] in "يا":  # defective: انتهى، انتهت، انتهوا، انتهينا; أنهاها (ى is written ا before a pronoun)
        base = n[:-1]
        out |= {n, base + "ت", base + "تا", base + "وا", base + "يت", base + "ينا", base + "يتم", base + "ين"}
        out |= {base + "وت", base + "ونا"}  # دعا: دعوت، دعونا
        out |= {base + "ا" + p for p in OBJECT_PRONOUNS}
        return out
    if form == "I" and n[1] == "ا":  # hollow: عاد، عادت، عادوا، عدنا، عدت
        short = n[0] + n[2]
        return {n, n + "ت", n + "تا", n + "وا", n + "ن", short + "نا", short + "ت", short + "تم", short + "ن"}
    return {n + s for s in PAST_SUFFIXES}


def _present_forms(stems: list[str], form: str) -> set[str]:
    out = set()
    # I go/hand over (أخرج، أسلّم) is written as another verb's past (أخرج expel, أسلم convert), and
    # news rarely says "I": left out for forms I and II
    prefixes = PRESENT_PREFIXES if form not in ("I", "II") else PRESENT_PREFIXES[:3]
    for stem in stems:
        base = stem[:-1] if stem[-1] in "يوا" else stem  # a weak last letter gives way: ينتهون
        for prefix in prefixes:
            out.add(prefix + stem)
            if prefix in "يت":  # we and I have no endings
                out |= {prefix + base + s for s in PRESENT_SUFFIXES[1:]}
                if base != stem:
                    out |= {prefix + stem + "ان", prefix + stem + "ا"}  # ينتهيان
    return out


def _with_objects(forms: set[str]) -> set[str]:
    """Object pronouns on verb forms: انسحبوا → (سلموه), يسلمونها, سلمتها."""
    out = set(forms)
    for f in forms:
        stem = f[:-1] if f.endswith("وا") else f  # سلموا + ه → سلموه
        for p in OBJECT_PRONOUNS:
            out.add(stem + p)
    return out


def _verbal_nouns(n: str, form: str, doubled: bool = False) -> list[str]:
    """The verbal noun(s) of a derived form (form I has none that can be told from the verb)."""
    defective = n[-1] in "يا"
    if form == "II":
        return ["ت" + n[:2] + ("يه" if defective else "ي" + n[2])]  # تسليم، تسمية
    if form == "III":
        return ["م" + n + "ه"]  # مغادرة، مفاوضة
    if form == "IV":
        if defective:
            return ["ا" + n[1:-1] + "اء"]  # أعطى → إعطاء
        if n[2] == "ا":
            return [n + "ه"]  # أعاد → إعادة
        return ["ا" + n[1:3] + "ا" + n[3]]  # أعلن → إعلان
    if form in ("V", "VI", "Q"):
        return [n] if form != "Q" else [n + "ه"]  # تسلم، تراجع; ترجمة
    if form in ("VIII", "X"):
        if defective:
            return [n[:-1] + "اء"]  # انتهاء، استدعاء
        if len(n) == 5 and n[3] == "ا" and form == "VIII":
            return [n[:3] + "يا" + n[-1]]  # اختار → اختيار
        if form == "X" and len(n) == 6 and n[4] == "ا":
            return [n + "ه"]  # استعاد → استعادة
        if (len(n) == 4 and n[2] == "ت") or (doubled and len(n) <= 5):
            return [n + "ا" + n[-1]]  # doubled: احتل → احتلال، امتد → امتداد، استمرّ → استمرار
        return [n[:-1] + "ا" + n[-1]]  # انسحاب، اتفاق، استعمال، استلام
    return []


def _participles(n: str, form: str, stems: list[str]) -> list[str]:
    if form == "I":
        if n[1] == "ا" or n[-1] in "يا":
            return []  # hollow or defective form I: too irregular to guess
        return [n[0] + "ا" + n[1:], "م" + n[:2] + "و" + n[2]]  # خارج، مسحوب
    return ["م" + stem for stem in stems]  # منسحب، مغادر، معلن، مستلم، متراجع


def verb_forms(n: str, doubled: bool = False) -> set[str]:
    """The paradigm of a past-tense verb ``n`` (normalised)."""
    form = _form(n, doubled)
    stems = _present_stems(n, form)
    verbs = _past_forms(n, form) | _present_forms(stems, form)
    verbs |= {"س" + f for f in verbs if f[0] in "يتنا" and f not in _past_forms(n, form)}
    out = _with_objects(verbs)
    if form in ("I", "III"):
        # with ه, the past reads as a word in ة: سحبه "he withdrew it" as سحبة, رحله as رحلة "trip",
        # غادره "he left it" as غادرة "treacherous"
        out.discard(n + "ه")
    for noun in (*_verbal_nouns(n, form, doubled), *_participles(n, form, stems)):
        out |= noun_forms(noun)
    return out


# ---------------------------------------------------------------- nouns and adjectives


def noun_forms(n: str) -> set[str]:
    """A noun or adjective (normalised) with the endings news writes: feminine, dual, sound plurals,
    construct forms, the accusative alif and pronoun suffixes (قاعدة: قاعدتين، قاعدتها، قاعدات …;
    منسحب: منسحبون، منسحبين، منسحبة، منسحبا …)."""
    if n.endswith("ه"):
        return {n} | _feminine(n[:-1])
    return {n} | _masculine(n) | _feminine(n)  # an adjective or participle has a feminine


def _feminine(base: str) -> set[str]:
    """``base`` + ة and its endings (ة is written ت before one)."""
    out = {base + "ه", base + "تان", base + "تين", base + "ات"}
    for p in NOUN_PRONOUNS:
        out |= {base + "ت" + p, base + "تا" + p, base + "تي" + p, base + "ات" + p}
    return out


def _masculine(n: str) -> set[str]:
    out = {n + s for s in ("ان", "ين", "ون", "ا", "و", "ي")}
    for p in NOUN_PRONOUNS:
        out |= {n + p, n + "ا" + p, n + "ي" + p, n + "و" + p}
    # ي + ه reads as the adjective in ية: خارجيه "his outsiders" is الخارجية, مستشاريه the chancellery
    out.discard(n + "يه")
    return out
