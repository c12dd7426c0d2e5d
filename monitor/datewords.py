"""The words of Arabic dates, in their normalised spellings (monitor.arabic): months of every region,
Hijri months, weekdays, ordinal day words, qualifiers and relative words (pure data).

Each spelling is written as ``monitor.arabic.normalize`` leaves it (ا for أ إ آ, ي for ى, ه for ة),
because the date patterns in ``monitor.dates`` run on normalised text.
"""

from __future__ import annotations

import calendar
from typing import Literal

Qualifier = Literal["start", "mid", "end"]

MONTHS: dict[str, int] = {
    # Egyptian / Gulf (and shared with the Maghreb)
    "يناير": 1,
    "فبراير": 2,
    "مارس": 3,
    "ابريل": 4,
    "مايو": 5,
    "يونيو": 6,
    "يونيه": 6,
    "يوليو": 7,
    "يوليه": 7,
    "اغسطس": 8,
    "سبتمبر": 9,
    "اكتوبر": 10,
    "نوفمبر": 11,
    "ديسمبر": 12,
    # Levantine / Iraqi
    "كانون الثاني": 1,
    "كانون ثاني": 1,
    "شباط": 2,
    "اذار": 3,
    "نيسان": 4,
    "ايار": 5,
    "حزيران": 6,
    "تموز": 7,
    "اب": 8,
    "ايلول": 9,
    "تشرين الاول": 10,
    "تشرين اول": 10,
    "تشرين الثاني": 11,
    "تشرين ثاني": 11,
    "كانون الاول": 12,
    "كانون اول": 12,
    # Maghrebi
    "جانفي": 1,
    "فيفري": 2,
    "افريل": 4,
    "ماي": 5,
    "جوان": 6,
    "جويليه": 7,
    "اوت": 8,
}
# Month names that are also ordinary words (آب "father", مارس "he practised", ماي): only a month
# with a day, a year, "شهر" or a dual form around it.
AMBIGUOUS = {"اب", "مارس", "ماي"}
ENGLISH_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_abbr) if m
}
HIJRI_MONTHS: dict[str, int] = {
    "محرم": 1,
    "صفر": 2,
    "ربيع الاول": 3,
    "ربيع الاخر": 4,
    "ربيع الثاني": 4,
    "جمادي الاولي": 5,
    "جمادي الاول": 5,
    "جمادي الاخره": 6,
    "جمادي الثانيه": 6,
    "جمادي الاخر": 6,
    "رجب": 7,
    "شعبان": 8,
    "رمضان": 9,
    "شوال": 10,
    "ذو القعده": 11,
    "ذي القعده": 11,
    "ذو الحجه": 12,
    "ذي الحجه": 12,
}
WEEKDAYS = {"الاثنين": 0, "الثلاثاء": 1, "الاربعاء": 2, "الخميس": 3, "الجمعه": 4, "السبت": 5, "الاحد": 6}
QUALIFIERS: dict[str, Qualifier] = {
    "بدايه": "start",
    "مطلع": "start",
    "اوائل": "start",
    "اول": "start",
    "مستهل": "start",
    "منتصف": "mid",
    "اواسط": "mid",
    "وسط": "mid",
    "نهايه": "end",
    "اواخر": "end",
    "اخر": "end",
    "ختام": "end",
}
PAST = {"الماضي", "المنصرم", "الفائت", "الماضيه", "المنصرمه", "الفائته"}
NEXT = {"المقبل", "القادم", "المقبله", "القادمه"}
CURRENT = {"الحالي", "الجاري", "الحاليه", "الجاريه"}
FOLLOWING = {"التالي", "التاليه", "الذي يليه", "اللاحق"}

# Ordinal day words ("في الأول من أيلول", "الحادي والثلاثين من"): days are masculine (اليوم).
_UNITS = ["الحادي", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع", "الثامن", "التاسع"]
ORDINALS: dict[str, int] = {"الاول": 1, "العاشر": 10}
ORDINALS |= {"العشرين": 20, "العشرون": 20, "الثلاثين": 30, "الثلاثون": 30}
ORDINALS |= {unit: n for n, unit in enumerate(_UNITS[1:], start=2)}
ORDINALS |= {f"{unit} عشر": n for n, unit in enumerate(_UNITS, start=11)}
for _tens, _base in (("العشرين", 20), ("العشرون", 20)):
    ORDINALS |= {f"{unit} و{_tens}": _base + n for n, unit in enumerate(_UNITS, start=1)}
    ORDINALS[f"الواحد و{_tens}"] = _base + 1
ORDINALS |= {"الحادي والثلاثين": 31, "الحادي والثلاثون": 31, "الواحد والثلاثين": 31, "الواحد والثلاثون": 31}
