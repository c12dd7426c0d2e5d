"""Why a rule did or did not match an article: which conditions held, which failed, the nearest miss (pure).

Used by ``rasad rules test``; it reads the same compiled rules and article preparation as matching.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.arabic import token_spans
from monitor.model import Article
from monitor.rules.conditions import Node, RuleSet, _Group, _Leaf, _Near, _Regex
from monitor.rules.context import _Ctx
from monitor.rules.matcher import _context, _gate, _match, _score, prepare


@dataclass(frozen=True)
class Explanation:
    """Why a rule did or did not match one article: a tree of conditions that held or failed."""

    rule_id: str
    matched: bool
    score: float
    reason: str | None  # set when the rule could not apply at all (language, publication date)
    tree: dict[str, Any]
    nearest_miss: str | None


def explain(article: Article, ruleset: RuleSet, now: datetime) -> list[Explanation]:
    p = prepare(article, ruleset, now)
    out = []
    for rule in ruleset.rules:
        ctx = _context(p, rule)
        ctx.cached_dates = p.dates
        gate = _gate(rule, p, now)
        tree = _explain_node(rule.root, ctx, ruleset)
        p.dates = ctx.cached_dates
        held = gate is None and rule.root.holds(ctx)
        score = 0.0
        if held:
            m = _match(rule, ruleset, p, ctx)
            score = m.score if m else _score(rule, ruleset, ctx, set())
            if m is None:
                gate = f"score {score:g} below the threshold {rule.threshold:g}"
                held = False
        out.append(Explanation(rule.id, held, score, gate, tree, None if held else _nearest_miss(tree)))
    return out


def _explain_node(node: Node, ctx: _Ctx, ruleset: RuleSet) -> dict[str, Any]:
    held = node.holds(ctx)
    if isinstance(node, _Leaf):
        found = sorted({ruleset.terms[t].text for t in node.terms if t in ctx.hits})
        return {"kind": "term", "label": node.label, "held": held, "found": found}
    if isinstance(node, _Group):
        label = f"at least {node.need} of" if node.kind == "at_least" else node.kind
        scope = _scope_label(node)
        narrowed = node.narrowed(ctx) if scope else None
        # a scoped group's parts are shown where it held (that sentence, the lead), else everywhere
        children = [_explain_node(c, narrowed or ctx, ruleset) for c in node.children]
        need = {"all": len(children), "at_least": node.need}.get(node.kind, 1)
        out: dict[str, Any] = {
            "kind": node.kind,
            "label": f"{label} ({scope})" if scope else label,
            "held": held,
            "children": children,
            "satisfied": sum(1 for c in children if c["held"]),
            "need": need,
        }
        if scope:
            out["scope"] = _scope_outcome(node, ctx, narrowed, scope)
        return out
    if isinstance(node, _Near):
        scope = f", same {node.scope}" if node.scope else ""
        label = f"near (within {node.within}{scope}): " + ", ".join(leaf.label for leaf in node.items)
        return {
            "kind": "near",
            "label": label,
            "held": held,
            "found": [leaf.label for leaf in node.items if leaf.holds(ctx)],
        }
    if isinstance(node, _Regex):
        return {"kind": "regex", "label": f"regex {node.pattern.pattern}", "held": held}
    found_dates = [f"{d.text} ({d.iso})" for d in node.matching(ctx)]
    return {
        "kind": "mentions_date",
        "label": f"mentions a date in {node.label}",
        "held": held,
        "found": found_dates,
        "mentioned": [f"{d.text} ({d.iso})" for d in ctx.dates],
    }


def _nearest_miss(tree: dict[str, Any]) -> str | None:
    """The failing condition closest to holding (its group had the most of what it needs)."""
    failing: list[tuple[float, str]] = []

    def walk(node: dict[str, Any], path: str, closeness: float) -> None:
        if node["held"]:
            return
        kind = node["kind"]
        if kind in ("all", "at_least"):
            ratio = node["satisfied"] / node["need"]
            if node.get("scope") and node["satisfied"] >= node["need"]:  # only the scope failed
                failing.append((1.0, f"{path}{node['label']}: {node['scope']}"))
            for child in node["children"]:
                walk(child, f"{path}{node['label']} › ", ratio)
        elif kind == "any":
            failing.append((closeness, f"{path}any: none of {len(node['children'])} alternatives found"))
        elif kind == "none":
            excluded = ", ".join(c["label"] for c in node["children"] if c["held"])
            failing.append((closeness, f"{path}none: excluded by {excluded}"))
        elif kind == "term":
            failing.append((closeness, f"{path}{node['label']}: not found"))
        elif kind == "near":
            found = ", ".join(node["found"]) or "none of them"
            failing.append((closeness, f"{path}{node['label']}: only {found} close enough"))
        else:
            failing.append((closeness, f"{path}{node['label']}: no"))

    # the root is the rule itself: its parts (all / any / none) start the path
    ratio = tree["satisfied"] / tree["need"] if tree.get("need") else 0.0
    for child in tree.get("children", ()):
        walk(child, "", ratio)
    if not failing:
        return None
    return max(failing, key=lambda f: f[0])[1]


def _scope_label(node: _Group) -> str:
    parts = []
    if node.where == "title":
        parts.append("in the title")
    elif node.where == "lead":
        parts.append(f"in the lead: title, summary, first {node.lead} words")
    if node.scope:
        parts.append(f"within one {node.scope}")
    return ", ".join(parts)


def _scope_outcome(node: _Group, ctx: _Ctx, narrowed: _Ctx | None, scope: str) -> str:
    """Where a scoped group held (the sentence, as the article wrote it), or why it did not."""
    if narrowed is None:
        everywhere = _Group(node.kind, node.children, node.need)
        if everywhere.holds(ctx):
            return f"its parts occur in the article, but not {scope}"
        return "its parts do not occur"
    if node.scope is None:
        return f"held {scope}"
    fields = {f for found in narrowed.hits.values() for f, _, _ in found}
    if not fields:
        return f"held {scope}"
    name = sorted(fields)[0]
    positions = sorted(p for found in narrowed.hits.values() for f, p, _ in found if f == name)
    units = ctx.units(name, node.scope)
    unit = units[positions[0]] if positions and positions[0] < len(units) else -1
    text = ctx.article.field_text(name)  # type: ignore[arg-type]
    spans = [(a, b) for (_, a, b), u in zip(token_spans(text), units, strict=False) if u == unit]
    quote = " ".join(text[spans[0][0] : spans[-1][1]].split()) if spans else ""
    quote = quote if len(quote) <= 160 else quote[:159] + "…"
    return f"held in one {node.scope} of the {name}: «{quote}»"
