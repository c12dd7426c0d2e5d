"""What lets the matcher skip rules: the term sets each rule needs a hit from, whether a rule can
hold without any of its terms, and the rule set's look-ups built from them (pure)."""

from __future__ import annotations

from monitor.rules.base import FIELDS, Term
from monitor.rules.conditions import CompiledRule, Node, RuleSet, _Group, _Leaf, _Near
from monitor.termindex import TermIndex


def holds_without_terms(node: Node) -> bool:
    """Whether ``node`` can hold in an article that contains none of its terms (a regex, a date,
    ``none``): such a rule is evaluated for every article."""
    if isinstance(node, _Leaf | _Near):
        return False
    if not isinstance(node, _Group):
        return True
    if node.kind == "none":
        return True
    able = sum(1 for c in node.children if holds_without_terms(c))
    need = {"all": len(node.children), "any": 1}.get(node.kind, node.need)
    return able >= need


def required_terms(node: Node) -> list[frozenset[int]]:
    """Term sets of which the rule needs at least one hit each: a cheap test before evaluating it."""
    if isinstance(node, _Leaf):
        return [node.term_set]
    if isinstance(node, _Near):
        return [leaf.term_set for leaf in node.items]
    if not isinstance(node, _Group) or node.kind == "none":
        return []
    if node.kind == "all":
        return [s for child in node.children for s in required_terms(child)]
    # any / at_least: one of the children must hold; only a test if every child needs terms
    alternatives = [required_terms(child) for child in node.children]
    if all(alternatives):
        return [frozenset().union(*(a[0] for a in alternatives))]
    return []


def index_rules(rules: list[CompiledRule], terms: list[Term]) -> RuleSet:
    """The rule set with its look-ups: each term's required sets, each rule's narrowest set."""
    fields = [f for f in FIELDS if any(f in r.fields for r in rules)]
    term_sets: list[set[int]] = [set() for _ in terms]
    first_sets: set[int] = set()
    set_rule: list[int] = []
    rule_sets: list[frozenset[int]] = []
    for i, rule in enumerate(rules):
        sets = list(dict.fromkeys(rule.required)) or ([rule.term_ids] if rule.term_ids else [])
        numbers = range(len(set_rule), len(set_rule) + len(sets))
        rule_sets.append(frozenset(numbers))
        if sets and not rule.always:
            first_sets.add(numbers[min(range(len(sets)), key=lambda k: len(sets[k]))])  # the narrowest
        for number, term_set in zip(numbers, sets, strict=True):
            set_rule.append(i)
            for t in term_set:
                term_sets[t].add(number)
    return RuleSet(
        rules=tuple(rules),
        terms=tuple(terms),
        index=TermIndex((t.id, t.toks) for t in terms),
        fields=tuple(fields),
        by_id={r.id: r for r in rules},
        term_sets=tuple(map(frozenset, term_sets)),
        first_sets=frozenset(first_sets),
        set_rule=tuple(set_rule),
        rule_sets=tuple(rule_sets),
        always=tuple(i for i, r in enumerate(rules) if r.always),
    )
