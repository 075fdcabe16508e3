"""The digest: which items, in which order, in which words, and golden files for every format.

Golden files live in tests/golden/; `WATCHCLI_REGEN_GOLDEN=1 pytest tests/test_digest.py`
rewrites them (review the diff before committing). `now`, the Message-ID and the MIME boundary
are parameters, so the outputs are the same on every run.
"""

from __future__ import annotations

import json
import os
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from rich.console import Console
from rich.markdown import Markdown

from tests.conftest import Workspace
from tests.digeststore import (
    BOUNDARY,
    HOSTILE_TITLE,
    IN_DIGEST,
    MESSAGE_ID,
    NOW,
    STORIES,
    WEEK,
    fill_store,
    write_config,
)
from watchcli.config import Config
from watchcli.digest import (
    ALLOWED_TAGS,
    Digest,
    md_escape,
    md_link,
    render_digest,
    safe_url,
)
from watchcli.errors import ConfigError, UsageError
from watchcli.publish import compose_digest, digest_request, render_output
from watchcli.store import Store

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("WATCHCLI_REGEN_GOLDEN") == "1"


@pytest.fixture
def golden(workspace: Workspace) -> tuple[Workspace, Config, dict[str, int]]:
    config = write_config(workspace)
    ids = fill_store(workspace.db, config)
    return workspace, config, ids


def make_digest(
    workspace: Workspace,
    config: Config,
    week: str | None = WEEK,
    *,
    network: str | None = None,
    include_all: bool = False,
    since: str | None = None,
    until: str | None = None,
) -> Digest:
    request = digest_request(
        config,
        week=week,
        since=since,
        until=until,
        network=network,
        include_all=include_all,
        now=NOW,
    )
    with Store.open(workspace.db) as store:
        return compose_digest(store, config, request, now=NOW)


def output(digest: Digest, config: Config, fmt: str) -> bytes:
    return render_output(
        digest, fmt, config, to=(), now=NOW, message_id=MESSAGE_ID, boundary=BOUNDARY
    )


def check_golden(name: str, actual: bytes) -> None:
    path = GOLDEN / name
    if REGENERATE:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(actual)
        return
    assert path.exists(), f"no golden file {path}; run with WATCHCLI_REGEN_GOLDEN=1"
    expected = path.read_bytes()
    if name.endswith(".eml"):
        # Header folding differs between Python versions: compare what a mail client reads.
        assert _readable(actual) == _readable(expected)
    else:
        assert actual.decode("utf-8") == expected.decode("utf-8")


def _readable(data: bytes) -> list[tuple[str, object]]:
    message = message_from_bytes(data, policy=policy.default)
    parts: list[tuple[str, object]] = [(k, str(v)) for k, v in message.items()]
    for part in message.walk():
        parts.append(("part", part.get_content_type()))
        if not part.is_multipart():
            parts.append(("body", part.get_content()))  # type: ignore[attr-defined]
    return parts


# --- golden files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("markdown", "digest.md"),
        ("text", "digest.txt"),
        ("html", "digest.html"),
        ("json", "digest.json"),
        ("email", "digest.eml"),
    ],
)
def test_golden(golden, fmt: str, name: str) -> None:
    workspace, config, _ = golden
    check_golden(name, output(make_digest(workspace, config), config, fmt))


def test_golden_in_english(workspace: Workspace) -> None:
    config = write_config(workspace, locale="en")
    fill_store(workspace.db, config)
    digest = make_digest(workspace, config)
    check_golden("digest.en.md", output(digest, config, "markdown"))
    assert digest.heading == "Week 48 — November 23\u2009–\u200929, 2026"  # CLDR's interval


# --- which items, in which order ------------------------------------------------------------


def test_the_weeks_digest_holds_the_items_selected_that_week(golden) -> None:
    workspace, config, ids = golden
    digest = make_digest(workspace, config)
    assert sorted(item.id for item in digest.items) == sorted(ids[k] for k in IN_DIGEST)
    assert digest.count == len(IN_DIGEST)


def test_sections_follow_the_vocabulary_then_scope_untagged_last(golden) -> None:
    workspace, config, ids = golden
    digest = make_digest(workspace, config)
    assert [s.tag for s in digest.sections] == ["ecsi", "apd", "humanitaire", "climat", None]
    assert digest.sections[-1].label == "Autres actualités"
    humanitarian = digest.sections[2]
    assert [g.scope for g in humanitarian.groups] == ["national", "international"]
    assert [g.label for g in humanitarian.groups] == ["En France", "À l'international"]
    international = [item.id for item in humanitarian.groups[1].items]
    assert international == [ids["haiti"], ids["soudan"]]  # newest first


def test_an_item_with_several_tags_appears_once_under_its_first_in_vocabulary_order(
    golden,
) -> None:
    workspace, config, ids = golden
    digest = make_digest(workspace, config)
    festisol = [item for item in digest.items if item.id == ids["festisol"]]
    assert len(festisol) == 1
    assert festisol[0].tags == ("ecsi", "ssi")  # tagged ssi first, ecsi comes first in [tags]
    assert festisol[0].also == ("Semaine de la solidarité internationale",)


def test_each_item_has_its_sources_date_notes_and_who_handled_it(golden) -> None:
    workspace, config, ids = golden
    item = next(i for i in make_digest(workspace, config).items if i.id == ids["festisol"])
    assert item.sources == ("Coordination SUD", "Agence française de développement")
    assert item.date == "23\u00a0nov.\u00a02026"
    assert item.handled == "Retenu par camille (CERAPCOOP)"
    assert [(n.who, n.text) for n in item.notes] == [
        ("lea (RESACOOP)", "À relayer dans la lettre de décembre.")
    ]
    unnamed = next(i for i in make_digest(workspace, config).items if i.id == ids["soudan"])
    assert unnamed.sources == ("onu-info",)  # no name in the config nor a feed title yet


def test_all_adds_the_items_still_new_never_the_discarded(golden) -> None:
    workspace, config, ids = golden
    digest = make_digest(workspace, config, include_all=True)
    shown = {item.id for item in digest.items}
    assert shown == {ids[k] for k in (*IN_DIGEST, "new")}
    new = next(item for item in digest.items if item.id == ids["new"])
    assert new.handled == "À trier"
    assert "retenus ou encore à trier" in digest.intro


def test_network_keeps_the_items_of_its_sources_members_or_assignment(golden) -> None:
    workspace, config, ids = golden
    cerapcoop = {item.id for item in make_digest(workspace, config, network="cerapcoop").items}
    # afd and onu-info are CERAPCOOP's sources; camille and hugo its members
    assert cerapcoop == {
        ids[k] for k in ("festisol", "haiti", "soudan", "ouragan", "barometre")
    } | {ids["hostile"]}
    resacoop = {item.id for item in make_digest(workspace, config, network="resacoop").items}
    assert resacoop == {ids[k] for k in ("festisol", "plf", "haiti", "soudan", "hostile")}
    # An item assigned to RESACOOP (by `assign`, which the store records in items.network).
    with Store.open(workspace.db) as store:
        store.db.execute("UPDATE items SET network = 'resacoop' WHERE id = ?", [ids["ouragan"]])
    resacoop = {item.id for item in make_digest(workspace, config, network="resacoop").items}
    assert ids["ouragan"] in resacoop
    digest = make_digest(workspace, config, network="resacoop")
    assert digest.network == "RESACOOP"
    assert digest.subject.endswith("— RESACOOP")


def test_since_and_until_override_the_week(golden) -> None:
    workspace, config, ids = golden
    digest = make_digest(workspace, config, None, since="2026-11-27", until="2026-11-29")
    assert {item.id for item in digest.items} == {ids["haiti"], ids["soudan"]}
    assert digest.week is None
    assert digest.heading == "Du 27 au 28 novembre 2026"
    assert digest.subject == "Veille mutualisée CERAPCOOP – RESACOOP — du 27 au 28 novembre 2026"


def test_week_last_is_the_default_and_this_is_the_current_week(golden) -> None:
    workspace, config, ids = golden
    assert make_digest(workspace, config, None).week == 48  # NOW is the Monday of week 49
    this = make_digest(workspace, config, "this")
    assert this.week == 49
    assert [item.id for item in this.items] == [ids["next-week"]]


def test_request_errors_are_usage_errors(golden) -> None:
    workspace, config, _ = golden
    with pytest.raises(UsageError, match="either --week or --since"):
        make_digest(workspace, config, "last", since="7d")
    with pytest.raises(UsageError, match="--until needs --since"):
        make_digest(workspace, config, None, until="2026-11-01")
    with pytest.raises(UsageError, match="unknown network 'nope'; known: cerapcoop, resacoop"):
        make_digest(workspace, config, network="nope")
    with pytest.raises(UsageError, match="must come after"):
        make_digest(workspace, config, None, since="2026-11-20", until="2026-11-10")
    with pytest.raises(UsageError, match="no week"):
        make_digest(workspace, config, "2026-W60")


def test_an_empty_week_says_so(golden) -> None:
    workspace, config, _ = golden
    digest = make_digest(workspace, config, "2026-W40")
    assert digest.count == 0
    text = render_digest(digest, "markdown")
    assert "Aucun article retenu pour cette période." in text
    assert "0 article retenu par CERAPCOOP et RESACOOP." in text


# --- words ----------------------------------------------------------------------------------


def test_the_footer_tells_the_mutualisation_figures(golden) -> None:
    workspace, config, _ = golden
    digest = make_digest(workspace, config)
    assert digest.figures.sentences == (
        "10 articles collectés, 1 doublon fusionné\u202f; 1 article suivi par les deux réseaux, "
        "1 article commun trié une seule fois pour tous.",
        "Articles triés\u202f: CERAPCOOP 4 (camille 3, hugo 1) · RESACOOP 4 (lea 3, malik 1).",
    )
    assert digest.figures.fetched == 10


@pytest.mark.parametrize(
    ("week", "locale", "heading"),
    [
        ("2026-W48", "fr_FR", "Semaine 48 — du 23 au 29 novembre 2026"),
        ("2026-W49", "fr_FR", "Semaine 49 — du 30 novembre au 6 décembre 2026"),
        ("2026-W53", "fr_FR", "Semaine 53 — du 28 décembre 2026 au 3 janvier 2027"),
        ("2027-W09", "fr", "Semaine 9 — du 1er au 7 mars 2027"),
        ("2026-W48", "en", "Week 48 — November 23\u2009–\u200929, 2026"),
        ("2026-W48", "en_GB", "Week 48 — 23\u2009–\u200929 November 2026"),
        ("2026-W49", "en_GB", "Week 49 — 30 November\u2009–\u20096 December 2026"),
        ("2026-W48", "de", "Week 48 — 23.–29. November 2026"),
    ],
)
def test_headings_in_the_configured_locale(
    workspace: Workspace, week: str, locale: str, heading: str
) -> None:
    config = write_config(workspace, locale=locale)
    assert make_digest(workspace, config, week).heading == heading


def test_an_unknown_locale_is_a_configuration_error(workspace: Workspace) -> None:
    config = write_config(workspace, locale="xx_XX")
    with pytest.raises(ConfigError, match="locale 'xx_XX' is unknown"):
        make_digest(workspace, config)


# --- templates ------------------------------------------------------------------------------


def test_a_templates_folder_overrides_the_packaged_templates_by_name(
    workspace: Workspace, tmp_path: Path
) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "digest.md.j2").write_text(
        "{{ digest.heading }}: {% for item in digest.items %}{{ item.title }}; {% endfor %}\n",
        encoding="utf-8",
    )
    config = write_config(workspace, templates=folder)
    fill_store(workspace.db, config)
    digest = make_digest(workspace, config)
    markdown = output(digest, config, "markdown").decode()
    assert markdown.startswith("Semaine 48 — du 23 au 29 novembre 2026: ")
    assert "\\<script\\>" in markdown  # the user's template is still escaped
    assert output(digest, config, "text").decode().startswith("VEILLE MUTUALISÉE")  # packaged


def test_template_errors_name_the_file_and_line(workspace: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "digest.txt.j2").write_text("ok\n{% for x in %}\n", encoding="utf-8")
    (folder / "digest.md.j2").write_text("{{ digest.nope }}\n", encoding="utf-8")
    config = write_config(workspace, templates=folder)
    digest = make_digest(workspace, config)
    with pytest.raises(UsageError, match=r"digest\.txt\.j2:2: template error"):
        output(digest, config, "text")
    with pytest.raises(UsageError, match=r"digest\.md\.j2: .*nope"):
        output(digest, config, "markdown")
    missing = write_config(workspace, templates=tmp_path / "missing")
    with pytest.raises(UsageError, match="does not exist"):
        output(make_digest(workspace, missing), missing, "markdown")


def test_templates_are_package_data() -> None:
    from importlib.resources import files

    folder = files("watchcli").joinpath("templates")
    names = {entry.name for entry in folder.iterdir()}
    assert {"digest.md.j2", "digest.txt.j2", "digest.html.j2", "digest.css"} <= names


# --- hostile content ------------------------------------------------------------------------


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(tag, name, value) for name, value in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_inert_html(document: str) -> None:
    parsed = _Elements()
    parsed.feed(document)
    assert set(parsed.tags) <= ALLOWED_TAGS | {"html", "head", "meta", "title", "body"}
    assert "script" not in parsed.tags and "img" not in parsed.tags
    for tag, name, value in parsed.attributes:
        assert not name.startswith("on"), (tag, name, value)
        if name in ("href", "src"):
            assert value and value.startswith(("https://", "http://", "mailto:")), value
    assert "javascript:" not in " ".join(str(v) for _, _, v in parsed.attributes)
    # the hostile text is there, as text
    assert "<script>alert(1)</script>" in "".join(parsed.text)


def assert_inert_markdown(markdown: str, expected_links: int) -> None:
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    html = md.render(markdown)
    assert "<script" not in html and "<img" not in html and '<a href="javascript' not in html
    links = [
        token.attrGet("href")
        for block in md.parse(markdown)
        for token in block.children or []
        if token.type == "link_open"
    ]
    assert len(links) == expected_links
    assert all(str(href).startswith("https://") for href in links)
    assert "javascript:alert(1)" not in "".join(str(h) for h in links)
    assert_inert_html_fragment(html)


def assert_inert_html_fragment(fragment: str) -> None:
    parsed = _Elements()
    parsed.feed(fragment)
    for _, name, _ in parsed.attributes:
        assert not name.startswith("on")
    assert "script" not in parsed.tags


def test_hostile_text_is_never_live_in_any_format(golden) -> None:
    workspace, config, ids = golden
    digest = make_digest(workspace, config)
    hostile = next(item for item in digest.items if item.id == ids["hostile"])
    assert hostile.url == ""  # a javascript: URL is never a link
    assert "\x1b" not in hostile.notes[0].text

    markdown = output(digest, config, "markdown").decode()
    assert_inert_markdown(markdown, expected_links=len(IN_DIGEST) - 1)
    assert "\\[bold red\\]Urgent\\[/bold red\\]" in markdown
    console = Console(width=100, record=True, color_system="truecolor", force_terminal=True)
    console.print(Markdown(markdown))
    shown = console.export_text()
    assert "[bold red]Urgent[/bold red]" in shown  # Rich markup shown literally
    assert "javascript" not in "".join(
        str(seg.style.link) for seg in console._record_buffer if seg.style and seg.style.link
    )

    assert_inert_html(output(digest, config, "html").decode())

    text = output(digest, config, "text").decode()
    assert "\x1b" not in text and "\x07" not in text
    assert "javascript:alert(1)\n" not in text  # the URL line is left out

    message = message_from_bytes(output(digest, config, "email"), policy=policy.default)
    assert isinstance(message, EmailMessage)
    html_part = message.get_body(("html",))
    text_part = message.get_body(("plain",))
    assert html_part is not None and text_part is not None
    assert_inert_html(html_part.get_content())
    assert "\x1b" not in text_part.get_content()

    as_json = json.loads(output(digest, config, "json"))
    titles = [i["title"] for s in as_json["sections"] for g in s["groups"] for i in g["items"]]
    assert HOSTILE_TITLE in titles  # JSON carries the text as data, escaped by json
    assert "\x1b" not in output(digest, config, "json").decode()


@given(st.text())
def test_md_escape_never_yields_markup(text: str) -> None:
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    tokens = md.parseInline(md_escape(text.replace("\n", " ").replace("\r", " ")))
    kinds = {child.type for token in tokens for child in token.children or []}
    assert kinds <= {"text", "softbreak", "hardbreak"}


@pytest.mark.parametrize(
    "title",
    ["[x](javascript:alert(1))", "<b>x</b>", "# titre", "1. liste", "- liste", "`code`", "![i](x)"],
)
def test_md_link_keeps_the_title_as_text(title: str) -> None:
    md = MarkdownIt("commonmark")
    tokens = md.parseInline(md_link(title, "https://example.org/a_(b)?q=<1>"))[0].children
    assert tokens is not None
    assert [t.type for t in tokens] == ["link_open", "text", "link_close"]
    assert tokens[0].attrGet("href") == "https://example.org/a_%28b%29?q=%3C1%3E"
    assert tokens[1].content == title


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://example.org/a", True),
        ("http://example.org/", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("data:text/html,x", False),
        ("//example.org/x", False),
        ("https://exa mple.org/", False),
        ("https://example.org/\x1b[31m", False),
        ("", False),
    ],
)
def test_safe_url(url: str, safe: bool) -> None:
    assert safe_url(url) == (url if safe else "")


def test_stories_cover_what_the_golden_files_must_show() -> None:
    keys = set(STORIES)
    assert set(IN_DIGEST) <= keys
    assert {"new", "discarded", "last-week", "next-week"} <= keys
