"""Alert templates (Jinja2): email HTML and plain text, Slack Block Kit; defaults shipped here,
each overridable by a file of the same name in ``<config dir>/templates/``.

Right-to-left done right: Arabic content is marked ``dir="rtl" lang="ar"``, and every run of Latin
letters, digits or a URL inside Arabic text is isolated (``<bdi dir="ltr">`` in HTML, U+2068 … U+2069
in plain text and Slack) so that names like "HMC" or "Lloyd Austin" and numbers keep their order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from monitor.errors import ConfigError
from monitor.snippet import Segment

DEFAULTS = Path(__file__).resolve().parent / "templates"
KINDS = {
    "email.html.j2": "html",
    "email.txt.j2": "text",
    "slack.json.j2": "slack",
    "digest.html.j2": "html",
    "digest.txt.j2": "text",
    "digest.slack.json.j2": "slack",
    "update.html.j2": "html",
    "update.txt.j2": "text",
    "update.slack.json.j2": "slack",
}
# a left-to-right run: starts and ends with a Latin letter or digit, may hold spaces and URL punctuation
# (brackets stay outside: in right-to-left text they must mirror)
_LTR = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .,:;/\\\-_%@#?&=+']*[A-Za-z0-9/]|[A-Za-z0-9]")
FSI, PDI = "\u2068", "\u2069"


def _runs(text: str) -> list[tuple[str, bool]]:
    out, pos = [], 0
    for m in _LTR.finditer(text):
        if m.start() > pos:
            out.append((text[pos : m.start()], False))
        out.append((m.group(), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def isolate_html(text: str) -> Markup:
    return Markup(
        "".join(f'<bdi dir="ltr">{escape(t)}</bdi>' if ltr else str(escape(t)) for t, ltr in _runs(text))
    )


def isolate_text(text: str) -> str:
    return "".join(f"{FSI}{t}{PDI}" if ltr else t for t, ltr in _runs(text))


def slack_escape(text: str) -> str:
    """Slack's three control characters; with them escaped no article can ping @channel or @here."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Templates:
    """The templates (alert, digest, follow-up; each as text, HTML and Slack). An operator's own
    templates are loaded and checked at once (at start-up and on reload), so a mistake in one is
    named before any alert needs it; the shipped defaults (tested with the project) are compiled
    when first used: compiling all nine took 40 ms of every start."""

    def __init__(self, override_dir: Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(DEFAULTS))]
        own = override_dir if override_dir is not None and override_dir.is_dir() else None
        if own is not None:
            loaders.insert(0, jinja2.FileSystemLoader(str(own)))
        self._envs = {kind: self._env(loaders, kind) for kind in ("html", "text", "slack")}
        self._templates: dict[str, jinja2.Template] = {}
        problems = []
        for name in KINDS:
            if own is None or not (own / name).is_file():
                continue  # a default: compiled when first used
            try:
                self._get(name)
            except jinja2.TemplateSyntaxError as exc:
                problems.append(f"{exc.filename or name}:{exc.lineno}: template error: {exc.message}")
        if problems:
            raise ConfigError(problems, hint="fix the template, or remove it to use the default")

    def _get(self, name: str) -> jinja2.Template:
        template = self._templates.get(name)
        if template is None:
            template = self._templates[name] = self._envs[KINDS[name]].get_template(name)
        return template

    @staticmethod
    def _env(loaders: Sequence[jinja2.BaseLoader], kind: str) -> jinja2.Environment:
        env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(list(loaders)),
            autoescape=kind == "html",
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        iso: Callable[[str], Any] = isolate_html if kind == "html" else isolate_text
        env.filters["isolate"] = iso
        env.filters["slack"] = slack_escape
        env.filters["highlight"] = _highlighter(kind)
        env.policies["json.dumps_function"] = lambda obj, **kw: json.dumps(obj, ensure_ascii=False, **kw)
        return env

    def html(self, context: dict[str, Any]) -> str:
        return self._get("email.html.j2").render(context)

    def text(self, context: dict[str, Any]) -> str:
        return self._get("email.txt.j2").render(context)

    def slack(self, context: dict[str, Any], name: str = "slack.json.j2") -> dict[str, Any]:
        rendered = self._get(name).render(context)
        try:
            data: dict[str, Any] = json.loads(rendered)
        except json.JSONDecodeError as exc:
            raise ConfigError([f"{name}: the template did not produce JSON: {exc}"]) from None
        return data

    def digest(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        """Several alerts in one message (a batch, a digest, or alerts folded by a rate limit)."""
        return (
            self._get("digest.txt.j2").render(context),
            self._get("digest.html.j2").render(context),
            self.slack(context, "digest.slack.json.j2"),
        )

    def update(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        """A later outlet of a story the channel was alerted about: a short follow-up."""
        return (
            self._get("update.txt.j2").render(context),
            self._get("update.html.j2").render(context),
            self.slack(context, "update.slack.json.j2"),
        )


def _highlighter(kind: str) -> Callable[[Sequence[Segment]], Any]:
    def html(segs: Sequence[Segment]) -> Markup:
        return Markup(
            "".join(f"<mark>{isolate_html(t)}</mark>" if m else str(isolate_html(t)) for t, m in segs)
        )

    def text(segs: Sequence[Segment]) -> str:
        return "".join(f"«{isolate_text(t)}»" if m else isolate_text(t) for t, m in segs).strip()

    def slack(segs: Sequence[Segment]) -> str:
        return "".join(
            f"*{slack_escape(isolate_text(t))}*" if m else slack_escape(isolate_text(t)) for t, m in segs
        ).strip()

    return {"html": html, "text": text, "slack": slack}[kind]
