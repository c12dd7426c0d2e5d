"""Watch rules: compile once, match many, explain why (pure).

``compile_rules(configs, aliases)`` turns validated rule configs into a :class:`RuleSet`;
``match(article, ruleset, now)`` returns the rules the article satisfies, each with the terms that
matched (field, token position, original text) and the mentioned dates that satisfied a date
condition (:mod:`monitor.explain` says, for every rule, which parts held and which failed).

Terms and text meet in one normalised spelling (:mod:`monitor.arabic`). Rule terms are never
stemmed; text tokens are also read with their proclitics removed (و/ف, ب/ك/ل, ال). A term written
with ال also matches the bare word when at least four letters follow ال. ``word*`` matches any
continuation, ``word+`` the word with a pronoun suffix (مهمة+ → مهمتها, مهمتهم, مهمتنا …), ``~word``
the word and its inflections, generated from it (~انسحب → ينسحبون, ستنسحب, انسحابها, المنسحبة …:
:mod:`monitor.morphology`). A phrase matches as a token sequence, clitics allowed on its first token
only; any of its words may be ``~word``.

Conditions: a term, ``@alias``, ``{term, weight}``, and groups ``all`` / ``any`` / ``none`` /
``{at_least: N, of: [...]}`` / ``{near: [...], within: N}`` / ``{regex: ...}`` (on normalised text,
run by RE2: :mod:`monitor.ruleregex`) / ``{mentions_date: {between|after|before}}``. A group (and
``near``) may be scoped: ``scope: sentence`` or ``paragraph`` (it must hold within one of them) and
``in: title`` or ``in: lead`` (the title, the summary and the first ``lead_words`` words of the
body). Terms are scoped; a regex or date condition inside a scoped group still reads its fields whole.

Finding terms in text is :mod:`monitor.termindex`'s job (a memo from each distinct token to the terms
it starts, so the cost grows with the article, not with the number of rules). Only the rules whose
required term sets all occur in the article are evaluated, and positions are found for their terms
only.
"""

from __future__ import annotations

from monitor.rules.base import FIELDS, FUTURE_TOLERANCE, LEAD_WORDS, RuleError, Term
from monitor.rules.compiler import compile_rules, period
from monitor.rules.conditions import CompiledRule, Node, RuleSet
from monitor.rules.context import article_dates, paragraph_ids, sentence_ids
from monitor.rules.matcher import candidate_rules, match, prepare

__all__ = [
    "FIELDS",
    "FUTURE_TOLERANCE",
    "LEAD_WORDS",
    "CompiledRule",
    "Node",
    "RuleError",
    "RuleSet",
    "Term",
    "article_dates",
    "candidate_rules",
    "compile_rules",
    "match",
    "paragraph_ids",
    "period",
    "prepare",
    "sentence_ids",
]
