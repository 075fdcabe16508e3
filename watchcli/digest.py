"""The weekly digest: a `Digest` value built from store rows and the configuration, rendered by
Jinja2 templates as Markdown, HTML or plain text, or dumped as JSON (SPEC §6).

Invariants:

- `build_digest` and `render_digest` are pure: rows, figures, configuration and `now` in, a value
  or a text out; nothing here reads the clock, the store or the network.
- Every item appears once: under the first of its tags in vocabulary order (tags outside the
  vocabulary come after it, alphabetically; untagged items last, under "Autres actualités"),
  then under its scope, national before international; newest first within a group. Its other
  tags are listed on it ("Aussi : …").
- Feed and analyst text enters the templates through `clean_text` (no control character, no
  terminal escape sequence) and leaves them escaped for the format: HTML by Jinja's autoescape,
  then nh3 with an allow-list as a second wall; Markdown by a `finalize` hook that escapes every
  `{{ … }}` unless a filter marked it safe, so a title can never become a link, an image or a
  tag. Only `http`/`https` URLs become links; any other URL is dropped.
- The packaged templates live in `watchcli/templates/`; a `[digest].templates` folder overrides
  them file by file (`digest.md.j2`, `digest.txt.j2`, `digest.html.j2`, `digest.css`).
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import css_inline
import jinja2
import nh3
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal

from watchcli.config import SCOPES, Config
from watchcli.dates import parse_iso
from watchcli.errors import ConfigError, UsageError
from watchcli.text import clean_text

FORMATS = ("markdown", "html", "text", "json")
TEMPLATES = {"markdown": "digest.md.j2", "text": "digest.txt.j2", "html": "digest.html.j2"}
STYLESHEET = "digest.css"
TEXT_WIDTH = 72  # plain text lines, as mail clients show them without reflowing

# --- the value ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    by: str
    who: str  # "lea (RESACOOP)"
    at: datetime
    text: str


@dataclass(frozen=True)
class DigestItem:
    id: int
    title: str
    url: str  # http(s) only, "" otherwise: the title is then not a link
    published: datetime
    date: str  # published, in the digest's locale
    sources: tuple[str, ...]  # display names, in the order the sources carried it
    source_ids: tuple[str, ...]
    tags: tuple[str, ...]  # ids, the section's first
    also: tuple[str, ...]  # labels of its other tags
    scope: str
    lang: str | None
    status: str  # "selected", or "new" in an --all digest
    handled_by: str | None
    handled: str  # "Retenu par camille (CERAPCOOP)", or "À trier"
    handled_at: datetime | None
    notes: tuple[Note, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "published": self.published.isoformat(),
            "sources": list(self.source_ids),
            "source_names": list(self.sources),
            "tags": list(self.tags),
            "scope": self.scope,
            "lang": self.lang,
            "status": self.status,
            "handled_by": self.handled_by,
            "handled_at": self.handled_at.isoformat() if self.handled_at else None,
            "notes": [{"by": n.by, "at": n.at.isoformat(), "text": n.text} for n in self.notes],
        }


@dataclass(frozen=True)
class ScopeGroup:
    scope: str  # one of SCOPES
    label: str
    items: tuple[DigestItem, ...]


@dataclass(frozen=True)
class Section:
    tag: str | None  # None: the untagged items
    label: str
    groups: tuple[ScopeGroup, ...]

    @property
    def count(self) -> int:
        return sum(len(g.items) for g in self.groups)


@dataclass(frozen=True)
class Figures:
    """The period's mutualisation figures (`Store.figures`) and their sentences."""

    fetched: int = 0
    merged: int = 0
    shared: int = 0
    shared_handled: int = 0
    handled: tuple[dict[str, Any], ...] = ()  # {"analyst", "network", "status", "items"}
    sentences: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "fetched": self.fetched,
            "merged": self.merged,
            "shared": self.shared,
            "shared_handled": self.shared_handled,
            "handled": list(self.handled),
            "sentences": list(self.sentences),
        }


@dataclass(frozen=True)
class Digest:
    title: str
    locale: str
    lang: str  # "fr", "en"…: the language of the labels and of the HTML document
    since: datetime
    until: datetime  # exclusive
    week: int | None  # the ISO week number when the period is one ISO week
    heading: str  # "Semaine 48 — du 23 au 29 novembre 2026"
    subject: str  # the email's Subject
    intro: str  # "12 articles retenus par CERAPCOOP et RESACOOP."
    network: str | None  # the network's name when the digest is for one network
    include_all: bool
    sections: tuple[Section, ...]
    figures: Figures
    generated: datetime
    footer: str  # "Digest produit par watchcli le 30 novembre 2026."
    t: dict[str, str] = field(default_factory=dict)  # fixed labels in the digest's language

    @property
    def count(self) -> int:
        return sum(s.count for s in self.sections)

    @property
    def items(self) -> list[DigestItem]:
        return [item for s in self.sections for g in s.groups for item in g.items]

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "locale": self.locale,
            "heading": self.heading,
            "subject": self.subject,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "week": self.week,
            "network": self.network,
            "all": self.include_all,
            "generated": self.generated.isoformat(),
            "count": self.count,
            "sections": [
                {
                    "tag": s.tag,
                    "label": s.label,
                    "groups": [
                        {
                            "scope": g.scope,
                            "label": g.label,
                            "items": [item.as_json() for item in g.items],
                        }
                        for g in s.groups
                    ],
                }
                for s in self.sections
            ],
            "figures": self.figures.as_json(),
        }


# --- words --------------------------------------------------------------------------------------

# The fixed words of the digest. Other locales get their dates from Babel and English labels.
LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "week": "Semaine {week}",
        "week_subject": "semaine {week}",
        "national": "En France",
        "international": "À l'international",
        "untagged": "Autres actualités",
        "selected_by": "Retenu par {who}",
        "to_triage": "À trier",
        "also": "Aussi\u202f:",
        "colon": "\u202f:",
        "empty": "Aucun article retenu pour cette période.",
        "figures": "La veille mutualisée en chiffres",
        "generated": "Digest produit par watchcli le {date}.",
        "network": "Réseau {name}",
        "and": "et",
        "contents": "Au sommaire",
    },
    "en": {
        "week": "Week {week}",
        "week_subject": "week {week}",
        "national": "France",
        "international": "International",
        "untagged": "Other news",
        "selected_by": "Selected by {who}",
        "to_triage": "Not yet triaged",
        "also": "Also:",
        "colon": ":",
        "empty": "No item was selected for this period.",
        "figures": "The shared watch in figures",
        "generated": "Digest made by watchcli on {date}.",
        "network": "{name} network",
        "and": "and",
        "contents": "In this issue",
    },
}


_WIDER_MONTH = re.compile(r"(?<!M)MMM(?!M)")


def _plural(lang: str, count: int, one: str, many: str) -> str:
    """French puts 0 and 1 in the singular; English only 1."""
    singular = count <= 1 if lang == "fr" else count == 1
    return one if singular else many


class _Words:
    """Localised sentences for one digest."""

    def __init__(self, locale: Locale) -> None:
        self.locale = locale
        self.lang = locale.language if locale.language in LABELS else "en"
        self.t = LABELS[self.lang]

    def number(self, n: int) -> str:
        return format_decimal(n, locale=self.locale)

    def count(self, n: int, one: str, many: str) -> str:
        return f"{self.number(n)} {_plural(self.lang, n, one, many)}"

    def day(self, when: datetime | date) -> str:
        return format_date(when, "medium", locale=self.locale)

    def long_day(self, when: datetime | date) -> str:
        if self.lang == "fr":
            return self._fr_day(when, "d MMMM y")
        return format_date(when, "long", locale=self.locale)

    def period(self, first: date, last: date) -> str:
        """`du 23 au 29 novembre 2026` in French, Babel's interval (`November 23 – 29, 2026`)
        elsewhere."""
        if self.lang != "fr":
            return self._interval(first, last)
        end = self._fr_day(last, "d MMMM y")
        if first == last:
            return f"le {end}"
        if (first.year, first.month) == (last.year, last.month):
            start = self._fr_day(first, "d")
        elif first.year == last.year:
            start = self._fr_day(first, "d MMMM")
        else:
            start = self._fr_day(first, "d MMMM y")
        return f"du {start} au {end}"

    def _interval(self, first: date, last: date) -> str:
        """CLDR's day interval with the month written out: CLDR has `yMMMd` (`Nov 23 – 29,
        2026`) but no `yMMMMd` interval, so its patterns are widened from MMM to MMMM."""
        if first == last:
            return self.long_day(first)
        differs = "y" if first.year != last.year else "M" if first.month != last.month else "d"
        parts = (self.locale.interval_formats.get("yMMMd") or {}).get(differs)
        if not parts or len(parts) != 2:
            return f"{self.long_day(first)} – {self.long_day(last)}"
        start, end = (_WIDER_MONTH.sub("MMMM", part) for part in parts)
        text = format_date(first, start, locale=self.locale)
        return text + format_date(last, end, locale=self.locale)

    def _fr_day(self, day: date, pattern: str) -> str:
        """French writes the first of the month as an ordinal: « 1er décembre »."""
        text = format_date(day, pattern, locale=self.locale)
        return "1er" + text[1:] if day.day == 1 else text

    def join(self, names: Sequence[str]) -> str:
        if len(names) <= 1:
            return "".join(names)
        return f"{', '.join(names[:-1])} {self.t['and']} {names[-1]}"

    def intro(self, count: int, networks: Sequence[str], include_all: bool) -> str:
        if self.lang == "fr":
            if include_all:
                what = self.count(count, "article de la période", "articles de la période")
                return f"{what}, retenus ou encore à trier."
            what = self.count(count, "article retenu", "articles retenus")
            return f"{what} par {self.join(networks)}." if networks else f"{what}."
        if include_all:
            what = self.count(count, "item", "items")
            return f"{what} of the period, selected or not yet triaged."
        what = self.count(count, "item selected", "items selected")
        return f"{what} by {self.join(networks)}." if networks else f"{what}."

    def figures(
        self, raw: dict[str, Any], handled: Sequence[dict[str, Any]], config: Config
    ) -> tuple[str, ...]:
        two = len(config.networks) == 2
        if self.lang == "fr":
            both = "les deux réseaux" if two else "plusieurs réseaux"
            shared_handled = self.count(
                raw["shared_handled"], "article commun trié", "articles communs triés"
            )
            collected = (
                f"{self.count(raw['fetched'], 'article collecté', 'articles collectés')}, "
                f"{self.count(raw['merged'], 'doublon fusionné', 'doublons fusionnés')}\u202f; "
                f"{self.count(raw['shared'], 'article suivi', 'articles suivis')} par {both}, "
                f"{shared_handled} une seule fois pour tous."
            )
        else:
            both = "both networks" if two else "several networks"
            collected = (
                f"{self.count(raw['fetched'], 'item collected', 'items collected')}, "
                f"{self.count(raw['merged'], 'duplicate merged', 'duplicates merged')}; "
                f"{self.count(raw['shared'], 'story', 'stories')} followed by {both}, "
                f"{self.count(raw['shared_handled'], 'shared story', 'shared stories')} triaged "
                "once for all."
            )
        sentences = [collected]
        triaged = _triaged_by_network(handled, config)
        if triaged:
            parts = []
            for name, total, analysts in triaged:
                people = ", ".join(f"{a} {self.number(n)}" for a, n in analysts)
                parts.append(f"{name} {self.number(total)} ({people})" if name else people)
            head = "Articles triés" if self.lang == "fr" else "Items triaged"
            sentences.append(f"{head}{self.t['colon']} {' · '.join(parts)}.")
        return tuple(sentences)


def _triaged_by_network(
    handled: Sequence[dict[str, Any]], config: Config
) -> list[tuple[str, int, list[tuple[str, int]]]]:
    """[(network name, total, [(analyst, items)])], networks in configuration order, analysts
    outside every network last with an empty name."""
    per_analyst: dict[str, int] = {}
    for row in handled:
        per_analyst[row["analyst"]] = per_analyst.get(row["analyst"], 0) + row["items"]
    result = []
    placed: set[str] = set()
    for network in config.networks.values():
        analysts = [(a, n) for a, n in sorted(per_analyst.items()) if a in network.members]
        if analysts:
            result.append((network.name, sum(n for _, n in analysts), analysts))
            placed.update(a for a, _ in analysts)
    others = [(a, n) for a, n in sorted(per_analyst.items()) if a not in placed]
    if others:
        result.append(("", sum(n for _, n in others), others))
    return result


def parse_locale(config: Config) -> Locale:
    try:
        return Locale.parse(config.digest.locale)
    except (UnknownLocaleError, ValueError):
        raise ConfigError(
            f"{config.path}: [digest] locale '{config.digest.locale}' is unknown; "
            "use a locale such as fr_FR, fr, en or en_GB"
        ) from None


# --- building -----------------------------------------------------------------------------------


def build_digest(
    rows: Iterable[dict[str, Any]],
    figures: dict[str, Any],
    config: Config,
    *,
    since: datetime,
    until: datetime,
    week: bool,
    now: datetime,
    network: str | None = None,
    include_all: bool = False,
) -> Digest:
    """The digest of the rows of `Store.digest_items` and the figures of `Store.figures`."""
    words = _Words(parse_locale(config))
    t = words.t
    labels = config.tags.labels
    vocabulary = {tag: index for index, tag in enumerate(labels)}

    def who(member: str) -> str:
        nid = config.network_of(member)
        return f"{member} ({config.networks[nid].name})" if nid else member

    def section_key(tag: str | None) -> tuple[int, str]:
        if tag is None:
            return (2, "")
        return (0, f"{vocabulary[tag]:06d}") if tag in vocabulary else (1, tag)

    grouped: dict[str | None, dict[str, list[DigestItem]]] = {}
    for row in rows:
        tags = sorted(row["tags"], key=section_key)
        first = tags[0] if tags else None
        scope = row["scope"] if row["scope"] in SCOPES else SCOPES[0]
        item = DigestItem(
            id=row["id"],
            title=clean_text(row["title"]) or "—",
            url=safe_url(row["url"]),
            published=parse_iso(row["published"]),
            date=words.day(parse_iso(row["published"])).replace(" ", "\u00a0"),
            sources=tuple(_source_name(s, config) for s in row["sources"]),
            source_ids=tuple(s["id"] for s in row["sources"]),
            tags=tuple(tags),
            also=tuple(clean_text(labels.get(tag, tag)) for tag in tags[1:]),
            scope=scope,
            lang=row["lang"],
            status=row["status"],
            handled_by=row["handled_by"],
            handled=(
                t["selected_by"].format(who=clean_text(who(row["handled_by"])))
                if row["status"] == "selected" and row["handled_by"]
                else t["to_triage"]
            ),
            handled_at=parse_iso(row["handled_at"]) if row["handled_at"] else None,
            notes=tuple(
                Note(
                    by=clean_text(n["by"]),
                    who=clean_text(who(n["by"])),
                    at=parse_iso(n["at"]),
                    text=clean_text(n["text"]),
                )
                for n in row["notes"]
                if clean_text(n["text"])
            ),
        )
        grouped.setdefault(first, {}).setdefault(scope, []).append(item)

    sections = tuple(
        Section(
            tag=tag,
            label=clean_text(labels.get(tag, tag)) if tag else t["untagged"],
            groups=tuple(
                ScopeGroup(scope=scope, label=t[scope], items=tuple(by_scope[scope]))
                for scope in SCOPES
                if scope in by_scope
            ),
        )
        for tag, by_scope in sorted(grouped.items(), key=lambda kv: section_key(kv[0]))
    )

    first_day = since.date()
    last_day = (until - timedelta(seconds=1)).date()
    period = words.period(first_day, last_day)
    week_number = since.isocalendar().week if week else None
    if week_number is not None:
        heading = f"{t['week'].format(week=week_number)} — {period}"
        subject = f"{config.digest.title} — {t['week_subject'].format(week=week_number)}, {period}"
    else:
        heading = period[:1].upper() + period[1:]
        subject = f"{config.digest.title} — {period}"
    network_name = config.networks[network].name if network else None
    if network_name:
        subject += f" — {network_name}"
    handled = tuple(
        {**row, "network": config.network_of(row["analyst"])} for row in figures["handled"]
    )
    digest_figures = Figures(
        fetched=figures["fetched"],
        merged=figures["merged"],
        shared=figures["shared"],
        shared_handled=figures["shared_handled"],
        handled=handled,
        sentences=words.figures(figures, handled, config),
    )
    count = sum(s.count for s in sections)
    networks = [network_name] if network_name else [n.name for n in config.networks.values()]
    return Digest(
        title=clean_text(config.digest.title),
        locale=config.digest.locale,
        lang=words.lang,
        since=since,
        until=until,
        week=week_number,
        heading=heading,
        subject=clean_text(subject),
        intro=words.intro(count, networks, include_all),
        network=network_name,
        include_all=include_all,
        sections=sections,
        figures=digest_figures,
        generated=now,
        footer=t["generated"].format(date=words.long_day(now)),
        t=t,
    )


def _source_name(source: dict[str, Any], config: Config) -> str:
    """The configured name, else the feed's own title, else the id."""
    configured = config.source(source["id"])
    name = (configured.name if configured else None) or source.get("title") or source["id"]
    return clean_text(name) or source["id"]


def safe_url(url: str | None) -> str:
    """`url` when it is an absolute http(s) URL without spaces or controls, else ""."""
    if not url or url != clean_text(url) or any(c.isspace() for c in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


# --- rendering ----------------------------------------------------------------------------------


def render_digest(digest: Digest, fmt: str, *, templates: Path | None = None) -> str:
    """The digest as `markdown`, `html`, `text` or `json`."""
    if fmt == "json":
        return json.dumps(digest.as_json(), ensure_ascii=False, indent=2) + "\n"
    if fmt == "html":
        return render_html(digest, templates=templates)
    if fmt not in TEMPLATES:
        raise UsageError(f"unknown digest format '{fmt}'; use one of {', '.join(FORMATS)}")
    env = _environment(templates, markdown=fmt == "markdown")
    return _render(env, TEMPLATES[fmt], digest)


def render_html(digest: Digest, *, templates: Path | None = None) -> str:
    """A complete HTML document for mail clients: the template's fragment with the stylesheet
    inlined, sanitised by nh3, inside a fixed document shell."""
    env = _environment(templates, html=True)
    fragment = _render(env, TEMPLATES["html"], digest)
    css = _render(env, STYLESHEET, digest)
    try:
        inlined = css_inline.inline_fragment(fragment, css)
    except ValueError as error:  # css_inline.InlineError: a broken stylesheet
        raise UsageError(f"{STYLESHEET}: cannot inline the stylesheet: {error}") from None
    body = sanitize_html(inlined)
    return _SHELL.format(
        lang=html.escape(digest.lang), title=html.escape(digest.subject), body=body.strip()
    )


_SHELL = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light only">
<title>{title}</title>
</head>
<body style="margin:0;padding:0;background-color:#eef1f4;">
{body}
</body>
</html>
"""

# What survives in the HTML: structure, text-level markup and links; `style` only with the
# properties our stylesheet uses, so that inlined CSS stays and nothing else comes in.
ALLOWED_TAGS = frozenset(
    {"a", "b", "blockquote", "br", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "li", "ol"}
    | {"p", "small", "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul"}
)
ALLOWED_ATTRIBUTES = {
    "*": {"style", "lang", "dir", "title"},
    "a": {"href"},
    "table": {"role", "width", "cellpadding", "cellspacing", "border", "align"},
    "td": {"align", "valign", "width", "bgcolor"},
    "th": {"align", "valign", "width"},
}
ALLOWED_STYLE_PROPERTIES = frozenset(
    {"background-color", "border", "border-bottom", "border-collapse", "border-left"}
    | {"border-radius", "border-top", "color", "display", "font-family", "font-size"}
    | {"font-style", "font-weight", "letter-spacing", "line-height", "margin", "margin-bottom"}
    | {"margin-left", "margin-top", "max-width", "padding", "padding-bottom", "padding-left"}
    | {"padding-right", "padding-top", "text-align", "text-decoration", "text-transform"}
    | {"width", "word-break", "overflow-wrap", "list-style", "list-style-type"}
)
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitize_html(fragment: str) -> str:
    """The second wall: only allowed tags and attributes, links http/https/mailto only."""
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        filter_style_properties=set(ALLOWED_STYLE_PROPERTIES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


# --- templates ------------------------------------------------------------------------------------


class MarkdownSafe(str):
    """Text already valid Markdown: the `finalize` hook leaves it as it is."""


# Inline syntax of CommonMark and GFM: links and images need "[", code "`", emphasis "*" "_",
# strikethrough "~", HTML and autolinks "<", tables "|". Escaping these anywhere, and the block
# markers at the start of the text, leaves nothing a renderer could read as markup; "(" and "!"
# are harmless once "[" is escaped, and "&" only ever yields a character.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
_MD_BLOCK_START = re.compile(r"^(\s*(?:\d+)?)([#+=.)-])")


def md_escape(value: object) -> str:
    """Any value as literal Markdown text, so `[x](javascript:…)`, `<script>`, `**`, `# ` stay
    text wherever a template puts them."""
    if isinstance(value, MarkdownSafe):
        return value
    text = _MD_INLINE.sub(r"\\\1", "" if value is None else str(value))
    return _MD_BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def md_link(text: object, url: str) -> MarkdownSafe:
    """`[text](url)` with the text escaped and the URL percent-encoded where Markdown would
    cut it; plain escaped text when `url` is not a safe http(s) URL."""
    label = md_escape(text)
    url = safe_url(url)
    if not url:
        return MarkdownSafe(label)
    return MarkdownSafe(f"[{label}]({quote(url, safe=_URL_SAFE)})")


# Characters left as they are in a Markdown link destination; "(", ")", "<", ">", spaces and
# backslashes are percent-encoded, so the destination cannot end early.
_URL_SAFE = "/:?#@!$&'*+,;=-._~%"


def _wrap(text: str, indent: str = "", first: str | None = None, width: int = TEXT_WIDTH) -> str:
    """`text` wrapped to `width` columns; long words (URLs) are never broken."""
    return textwrap.fill(
        text,
        width=width,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _underline(text: str, char: str = "=") -> str:
    width = max((len(line) for line in text.splitlines()), default=0)
    return f"{text}\n{char * width}"


def _environment(templates: Path | None, *, markdown: bool = False, html: bool = False):
    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        if not templates.is_dir():
            raise UsageError(
                f"[digest] templates: the folder {templates} does not exist; create it or remove "
                "the setting to use the packaged templates"
            )
        loaders.append(jinja2.FileSystemLoader(str(templates)))
    loaders.append(jinja2.PackageLoader("watchcli", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=md_escape if markdown else None,
    )
    env.filters["md_link"] = md_link
    env.filters["md"] = md_escape
    env.filters["wrap"] = _wrap
    env.filters["underline"] = _underline
    return env


def _render(env: jinja2.Environment, name: str, digest: Digest) -> str:
    try:
        template = env.get_template(name)
        return template.render(digest=digest, t=digest.t)
    except jinja2.TemplateSyntaxError as error:
        raise UsageError(
            f"{error.filename or error.name}:{error.lineno}: template error: {error.message}"
        ) from None
    except jinja2.TemplateNotFound as error:
        raise UsageError(f"template {error.name} not found") from None
    except jinja2.UndefinedError as error:
        raise UsageError(f"template {name}: {error.message}") from None
