"""Language detection on real material kept outside the repository: before (main's letter statistics)
and after (function words), item by item, with totals.

    python scripts/evaluate_language.py DIR_OR_FILE... [--expect LANG] [--quiet]

Reads, from each directory (or file named):

- ``*.txt``: title on the first line, body after it;
- ``*.html``: title and body as Rasad extracts them (trafilatura); a page without main text gives
  its ``<title>`` and meta description, as the feed's title and summary would;
- ``*.jsonl``: one item per line, fields ``title`` and ``text``.

The expected language of an item is ``--expect``, else the ``language`` its folder's
``manifest.json`` gives its file, else the file name's prefix (``fa_``, ``ckb_``, ``ur_``), else
Arabic. Each item is judged as the matcher judges it (title, a newline, the first 1,000 characters
of the body), then its title alone; every Arabic item is also judged as typed on a Persian
keyboard (every ي ك ه ى written ی ک ھ ی). Each line shows the words of each language's list the
item has (monitor.language.word_counts), so a close call can be seen.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.extract import extract_page  # noqa: E402
from monitor.language import detect_language, word_counts  # noqa: E402

PERSIAN_KEYBOARD = str.maketrans({"ي": "ی", "ك": "ک", "ه": "ھ", "ى": "ی"})


# ---------------------------------------------------------------- main's detector, for "before"

_NOT_LATIN = bytes(b for b in range(128) if not chr(b).isalpha())
_ARABIC_ONLY = "ةىيكؤإأآ"
_PERSIAN_ONLY = "پچژگیک"
_SORANI_ONLY = "ەۆێڵڕ"
_URDU_ONLY = "ٹڈڑںےہ"
_FOREIGN = _PERSIAN_ONLY + _SORANI_ONLY + _URDU_ONLY
_NOT_ARABIC = re.compile(f"[{_FOREIGN}]")


def letter_statistics(text: str, sample: int = 1000) -> str:
    """monitor/language.py as it was before words decided (commit ff8f58d): the share of letters."""
    part = text[:sample]
    ascii_part = part.encode("ascii", "ignore")
    non_ascii = len(part) - len(ascii_part)
    latin = len(ascii_part.translate(None, _NOT_LATIN))
    if non_ascii == 0 or latin > non_ascii:
        return "other"
    if not any(c in part for c in _FOREIGN):
        return "ar"
    foreign = "".join(_NOT_ARABIC.findall(part))

    def share(chars: str, text: str) -> float:
        return sum(text.count(c) for c in chars) / non_ascii

    arabic = share(_ARABIC_ONLY, part)
    persian, sorani, urdu = (share(c, foreign) for c in (_PERSIAN_ONLY, _SORANI_ONLY, _URDU_ONLY))
    if sorani > 0.02 and sorani > arabic / 2:
        return "ckb"
    if urdu > 0.02 and urdu > arabic / 2:
        return "ur"
    if persian > arabic:
        return "fa"
    return "ar"


# ---------------------------------------------------------------- reading the material


@dataclass
class Item:
    name: str
    expected: str
    title: str
    body: str

    @property
    def sample(self) -> str:
        return f"{self.title}\n{self.body[:1000]}"  # what monitor.rules gives detect_language


def _expected(path: Path, manifest: dict[str, str], given: str | None) -> str:
    if given:
        return given
    if path.name in manifest:
        return manifest[path.name]
    prefix = path.name.split("_", 1)[0]
    return prefix if prefix in ("fa", "ckb", "ur", "ar") and "_" in path.name else "ar"


def _html(path: Path) -> tuple[str, str]:
    page = path.read_bytes()
    x = extract_page(page, f"http://evaluate.invalid/{path.name}")
    if x is not None:
        return x.title, x.body
    doc = lxml.html.fromstring(page.decode("utf-8", "replace"))  # the meta charset may come late
    title = doc.findtext(".//title") or ""
    description = doc.xpath("string(//meta[@name='description']/@content)")
    return title.strip(), str(description).strip()


def read(target: Path, given: str | None) -> Iterator[Item]:
    files = sorted(p for p in target.iterdir() if p.is_file()) if target.is_dir() else [target]
    folder = target if target.is_dir() else target.parent
    manifest: dict[str, str] = {}
    if (folder / "manifest.json").exists():
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        items = data.get("items", []) if isinstance(data, dict) else []
        manifest = {i["file"]: i["language"] for i in items if "file" in i and "language" in i}
    for path in files:
        expected = _expected(path, manifest, given)
        if path.suffix == ".txt":
            title, _, body = path.read_text(encoding="utf-8").partition("\n")
            yield Item(str(path), expected, title, body)
        elif path.suffix == ".html":
            yield Item(str(path), expected, *_html(path))
        elif path.suffix == ".jsonl":
            with path.open(encoding="utf-8") as lines:
                for n, line in enumerate(lines, 1):
                    d = json.loads(line)
                    name = f"{path}:{n} {d.get('id', '')}".strip()
                    yield Item(name, given or "ar", d.get("title") or "", d.get("text") or "")


# ---------------------------------------------------------------- judging


@dataclass
class Tally:
    """How many items of one expected language got it right, before and after."""

    items: int = 0
    before: int = 0
    after: int = 0
    exact_before: int = 0  # the very language expected (fa as fa, not as ckb)
    exact_after: int = 0
    wrong: list[str] = field(default_factory=list)

    def add(self, name: str, expected: str, before: str, after: str) -> None:
        self.items += 1
        self.before += (before == "ar") == (expected == "ar")
        self.after += (after == "ar") == (expected == "ar")
        self.exact_before += before == expected
        self.exact_after += after == expected
        if (after == "ar") != (expected == "ar"):
            self.wrong.append(f"{name}: {after}")


def cpu_us(fn: Callable[[str], str], texts: list[str], rounds: int = 5) -> float:
    """Median CPU time per text, in µs (process time: other load on the machine counts less)."""
    runs = []
    for _ in range(rounds):
        start = time.process_time()
        for t in texts:
            fn(t)
        runs.append((time.process_time() - start) / len(texts))
    return statistics.median(runs) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("targets", nargs="+", type=Path, metavar="DIR_OR_FILE")
    parser.add_argument("--expect", choices=["ar", "fa", "ckb", "ur", "other"], help="every item's language")
    parser.add_argument("--quiet", action="store_true", help="totals and wrong items only")
    args = parser.parse_args()

    items = [item for target in args.targets for item in read(target, args.expect)]
    tallies: dict[str, Tally] = {}
    if not args.quiet:
        print(
            f"{'expected':8} {'before':6} {'after':6} {'title':6} {'keyb.':6} {'words ar/fa/ckb/ur':18} item"
        )
    for item in items:
        before, after = letter_statistics(item.sample), detect_language(item.sample)
        title = detect_language(item.title)
        arabic = item.expected == "ar"
        keyboard = item.sample.translate(PERSIAN_KEYBOARD)
        kb_before, kb_after = (letter_statistics(keyboard), detect_language(keyboard)) if arabic else ("", "")
        tallies.setdefault(item.expected, Tally()).add(item.name, item.expected, before, after)
        tallies.setdefault(f"{item.expected}, title alone", Tally()).add(
            item.name, item.expected, letter_statistics(item.title), title
        )
        if arabic:
            tallies.setdefault("ar, Persian keyboard", Tally()).add(item.name, "ar", kb_before, kb_after)
        if not args.quiet:
            words = "/".join(map(str, word_counts(item.sample).values()))
            print(f"{item.expected:8} {before:6} {after:6} {title:6} {kb_after:6} {words:18} {item.name}")

    print("\nright = Arabic called ar; Persian, Kurdish, Urdu called anything but ar")
    print(f"{'':28} {'items':>6} {'before':>8} {'after':>8}   exactly that language: before, after")
    for name in sorted(tallies):
        t = tallies[name]
        print(f"{name:28} {t.items:6} {t.before:8} {t.after:8}   {t.exact_before:8} {t.exact_after:8}")
    for name in sorted(tallies):
        for line in tallies[name].wrong:
            print(f"  wrong after ({name}): {line}")
    samples = [item.sample for item in items]
    print(
        f"\nCPU per item (title + 1,000 characters): before {cpu_us(letter_statistics, samples):.1f} µs,"
        f" after {cpu_us(detect_language, samples):.1f} µs"
    )


if __name__ == "__main__":
    main()
