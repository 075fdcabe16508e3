"""Page sources, pure parts: the `[sources.page]` table, the page parser on pages in the shapes
of real French institutional sites (tests/pages/), dates as pages write them, the skeleton."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchcli.config import PageSelectors, Pick, load_config
from watchcli.dates import read_page_date
from watchcli.errors import ConfigError
from watchcli.page import (
    decode_page,
    guess_selectors,
    page_skeleton,
    parse_page,
    read_page,
    selector_problem,
)

PAGES = Path(__file__).parent / "pages"
NOW = datetime(2026, 12, 3, 13, 45, tzinfo=UTC)
BASE = "https://www.region.example/aides/solidarite-internationale/"

CARDS = PageSelectors(
    item="div.fr-card",
    title=Pick(".fr-card__title"),
    link=Pick("a", "href"),
    date=Pick(".fr-card__detail"),
    summary=Pick(".fr-card__desc"),
)
WORDPRESS = PageSelectors(
    item="article.post",
    title=Pick("h2.entry-title"),
    link=Pick("h2 a", "href"),
    date=Pick("time"),
    summary=Pick(".ast-excerpt-container"),
)
TABLE = PageSelectors(
    item="table.appels tbody tr",
    title=Pick("td.intitule"),
    link=Pick("a", "href"),
    date=Pick("td.publie"),
)


def read(name: str, selectors: PageSelectors, url: str = BASE, content_type: str = "text/html"):
    return read_page((PAGES / name).read_bytes(), content_type, url, NOW, selectors)


# --- The parser -------------------------------------------------------------------------------


def test_a_card_grid_gives_one_entry_per_card_with_title_link_date_and_summary() -> None:
    page = read("region-appels.html", CARDS)

    assert page.format == "page"
    assert page.language == "fr"
    assert page.title.startswith("Appels à projets – Solidarité internationale")
    titles = [e.title for e in page.entries]
    assert titles[0] == (
        "Appel à projets ECSI 2027 : éducation à la citoyenneté et à la solidarité internationale"
    )
    assert len(titles) == 4  # the fifth card ("Bientôt…") has no link: skipped, and said so
    assert page.problem == (
        "1 of 5 blocks skipped: no title ('.fr-card__title') or no link ('a@href')"
    )
    first = page.entries[0]
    assert first.url == "https://www.region.example/aides/appel-a-projets-ecsi-2027"
    assert first.published == datetime(2026, 12, 2, tzinfo=UTC) and first.dated
    assert first.summary.startswith("Soutien aux actions d’éducation à la citoyenneté")
    assert [e.published.date().isoformat() for e in page.entries] == [
        "2026-12-02",  # « Publié le 2 décembre 2026 »
        "2026-12-01",  # « 1er décembre 2026 »
        "2026-11-28",  # « 28/11/2026 »
        "2026-11-27",
    ]


def test_links_resolve_against_the_page_url_and_lose_their_tracking_parameters() -> None:
    page = read("region-appels.html", CARDS)
    assert [e.url for e in page.entries] == [
        "https://www.region.example/aides/appel-a-projets-ecsi-2027",
        # "../aides/…?xtor=RSS-1" from /aides/solidarite-internationale/
        "https://www.region.example/aides/aides/cooperation-decentralisee-afrique.html",
        "https://www.auvergnerhonealpes.fr/aides/festival-des-solidarites",
        "https://www.region.example/aides/jeunesse-solidarite-internationale",
    ]


def test_hostile_markup_becomes_plain_text_and_scripts_never_become_entries() -> None:
    page = read("region-appels.html", CARDS)
    coop, jeunesse = page.entries[1].title, page.entries[3].title
    # An escape sequence, BEL and an OSC 8 hyperlink in the title: gone.
    assert coop == "Coopération décentralisée : soutien aux partenariats avec l’Afrique de l’Ouest"
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for e in page.entries for c in e.title)
    # Rich markup stays literal text; the <script> inside the title is dropped with its code.
    assert jeunesse == "[bold]Jeunesse[/bold] et solidarité internationale : appel JSI 2027"
    # The card written inside a <script> of the <head> is not a card.
    assert all("/piege" not in e.url for e in page.entries)


def test_a_wordpress_list_reads_time_datetime_and_honours_base_href() -> None:
    page = read("asso-actualites.html", WORDPRESS, url="https://asso.example.org/actualites/")
    assert [(e.title, e.url, e.published.isoformat()) for e in page.entries] == [
        (
            "Festival des solidarités 2026 : le bilan de l’édition en Auvergne",
            "https://asso.example.org/actualites/semaine-solidarite-2026-bilan/",
            "2026-12-01T08:30:00+00:00",  # <time datetime="2026-12-01T09:30:00+01:00">
        ),
        (
            "Formation : monter un projet de coopération internationale",
            "https://asso.example.org/formations/monter-un-projet-de-cooperation/",
            "2026-11-24T13:00:00+00:00",
        ),
        (
            "Aide publique au développement : nouvelle baisse dans le PLF 2027",
            "https://asso.example.org/actualites/aide-publique-au-developpement-plf-2027/",
            "2026-11-18T00:00:00+00:00",  # <time> without datetime: its text, « 18 novembre 2026 »
        ),
    ]
    assert page.entries[0].summary.startswith("Plus de 120 événements")
    assert page.problem is None


def test_base_href_wins_over_the_fetched_url() -> None:
    page = read("asso-actualites.html", WORDPRESS, url="http://127.0.0.1:9/anything/else")
    assert page.entries[0].url == (
        "https://asso.example.org/actualites/semaine-solidarite-2026-bilan/"
    )


def test_a_table_of_calls_in_windows_1252_with_numeric_dates_and_undated_rows() -> None:
    page = read("fondation-appels.html", TABLE, url="https://fondation.example/fondation/appels/")
    assert [(e.title, e.url) for e in page.entries] == [
        (
            "Accès à l'eau et assainissement en Afrique subsaharienne",
            "https://fondation.example/fondation/appels/docs/reglement-eau-2027.pdf",
        ),
        (
            "Insertion professionnelle des jeunes — Maghreb",
            "https://fondation.example/fondation/appels/docs/reglement-insertion-2027.pdf",
        ),
        (
            "Petits projets de solidarité internationale",
            "https://fondation.example/fondation/appels/petits-projets.html",
        ),
    ]
    published = [(e.published, e.dated) for e in page.entries]
    assert published == [
        (datetime(2026, 12, 1, tzinfo=UTC), True),
        (datetime(2026, 11, 20, tzinfo=UTC), True),
        (NOW, False),  # « non daté »: the first-seen time
    ]
    assert page.problem == (
        "1 of 4 blocks skipped: no title ('td.intitule') or no link ('a@href'); "
        "1 of 3 entries without a readable date ('td.publie'): dated when first seen"
    )


@pytest.mark.parametrize(
    "content_type",
    ["text/html", "text/html; charset=utf-8", "text/html; charset=windows-1252", ""],
)
def test_a_windows_1252_page_reads_right_whatever_the_server_claims(content_type: str) -> None:
    page = read("fondation-appels.html", TABLE, content_type=content_type)
    assert page.entries[0].title == "Accès à l'eau et assainissement en Afrique subsaharienne"


def test_utf8_wins_over_a_latin1_claim() -> None:
    body = '<div class="c"><a href="/x">Solidarité</a></div>'.encode()
    selectors = PageSelectors(item="div.c", title=Pick("a"), link=Pick("a", "href"))
    page = read_page(body, "text/html; charset=iso-8859-1", "https://x.example/", NOW, selectors)
    assert page.entries[0].title == "Solidarité"


def test_an_entry_without_a_date_selector_gets_its_first_seen_time() -> None:
    undated = PageSelectors(item="div.fr-card", title=Pick("h3"), link=Pick("a", "href"))
    page = read("region-appels.html", undated)
    assert {(e.published, e.dated) for e in page.entries} == {(NOW, False)}


def test_a_changed_layout_is_a_failure_naming_the_item_selector() -> None:
    page = read("region-appels-v2.html", CARDS)
    assert page.format == ""
    assert page.entries == ()
    assert page.problem is not None
    assert "'div.fr-card' matches nothing (the site changed?)" in page.problem


def test_blocks_that_all_lack_a_link_are_a_failure_naming_the_selectors() -> None:
    wrong_link = PageSelectors(item="div.fr-card", title=Pick("h3"), link=Pick("a", "data-url"))
    page = read("region-appels.html", wrong_link)
    assert page.format == ""
    assert page.problem == (
        "page: none of the 5 blocks matched by 'div.fr-card' has both a title ('h3') and a "
        "link ('a@data-url') (the site changed?)"
    )


def test_a_block_that_is_itself_the_link() -> None:
    html = (
        '<ul><li><a class="item" href="/a">Un</a></li><li><a class="item" href="b">Deux</a></li>'
        '<li><a class="item" href="javascript:alert(1)">Trois</a></li></ul>'
    )
    selectors = PageSelectors(item="a.item", title=Pick(""), link=Pick("", "href"))
    parsed = parse_page(
        html.encode(), content_type="text/html", url="https://x.example/l/", selectors=selectors
    )
    assert [(e.title, e.link) for e in parsed.entries] == [
        ("Un", "https://x.example/a"),
        ("Deux", "https://x.example/l/b"),
    ]  # a javascript: link is no link


def test_a_link_selector_without_attribute_takes_the_first_link_inside() -> None:
    selectors = PageSelectors(item="div.fr-card", title=Pick("h3"), link=Pick(".fr-card__body"))
    page = read("region-appels.html", selectors)
    assert page.entries[0].url == "https://www.region.example/aides/appel-a-projets-ecsi-2027"


def test_rows_linking_to_the_page_itself_stay_apart() -> None:
    html = "<table>" + "".join(
        f'<tr><td>Appel {n}</td><td><a href="#appel-{n}">voir</a></td></tr>' for n in (1, 2)
    )
    selectors = PageSelectors(item="tr", title=Pick("td"), link=Pick("a", "href"))
    page = read_page(html.encode(), "text/html", "https://x.example/appels", NOW, selectors)
    assert [e.title for e in page.entries] == ["Appel 1", "Appel 2"]
    assert len({e.guid for e in page.entries}) == 2


def test_attribute_values_are_text_even_when_they_look_like_markup() -> None:
    html = '<div class="c"><a href="/x" title="5 &lt; 6 &amp; [red]rouge[/red]">lien</a></div>'
    selectors = PageSelectors(item="div.c", title=Pick("a", "title"), link=Pick("a", "href"))
    page = read_page(html.encode(), "text/html", "https://x.example/", NOW, selectors)
    assert page.entries[0].title == "5 < 6 & [red]rouge[/red]"


@pytest.mark.parametrize(
    "body",
    [b"", b"\x00\xff\xfe garbage", b"<html><body>" + b"<div>" * 20000, "é".encode("utf-16")],
)
def test_a_broken_body_never_raises(body: bytes) -> None:
    page = read_page(body, "text/html", "https://x.example/", NOW, CARDS)
    assert page.format == "" and page.problem


# --- Dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 décembre 2026", "2026-12-03T00:00:00"),
        ("Publié le mardi 1er déc. 2026 à 10h", "2026-12-01T00:00:00"),
        ("le 3 DÉCEMBRE 2026", "2026-12-03T00:00:00"),
        ("3\u00a0decembre\u00a02026", "2026-12-03T00:00:00"),
        ("15 juil. 2026", "2026-07-15T00:00:00"),
        ("4 août 2026", "2026-08-04T00:00:00"),
        ("1 févr. 2027", "2027-02-01T00:00:00"),
        ("03/12/2026", "2026-12-03T00:00:00"),
        ("3.12.26", "2026-12-03T00:00:00"),
        ("12/31/2026", "2026-12-31T00:00:00"),
        ("Date limite : 30/01/2027", "2027-01-30T00:00:00"),
        ("2026-12-03", "2026-12-03T00:00:00"),
        ("2026-12-03T10:00:00+01:00", "2026-12-03T09:00:00"),
        ("2026-12-03T10:00:00Z", "2026-12-03T10:00:00"),
        ("December 3, 2026", "2026-12-03T00:00:00"),
        ("3rd Dec 2026", "2026-12-03T00:00:00"),
        ("Sept. 3, 2026", "2026-09-03T00:00:00"),
        ("Publié le 03/12/2026, mis à jour le 5 décembre 2026", "2026-12-03T00:00:00"),
        ("31 février 2026", None),
        ("mai 2026", None),
        ("bientôt", None),
        ("", None),
        ("32/13/2026", None),
        ("3 décembre 1850", None),
    ],
)
def test_page_dates_in_french_and_english(text: str, expected: str | None) -> None:
    found = read_page_date(text)
    assert (found.replace(tzinfo=None).isoformat() if found else None) == expected
    assert found is None or found.tzinfo == UTC


# --- The [sources.page] table -----------------------------------------------------------------

HEAD = """\
[networks.cerapcoop]
name = "CERAPCOOP"
members = ["cerap-1"]

[[sources]]
id = "region"
url = "https://www.region.example/aides/"
"""  # 7 lines: what follows starts on line 8


def load(tmp_path: Path, text: str):
    path = tmp_path / "sources.toml"
    path.write_text(HEAD + textwrap.dedent(text), encoding="utf-8")
    return load_config(path)


def refusal(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    message = str(caught.value)
    path = str(tmp_path / "sources.toml")
    assert message.startswith(path + ":"), message
    return message[len(path) + 1 :]


def test_a_page_source_with_four_selectors(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """\
        kind = "page"

        [sources.page]
        item = "div.fr-card"
        title = ".fr-card__title"
        link = "a @ href"
        date = "time@datetime"
        """,
    )
    [source] = config.sources
    assert source.kind == "page"
    assert source.page == PageSelectors(
        item="div.fr-card",
        title=Pick(".fr-card__title"),
        link=Pick("a", "href"),
        date=Pick("time", "datetime"),
    )


def test_a_feed_source_is_a_feed_without_selectors(tmp_path: Path) -> None:
    [source] = load(tmp_path, "").sources
    assert (source.kind, source.page) == ("feed", None)


def test_an_inline_page_table_and_an_attribute_selector_with_an_at_sign(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """\
        kind = "page"
        page = { item = 'a[href^="mailto:veille@"]', title = "@title", link = "@href" }
        """,
    )
    page = config.sources[0].page
    assert page is not None
    assert page.item == 'a[href^="mailto:veille@"]'
    assert (page.title, page.link) == (Pick("", "title"), Pick("", "href"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'kind = "page"\n[sources.page]\nitem = "div.card"\ntitle = "h3"\nlink = "a@href"\n'
            'dat = "time"\n',
            "13: unknown key 'dat' in [sources.page] (did you mean 'date'?); allowed: item, "
            "title, link, date, summary",
        ),
        (
            'kind = "page"\n[sources.page]\nitem = "div..card"\ntitle = "h3"\nlink = "a@href"\n',
            "10: item: invalid CSS selector 'div..card': the HTML parser cannot read it (check "
            "brackets, quotes and pseudo-classes)",
        ),
        (
            'kind = "page"\n[sources.page]\nitem = "div.card"\ntitle = "h3 >"\nlink = "a@href"\n',
            "11: title: invalid CSS selector 'h3 >': the HTML parser cannot read it (check "
            "brackets, quotes and pseudo-classes)",
        ),
        (
            'kind = "page"\n[sources.page]\nitem = "div.card"\ntitle = "h3"\n',
            "9: [sources.page] without 'link': every page source needs item, title and link "
            "selectors",
        ),
        (
            'kind = "page"\n',
            '5: kind = "page" needs a [sources.page] table with at least item, title and link '
            "selectors (see README)",
        ),
        (
            'kind = "pgae"\n',
            "8: kind: 'pgae' is neither 'feed' nor 'page' (did you mean 'page'?)",
        ),
        (
            '[sources.page]\nitem = "div"\ntitle = "h3"\nlink = "a@href"\n',
            '8: a [sources.page] table is for page sources: add kind = "page" to this source',
        ),
        (
            'kind = "page"\n[sources.page]\nitem = "div@class"\ntitle = "h3"\nlink = "a@href"\n',
            "10: item: selects the repeated block itself; read attributes in title, link, date "
            'or summary (such as link = "a@href")',
        ),
        (
            'kind = "page"\n[sources.page]\nitem = "div"\ntitle = "h3"\nlink = ["a"]\n',
            "12: link: expected a string, got list",
        ),
        (
            'kind = "page"\n[sources.page]\nitem = "div"\ntitle = "  "\nlink = "a"\n',
            "11: title: must not be empty",
        ),
    ],
)
def test_refusals_with_their_line(tmp_path: Path, text: str, expected: str) -> None:
    assert refusal(tmp_path, text) == expected


def test_selector_problem() -> None:
    assert selector_problem("div.fr-card > h3 a, article:has(time)") is None
    assert selector_problem("tr:nth-child(2n+1) td:first-child") is None
    assert selector_problem("div..card") is not None
    assert selector_problem("") == "empty selector"


# --- The skeleton -----------------------------------------------------------------------------


def test_the_skeleton_is_a_valid_page_source_once_pasted(tmp_path: Path) -> None:
    url = "https://www.auvergnerhonealpes.fr/aides?thematique=solidarité-internationale&page=2"
    skeleton = page_skeleton(url)
    path = tmp_path / "sources.toml"
    path.write_text(HEAD.split("[[sources]]")[0] + skeleton, encoding="utf-8")
    [source] = load_config(path).sources
    assert source.url == url
    assert source.id == "auvergnerhonealpes-aides"
    assert source.kind == "page" and source.page is not None
    assert source.page.link == Pick("a", "href")
    assert f"watchcli sources check --source {source.id}" in skeleton


def test_the_skeleton_quotes_what_toml_needs_quoted() -> None:
    skeleton = page_skeleton('https://x.example/a"b\\c', source_id="x")
    assert 'url = "https://x.example/a\\"b\\\\c"' in skeleton


def test_the_readme_worked_example_is_a_valid_page_source(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### A worked example", 1)[1].split("\n## ", 1)[0]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "sources.toml"
    path.write_text(
        HEAD.split("[[sources]]")[0] + '[tags]\nappels = "Appels à projets"\n\n' + example,
        encoding="utf-8",
    )
    [source] = load_config(path).sources
    assert source.page == CARDS


# --- Never raises ---------------------------------------------------------------------------


@given(st.text(max_size=200))
def test_reading_a_date_never_raises(text: str) -> None:
    found = read_page_date(text)
    assert found is None or (found.tzinfo == UTC and 1970 <= found.year <= 2100)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode()))
def test_reading_any_body_never_raises(body: bytes) -> None:
    html = b'<div class="fr-card"><h3 class="fr-card__title"><a href="/x">' + body
    page = read_page(html, "text/html", BASE, NOW, CARDS)
    for entry in page.entries:
        assert not any(ord(c) < 32 for c in entry.title)


@pytest.mark.parametrize(
    ("name", "selectors", "url"),
    [
        ("region-appels.html", CARDS, BASE),
        ("asso-actualites.html", WORDPRESS, "https://asso.example.org/actualites/"),
        ("fondation-appels.html", TABLE, "https://fondation.example/fondation/appels/"),
    ],
)
def test_selectors_guessed_from_a_page_find_what_hand_written_ones_find(
    tmp_path: Path, name: str, selectors: PageSelectors, url: str
) -> None:
    body = (PAGES / name).read_bytes()
    skeleton = page_skeleton(url, html=decode_page(body, "text/html"), source_id="guessed")
    assert "guessed from the page" in skeleton
    path = tmp_path / "sources.toml"
    path.write_text(HEAD.split("[[sources]]")[0] + skeleton, encoding="utf-8")
    [source] = load_config(path).sources
    assert source.page is not None

    def found(chosen: PageSelectors) -> list[tuple[str, str, bool]]:
        page = read_page(body, "text/html", url, NOW, chosen)
        return [(e.title, e.url, e.dated) for e in page.entries]

    assert found(source.page) == found(selectors)


def test_a_page_without_repeated_blocks_gets_the_common_shapes() -> None:
    html = "<html><body><h1>Appels</h1><p>Aucun appel en cours.</p></body></html>"
    assert guess_selectors(html) is None
    skeleton = page_skeleton("https://x.example/appels", html=html)
    assert "common shapes: adapt them to the page" in skeleton
    assert 'item = "article"' in skeleton


PIECES = (
    '<div class="card">',
    "</div>",
    '<a href="/x">',
    "</a>",
    "<li>",
    "<h3>",
    "</h3>",
    "<tr><td>",
    '<time datetime="x">',
    "Appel à projets 2027 ",
    "<!--",
    "<p>",
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60))
def test_guessing_never_raises_and_its_guess_is_valid(parts: list[str]) -> None:
    guessed = guess_selectors("".join(parts))
    if guessed is not None:
        selectors, count = guessed
        assert count >= 2
        assert selector_problem(selectors.item) is None
