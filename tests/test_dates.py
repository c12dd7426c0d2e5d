"""Dates mentioned in Arabic text: every regional month name, relative forms, datelines, Hijri."""

import json
from datetime import date
from pathlib import Path

import pytest

from monitor.dates import mentioned_dates

ROOT = Path(__file__).resolve().parent.parent
REF = date(2024, 9, 21)  # a Saturday

FORMS = [
    # (text, reference, [(span, iso, qualifier)])
    ("في 15 يناير 2025", REF, [("15 يناير 2025", "2025-01-15", None)]),
    ("في 3 فبراير 2025", REF, [("3 فبراير 2025", "2025-02-03", None)]),
    ("مارس 2025", REF, [("مارس 2025", "2025-03", None)]),
    ("في إبريل 2025 وفي أبريل 2026", REF, [("إبريل 2025", "2025-04", None), ("أبريل 2026", "2026-04", None)]),
    ("مايو 2025", REF, [("مايو 2025", "2025-05", None)]),
    ("يونيو 2025 ويونيه 2026", REF, [("يونيو 2025", "2025-06", None), ("يونيه 2026", "2026-06", None)]),
    ("يوليو 2025", REF, [("يوليو 2025", "2025-07", None)]),
    ("أغسطس 2025 واغسطس 2026", REF, [("أغسطس 2025", "2025-08", None), ("اغسطس 2026", "2026-08", None)]),
    ("أكتوبر 2025", REF, [("أكتوبر 2025", "2025-10", None)]),
    ("نوفمبر 2025", REF, [("نوفمبر 2025", "2025-11", None)]),
    ("ديسمبر 2025", REF, [("ديسمبر 2025", "2025-12", None)]),
    ("كانون الثاني 2025", REF, [("كانون الثاني 2025", "2025-01", None)]),
    ("شباط 2025", REF, [("شباط 2025", "2025-02", None)]),
    ("آذار 2025", REF, [("آذار 2025", "2025-03", None)]),
    ("نيسان 2025", REF, [("نيسان 2025", "2025-04", None)]),
    ("أيار 2025", REF, [("أيار 2025", "2025-05", None)]),
    ("حزيران 2025", REF, [("حزيران 2025", "2025-06", None)]),
    ("تموز 2025", REF, [("تموز 2025", "2025-07", None)]),
    ("آب 2025", REF, [("آب 2025", "2025-08", None)]),
    ("أيلول 2025", REF, [("أيلول 2025", "2025-09", None)]),
    ("تشرين الأول 2025", REF, [("تشرين الأول 2025", "2025-10", None)]),
    ("تشرين الثاني 2025", REF, [("تشرين الثاني 2025", "2025-11", None)]),
    ("كانون الأول 2025", REF, [("كانون الأول 2025", "2025-12", None)]),
    ("جانفي 2025", REF, [("جانفي 2025", "2025-01", None)]),
    ("فيفري 2025", REF, [("فيفري 2025", "2025-02", None)]),
    ("أفريل 2025", REF, [("أفريل 2025", "2025-04", None)]),
    ("ماي 2025", REF, [("ماي 2025", "2025-05", None)]),
    ("جوان 2025", REF, [("جوان 2025", "2025-06", None)]),
    ("جويلية 2025", REF, [("جويلية 2025", "2025-07", None)]),
    ("أوت 2025", REF, [("أوت 2025", "2025-08", None)]),
    ("في أيلول/سبتمبر 2026", REF, [("أيلول/سبتمبر 2026", "2026-09", None)]),
    ("كانون الثاني يناير 2024", REF, [("كانون الثاني يناير 2024", "2024-01", None)]),
    ("الخميس 25 من كانون الثاني", date(2024, 1, 26), [("الخميس 25 من كانون الثاني", "2024-01-25", None)]),
    ("منتصف نوفمبر تشرين الثاني 2023", REF, [("منتصف نوفمبر تشرين الثاني 2023", "2023-11", "mid")]),
    ("مطلع آذار 2025", REF, [("مطلع آذار 2025", "2025-03", "start")]),
    ("بحلول نهاية 2026", REF, [("نهاية 2026", "2026", "end")]),
    ("في أيلول/سبتمبر الحالي", REF, [("أيلول/سبتمبر الحالي", "2024-09", None)]),
    ("في نيسان الماضي", REF, [("نيسان الماضي", "2024-04", None)]),
    ("في تشرين الأول الماضي", REF, [("تشرين الأول الماضي", "2023-10", None)]),
    ("في آذار المقبل", REF, [("آذار المقبل", "2025-03", None)]),
    ("في شهر آب من السنة الماضية", REF, [("شهر آب من السنة الماضية", "2023-08", None)]),
    ("الشهر المقبل", REF, [("الشهر المقبل", "2024-10", None)]),
    ("الشهر الماضي", REF, [("الشهر الماضي", "2024-08", None)]),
    ("العام المقبل", REF, [("العام المقبل", "2025", None)]),
    ("العام الماضي", REF, [("العام الماضي", "2023", None)]),
    (
        "في سبتمبر 2025 وبقية القوات بحلول نهاية العام التالي",
        REF,
        [("سبتمبر 2025", "2025-09", None), ("نهاية العام التالي", "2026", "end")],
    ),
    ("والخميس الماضي", REF, [("الخميس الماضي", "2024-09-19", None)]),
    ("اليوم السبت", REF, [("اليوم السبت", "2024-09-21", None)]),
    ("أمس الجمعة", REF, [("أمس الجمعة", "2024-09-20", None)]),
    ("تاريخ النشر: 24th, September 2024 GMT", REF, [("24th, September 2024", "2024-09-24", None)]),
    ("September 24, 2024", REF, [("September 24, 2024", "2024-09-24", None)]),
    ("في ٢٧ كانون الثاني ٢٠٢٤", REF, [("٢٧ كانون الثاني ٢٠٢٤", "2024-01-27", None)]),
    ("حتى أيلول ۲۰۲۶", REF, [("أيلول ۲۰۲۶", "2026-09", None)]),
    ("في 15 رمضان 1445 هـ", REF, [("15 رمضان 1445 هـ", "2024-03-25", None)]),
    (
        "شهر رمضان 1446 هجري",
        REF,
        [("شهر رمضان 1446 هجري", "2025-03", None)],
    ),  # شهر is in the span, as with Gregorian months
    ("عام 2008", REF, [("عام 2008", "2008", None)]),
    ("منذ عام 2022 وحتى الآن", REF, [("عام 2022", "2022", None)]),
]

# Dates written with digits only, ordinal day words, years with م, a Hijri month with a year (issue 12).
FORMS += [
    ("في 22-9-2024", REF, [("22-9-2024", "2024-09-22", None)]),
    ("في 20/9/2024", REF, [("20/9/2024", "2024-09-20", None)]),
    ("في 2024/09/21", REF, [("2024/09/21", "2024-09-21", None)]),
    ("في 21.09.2024.", REF, [("21.09.2024", "2024-09-21", None)]),  # a full stop ends the sentence
    ("في ٢٢/٩/٢٠٢٤", REF, [("٢٢/٩/٢٠٢٤", "2024-09-22", None)]),  # Arabic-Indic digits
    ("في ۲۲-۹-۲۰۲۴", REF, [("۲۲-۹-۲۰۲۴", "2024-09-22", None)]),  # Persian digits
    ("الثلاثاء ١ / ١٢ / ٢٠٢٠", REF, [("١ / ١٢ / ٢٠٢٠", "2020-12-01", None)]),  # spaced separators
    ("بتاريخ 22/9/2024م", REF, [("22/9/2024م", "2024-09-22", None)]),
    ("بتاريخ 22/9/2024 م", REF, [("22/9/2024 م", "2024-09-22", None)]),
    ("في 15/9/1445هـ", REF, [("15/9/1445هـ", "2024-03-25", None)]),  # Hijri, converted
    ("في 1445/09/15 هـ", REF, [("1445/09/15 هـ", "2024-03-25", None)]),
    ("في 3/4/2024", REF, [("3/4/2024", "2024-04-03", None)]),  # day first, as Arabic outlets write
    ("في 9/22/2024", REF, [("9/22/2024", "2024-09-22", None)]),  # only month first can be right
    ("في 2024/21/09", REF, [("2024/21/09", "2024-09-21", None)]),
    ("(22-9-2024)", REF, [("22-9-2024", "2024-09-22", None)]),
    ("في 5/5/2024 الساعة 10:30", REF, [("5/5/2024", "2024-05-05", None)]),
    ("عام ٢٠٢٥م", REF, [("عام ٢٠٢٥م", "2025", None)]),
    ("حتى عام 2026 م", REF, [("عام 2026 م", "2026", None)]),
    ("في الأول من أيلول", REF, [("الأول من أيلول", "2024-09-01", None)]),
    ("اليوم الأول من أيلول", REF, [("الأول من أيلول", "2024-09-01", None)]),
    ("الثلاثين من أيلول 2024", REF, [("الثلاثين من أيلول 2024", "2024-09-30", None)]),
    (
        "في الحادي والثلاثين من كانون الأول 2024",
        REF,
        [("الحادي والثلاثين من كانون الأول 2024", "2024-12-31", None)],
    ),
    ("الخامس عشر من شهر آب 2025", REF, [("الخامس عشر من شهر آب 2025", "2025-08-15", None)]),
    ("في الثاني والعشرين من تموز", REF, [("الثاني والعشرين من تموز", "2024-07-22", None)]),
    ("خلال شهر رمضان 1445", REF, [("شهر رمضان 1445", "2024-03", None)]),
    ("في 15 رمضان 1445", REF, [("15 رمضان 1445", "2024-03-25", None)]),
]


@pytest.mark.parametrize(("text", "ref", "expected"), FORMS, ids=[f[0] for f in FORMS])
def test_date_forms(text, ref, expected):
    found = [(d.text, d.iso, d.qualifier) for d in mentioned_dates(text, ref)]
    assert found == expected


@pytest.mark.parametrize(
    "text",
    [
        "قال أب الضحية إن ابنه مفقود",  # أب: father, not August
        "مارس الضغط على الحكومة",  # مارس: he practised
        "نشر 2500 جندي و160 هجوما و86 دولة",  # numbers are not years
        "اليوم نتحدث عن التحالف",  # bare اليوم is not a date
        "منذ سنوات والحديث مستمر",
        "رمضان مبارك",  # a Hijri month without a year
        "في 31 شباط 2025",  # no such day
        "أيلول/نيسان 2025",  # the two halves disagree
        # numbers that are not dates (issue 12)
        "الساعة 10:30 صباحا",  # a time
        "فاز الفريق 2-1 في المباراة",  # a score
        "اتصل على 0799-123-456",  # a phone number
        "الرقم 06-5601234",
        "بلغ العدد 1.250.000 شخص",  # a quantity with thousands separators
        "العنوان 192.168.1.1",
        "المرسوم رقم 2024/17",  # a decree number
        "القرار رقم 5/3/2024",  # a date-shaped number that numbers something
        "بين 2024-2025",  # a span of years
        "الرابط example.com/2024/09/21/story",  # a path in a URL
        "في 32/13/2024",  # no such day in either order
        "في 12/5/1850",  # neither a Gregorian nor a Hijri year of the news
        "دفع شعبان 1400 دينار",  # a name and a number, not a Hijri date
        "الحادي عشر من اللاعبين",  # an ordinal without a month
    ],
)
def test_not_dates(text):
    assert mentioned_dates(text, REF) == []


@pytest.mark.parametrize("text", ["الأسبوع الأول من أيلول", "السبت الأول من أيلول"])
def test_an_ordinal_that_counts_a_noun_names_the_month_only(text):
    # the first week, the first Saturday of September: September, not 1 September
    assert [(d.text, d.iso) for d in mentioned_dates(text, REF)] == [("أيلول", "2024-09")]


def test_a_hijri_month_with_a_year_is_the_range_of_that_month():
    (d,) = mentioned_dates("شهر رمضان 1445", REF)
    assert (d.first.isoformat(), d.last.isoformat(), d.precision) == ("2024-03-11", "2024-04-09", "month")


def test_a_weekday_pins_the_year():
    # 25 January was a Thursday in 2024 (not in 2025): the reference is in 2025 but close
    (d,) = mentioned_dates("الخميس 25 كانون الثاني", date(2025, 1, 20))
    assert d.iso == "2024-01-25"


def test_diacritics_and_variants_inside_dates():
    (d,) = mentioned_dates("في أَيْلُولَ ٢٠٢٦", REF)
    assert d.iso == "2026-09" and d.text == "أَيْلُولَ ٢٠٢٦"


def test_seed_dates_match_golden(regen):
    golden = ROOT / "seeds" / "golden" / "dates.json"
    expected = json.loads(golden.read_text(encoding="utf-8"))
    result = {}
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        ref = date.fromisoformat(expected[path.stem]["published"])
        result[path.stem] = {
            "published": ref.isoformat(),
            "dates": [
                [d.text, d.iso, d.qualifier] for d in mentioned_dates(path.read_text(encoding="utf-8"), ref)
            ],
        }
    if regen:
        golden.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert result == expected
