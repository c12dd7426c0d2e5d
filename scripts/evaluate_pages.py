"""Publication dates and article bodies on real pages kept outside the repository.

    python scripts/evaluate_pages.py DIR [--json] [--quiet]

DIR holds ``manifest.json`` (a list of objects: ``file``, ``url``, ``true_date`` and, for pages
whose body was written out by hand, ``truth: true``; ``outlet``, ``repo``, ``commit``, ``path``
are shown when present), ``pages/<file>`` (the HTML) and ``truth/<stem>.txt`` (title on the first
line, the article's paragraphs after it).

For each page it prints the day Rasad reads (``monitor.extract.extract_page``: the page's own day,
in the offset the page gave) next to trafilatura's own (``trafilatura.extract_metadata``) and
htmldate's own (``htmldate.find_date(original_date=True)``), each marked right or wrong against
``true_date``; and, for pages with a truth, the token precision and recall of Rasad's body and of
trafilatura's own default extraction (``trafilatura.extract``). Tokens are words (``\\w+``) after
Rasad's normalisation, counted with multiplicity; the title line of the truth is not part of the
body.

To measure another version of Rasad (``main`` before a change), put its source first on the path:
``git archive main monitor | tar -x -C /tmp/before && PYTHONPATH=/tmp/before python
scripts/evaluate_pages.py DIR``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import warnings
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # after PYTHONPATH, so another version of monitor/ can be measured

import htmldate  # noqa: E402
import trafilatura  # noqa: E402

from monitor.arabic import normalize  # noqa: E402
from monitor.extract import extract_page  # noqa: E402

_WORD = re.compile(r"\w+")


@dataclass
class Row:
    file: str
    outlet: str
    true_date: str
    rasad: str | None
    trafilatura: str | None
    htmldate: str | None
    precision: float | None = None
    recall: float | None = None
    traf_precision: float | None = None
    traf_recall: float | None = None


def tokens(text: str) -> Counter[str]:
    return Counter(_WORD.findall(normalize(text)))


def precision_recall(found: str, truth: str) -> tuple[float, float]:
    got, want = tokens(found), tokens(truth)
    common = sum((got & want).values())
    return (common / max(sum(got.values()), 1), common / max(sum(want.values()), 1))


def day(value: object) -> str | None:
    """``YYYY-MM-DD`` of a datetime (in its own offset), a date, or a string that starts with one."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()[:10]
    text = str(value)
    return text[:10] if re.match(r"\d{4}-\d\d-\d\d", text) else None


def evaluate(folder: Path) -> list[Row]:
    rows = []
    for entry in json.loads((folder / "manifest.json").read_text(encoding="utf-8")):
        page = (folder / "pages" / entry["file"]).read_bytes()
        url = entry.get("url") or ""
        html = page.decode("utf-8", errors="replace")
        extracted = extract_page(page, url)
        meta = trafilatura.extract_metadata(html, default_url=url)
        row = Row(
            file=entry["file"],
            outlet=entry.get("outlet", ""),
            true_date=entry["true_date"],
            rasad=day(extracted.published) if extracted else None,
            trafilatura=day(meta.date) if meta is not None else None,
            htmldate=day(htmldate.find_date(html, url=url, original_date=True)),
        )
        truth_file = folder / "truth" / f"{Path(entry['file']).stem}.txt"
        if entry.get("truth") and truth_file.exists():
            truth = truth_file.read_text(encoding="utf-8").split("\n", 1)[1]
            row.precision, row.recall = precision_recall(extracted.body if extracted else "", truth)
            own = trafilatura.extract(html, url=url) or ""
            row.traf_precision, row.traf_recall = precision_recall(own, truth)
        rows.append(row)
    return rows


def mark(found: str | None, true: str) -> str:
    return f"{found or '-':<10} {'ok' if found == true else 'WRONG'}"


def report(rows: list[Row], quiet: bool) -> None:
    if not quiet:
        print(
            f"{'page':<9} {'true':<10}  {'rasad':<16} {'trafilatura':<16} {'htmldate':<16} body P/R (trafilatura's own)"
        )
        for r in rows:
            body = ""
            if r.precision is not None:
                body = f"{r.precision:.3f}/{r.recall:.3f} ({r.traf_precision:.3f}/{r.traf_recall:.3f})"
            print(
                f"{r.file:<9} {r.true_date:<10}  {mark(r.rasad, r.true_date):<16} "
                f"{mark(r.trafilatura, r.true_date):<16} {mark(r.htmldate, r.true_date):<16} {body}  {r.outlet}"
            )
    outlets = {r.outlet.split(" (")[0] for r in rows}
    print(f"\n{len(rows)} pages from {len(outlets)} outlets: day right")
    for name in ("rasad", "trafilatura", "htmldate"):
        right = sum(getattr(r, name) == r.true_date for r in rows)
        print(f"  {name:<12} {right}/{len(rows)}")
    judged = [r for r in rows if r.precision is not None]
    if judged:
        print(f"body tokens on {len(judged)} pages with a hand-made truth (mean over pages):")
        for label, p, rc in (
            ("rasad", "precision", "recall"),
            ("trafilatura", "traf_precision", "traf_recall"),
        ):
            mean_p = sum(getattr(r, p) for r in judged) / len(judged)
            mean_r = sum(getattr(r, rc) for r in judged) / len(judged)
            low = min(min(getattr(r, p), getattr(r, rc)) for r in judged)
            print(
                f"  {label:<12} precision {mean_p:.3f}  recall {mean_r:.3f}  (lowest single figure {low:.3f})"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", action="store_true", help="one JSON object per page")
    parser.add_argument("--quiet", action="store_true", help="totals only")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    rows = evaluate(args.folder)
    if args.json:
        for r in rows:
            print(json.dumps(asdict(r), ensure_ascii=False))
        return 0
    report(rows, args.quiet)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
