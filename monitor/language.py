"""Which language an Arabic-script text is in, by its words (pure).

Arabic, Persian, Sorani Kurdish and Urdu share the script, and the shared letters do not tell them
apart: Iraqi and Kurdish outlets type Arabic on Persian and Kurdish keyboards (ی ک ھ for ي ك ه, at
times in every word: seed 003 writes مھمة and العسكریة), and Iraqi and Gulf Arabic writes گ and چ.
What does tell them apart is the small words every sentence needs: Arabic في من على إلى التي
الذي …, Persian است که را از در …, Sorani لە بۆ کە ئەو …, Urdu کے میں ہے سے … . Each list holds
only words the other languages do not use (a word two of them use counts for neither), and each
word is listed in every keyboard spelling (ي ی ى, ك ک, ه ھ), so Arabic typed on a Persian
keyboard reads as Arabic and Persian typed on an Arabic one as Persian. Persian's می‌ and ‌ها
joined by a zero-width non-joiner count as Persian words; Sorani's ۆ ێ ڵ ڕ and Urdu's ٹ ڈ ڑ ں ے ہ,
letters no Arabic keyboard types, count as words of those languages.

The decision, on the first ``sample`` characters:

- ``"other"``: mostly Latin letters, or (with no word of any list) mostly not Arabic script;
- the language with the most words; Arabic when it ties for the most;
- a text without any such word — a short title, a name — is Arabic unless it has Persian's پ or
  ژ or a zero-width non-joiner (Persian writes one inside words, Arabic does not): the keyboard
  letters ی ک ھ and Iraqi گ چ are no evidence either way, and Rasad watches Arabic feeds, so
  when the words cannot tell, the rules' own terms decide.
- A text that does not read as Arabic is read once more without diacritics and tatweel (فِي,
  عَنْ: a vocalised verse hides its words).

It runs for every article, so it must cost microseconds: one ``str.split``, one dictionary look-up
per word (both C loops) and a few substring counts.
"""

from __future__ import annotations

import re
from itertools import product

# Every word is also listed with its punctuation, so that splitting on spaces is enough.
_BEFORE = ("", "«", '"', "(", "“")
_AFTER = ("", ".", "،", ",", ":", "؛", "»", '"', ")", "”", "؟", "!", "۔")
_KEYBOARD = {"ي": "يیى", "ى": "ىیي", "ی": "یيى", "ك": "كک", "ک": "کك", "ه": "هھ", "ھ": "ھه"}

# Words in two languages are in neither list. Arabic leaves out بين بعد قبل حتى كل غير ضمن خلال
# حيث كما بدون بها (Persian uses them too), او ما هم يا (Persian words), امام and اکثر without
# their hamza (Persian), جو كي (Urdu); Persian leaves out این (Arabic أين without its hamza), به
# (Arabic "with it"), ولی (Arabic ولي العهد), روی (روى), توسط, بین, کرد (Arabic "Kurds").
ARABIC_WORDS = """
في وفي من ومن على وعلى إلى الى وإلى عن أن وأن بأن إن فإن ان أنه إنه انه أنها إنها انها
التي الذي الذين والتي والذي هذا هذه وهذا وهذه ذلك وذلك تلك هؤلاء كان كانت وكان وكانت يكون
تكون قد وقد فقد لقد لم ولم لن لا ولا مع ومع منذ لكن ولكن أو ثم أي عند عندما حول لدى إذا اذا
أيضا ايضا فيه فيها منه منها عليه عليها إليه له لها هو وهو هي وهي قال وقال أضاف وأضاف أكد وأكد
حسب بحسب إلا ليس سوف تم وتم يتم أمام أكثر لأن كذلك بشأن إذ أما
"""
PERSIAN_WORDS = """
است نیست هست هستند آن آنها اینکه آنکه که را از با در برای بر تا می نمی ها های هایی
شد شده شود شوند شدند شدن کرده کند کنند کردند کردن بود بوده بودند باشد باشند دارد دارند داشت
داشته خود نیز یک یکی هر همه وی شما ایشان چنین چون اگر زیرا پس پیش درباره گفت گفته میگوید
میشود میشوند میکند میکنند خواهد خواهند دیگر اند ترین میان هیچ بسیار همچنین چند چه نه باید
همین همان
"""
SORANI_WORDS = """
لە بە بۆ کە ئەو ئەم ئەوە ئەمە ئەوان ئەوانە ئەمانە لەگەڵ لەسەر لەلایەن دوای پێش بەڵام یان
هەروەها هەر چونکە وتی ووتی گوتی کرا کراوە کردووە دەکات دەکرێت دەبێت بوو بووە بێت هەیە نییە
دا ناو نێوان سەر ژێر ئێستا هەموو زۆر ئێمە بەپێی هەتا تاکو وەک بێ لێ پێ
"""
URDU_WORDS = """
کے کا میں ہے ہیں نے سے کو پر اور یہ وہ بھی تھا تھی تھے گیا گئی گئے کہ کر کیا ہو ہوں نہیں ایک
اس تک لیے لئے ساتھ رہا رہے دیا کہا اپنے ہی والے کرنے ہوئے گا گی گے جس جب کچھ نہ
"""


def spellings(word: str) -> list[str]:
    """``word`` in every keyboard spelling of its yeh, kaf and heh (ي ی ى, ك ک, ه ھ)."""
    return ["".join(p) for p in product(*(_KEYBOARD.get(c, c) for c in word))]


LANGUAGES = ("ar", "fa", "ckb", "ur")
_CODE = dict(zip(LANGUAGES, "afku", strict=True))  # one letter each, counted with str.count


def _lexicon() -> dict[str, str]:
    """Every spelling of every listed word, bare and with punctuation around it → its language's code."""
    out: dict[str, str] = {}
    lists = zip(LANGUAGES, (ARABIC_WORDS, PERSIAN_WORDS, SORANI_WORDS, URDU_WORDS), strict=True)
    for language, words in lists:
        for word in words.split():
            for spelling, before, after in product(spellings(word), _BEFORE, _AFTER):
                key = before + spelling + after
                if out.setdefault(key, _CODE[language]) != _CODE[language]:
                    raise ValueError(f"{key!r} is listed in two languages")
    return out


_LEXICON = _lexicon()
# Persian morphology no other language writes: می‌ before a verb, ‌ها ‌اند ‌ای ‌است after a word
_PERSIAN_JOINS = ("می\u200c", "\u200cها", "\u200cاند", "\u200cای", "\u200cاست")
SORANI_LETTERS = "ۆێڵڕ"  # not ە: a Kurdish keyboard may give it for Arabic ه
URDU_LETTERS = "ٹڈڑںےہ"
PERSIAN_SIGNS = "پژ\u200c"  # and a ZWNJ; not گ چ: Iraqi and Gulf Arabic write them
_MARKS = re.compile("[\u0640\u064b-\u065f\u0670]")  # tatweel, harakat, shadda, sukun, dagger alef
_NOT_LATIN = bytes(b for b in range(128) if not chr(b).isalpha())
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


def word_counts(text: str) -> dict[str, int]:
    """How many words of each language's list ``text`` has, as written (see the module's docstring)."""
    found = "".join(filter(None, map(_LEXICON.get, text.split())))
    counts = {language: found.count(code) for language, code in _CODE.items()}
    if "\u200c" in text:
        counts["fa"] += sum(map(text.count, _PERSIAN_JOINS))
    if any(map(text.__contains__, SORANI_LETTERS + URDU_LETTERS)):  # Arabic text has none
        counts["ckb"] += sum(map(text.count, SORANI_LETTERS))
        counts["ur"] += sum(map(text.count, URDU_LETTERS))
    return counts


def _by_words(counts: dict[str, int]) -> str | None:
    """The language with the most function words (Arabic on a tie); None when there are none."""
    best = max(counts.values())
    if best == 0:
        return None
    if counts["ar"] == best:
        return "ar"
    return max(("ckb", "ur", "fa"), key=counts.__getitem__)


def detect_language(text: str, sample: int = 1000) -> str:
    """``"ar"``, ``"fa"``, ``"ckb"``, ``"ur"``, or ``"other"`` (mostly Latin, or not Arabic script)."""
    part = text[:sample]
    ascii_part = part.encode("ascii", "ignore")
    non_ascii = len(part) - len(ascii_part)  # in Arabic text: nearly all letters
    latin = len(ascii_part.translate(None, _NOT_LATIN))
    if non_ascii == 0 or latin > non_ascii:
        return "other"
    language = _by_words(word_counts(part))
    if language != "ar" and _MARKS.search(part):  # فِي, عَنْ: read again without diacritics
        part = _MARKS.sub("", part)
        language = _by_words(word_counts(part))
    return language or _by_letters(part, non_ascii)


def _by_letters(part: str, non_ascii: int) -> str:
    """The language of a text without a word of any list (see the module's docstring)."""
    if len(_ARABIC_SCRIPT.findall(part)) * 2 < non_ascii:
        return "other"
    return "fa" if any(c in part for c in PERSIAN_SIGNS) else "ar"
