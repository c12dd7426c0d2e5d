"""Labelled examples for tuning rules: read them, and split them into a tuning and a test half.

Two shapes (I/O at the edge; :mod:`monitor.evaluate` scores them):

- a JSONL file, one object per line: ``id``, ``label`` (``pos`` is relevant; anything else —
  ``neg``, ``neg_hard`` … — is not), ``title``, ``text``; optionally ``rules``, the ids of the rules
  that should match it when they differ by rule;
- a folder of ``.txt`` (first line is the title) and ``.html`` files with a labels file beside them:
  ``labels.jsonl`` (``file``, ``label``, optional ``rules``) or ``labels.tsv``/``labels.csv``
  (file name, label).

``--split 0.5 --seed N`` keeps a fixed half apart: an example's half is decided by a hash of the
seed and its id, so it never moves when examples are added or the rules change.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import RasadError
from monitor.model import Article


class LabelledError(RasadError):
    """The labelled examples cannot be read."""

    step = "labelled"


@dataclass(frozen=True)
class Example:
    id: str
    relevant: bool
    label: str
    article: Article
    rules: frozenset[str] | None = None  # the rules that should match, when given per example

    def wanted(self, rule_id: str) -> bool:
        """Whether ``rule_id`` should match this example."""
        return rule_id in self.rules if self.rules is not None else self.relevant


def load(path: Path) -> list[Example]:
    """Examples from a JSONL file or a folder with a labels file."""
    if path.is_dir():
        return _folder(path)
    if not path.exists():
        raise LabelledError(f"{path}: not found", hint="give a .jsonl file or a folder with labels.tsv")
    out = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                out.append(_example(item, str(item.get("id") or n), item.get("title") or "", item["text"]))
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                raise LabelledError(
                    f"{path}:{n}: not an example ({type(exc).__name__}: {exc})",
                    hint='each line: {"id": …, "label": "pos" or "neg", "title": …, "text": …}',
                ) from None
    return out


def _example(item: dict[str, object], ident: str, title: object, text: object) -> Example:
    label = str(item["label"])
    rules = item.get("rules")
    art = Article(ident, ident, "labelled", str(title), "", str(text), None)
    wanted = frozenset(str(r) for r in rules) if isinstance(rules, list) else None
    return Example(ident, label == "pos", label, art, wanted)


def _folder(path: Path) -> list[Example]:
    from monitor.inputs import from_file

    labels: dict[str, dict[str, object]] = {}
    if (path / "labels.jsonl").exists():
        for line in (path / "labels.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                labels[str(item["file"])] = item
    else:
        table = next((path / n for n in ("labels.tsv", "labels.csv") if (path / n).exists()), None)
        if table is None:
            raise LabelledError(
                f"{path}: no labels.jsonl, labels.tsv or labels.csv",
                hint="one line per file: its name and its label (pos or neg)",
            )
        delimiter = "\t" if table.suffix == ".tsv" else ","
        with table.open(encoding="utf-8", newline="") as f:
            for row in csv.reader(f, delimiter=delimiter):
                if len(row) >= 2 and not row[0].startswith("#"):
                    labels[row[0].strip()] = {"label": row[1].strip()}
    out = []
    for name, item in sorted(labels.items()):
        file = path / name
        if not file.exists():
            raise LabelledError(f"{file}: listed in the labels file but not found")
        art = from_file(file)
        out.append(_example(item, name, art.title, art.body))
    return out


def in_first_half(example_id: str, seed: int, split: float) -> bool:
    """Whether an example falls in the tuning half (fraction ``split``) for this seed."""
    digest = hashlib.sha256(f"{seed}:{example_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < split


def choose(examples: list[Example], split: float | None, seed: int, half: str) -> list[Example]:
    """The half asked for (``tune`` or ``test``), or everything without a split."""
    if split is None:
        return examples
    first = half == "tune"
    return [e for e in examples if in_first_half(e.id, seed, split) == first]
