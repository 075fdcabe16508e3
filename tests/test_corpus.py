"""Every real-world feed of the shared corpus goes through read_feed without harm.

The corpus lives outside the repository (../shared/corpus/feeds, see its MANIFEST.md); this
module is skipped where it is absent.
"""

from __future__ import annotations

import gzip
import unicodedata
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest

from watchcli.models import FeedContent
from watchcli.normalize import canonical_url
from watchcli.parse import read_feed

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
SEEN = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
FEED_URL = "https://feeds.example.org/feed.xml"

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the shared feed corpus is not available at {CORPUS}"
)

FILES = sorted(p.name for p in CORPUS.iterdir() if p.is_file()) if CORPUS.is_dir() else []


@cache
def read(name: str) -> FeedContent:
    raw = (CORPUS / name).read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return read_feed(raw, "", FEED_URL, SEEN)


@pytest.mark.parametrize("name", FILES)
def test_every_corpus_file_reads_cleanly(name: str) -> None:
    content = read(name)
    assert not (content.problem or "").startswith("could not read"), content.problem
    if content.format == "":
        assert content.problem and content.problem.startswith("not a feed")
        assert content.entries == ()
    for text in (content.title, content.language, content.problem or ""):
        assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text), repr(text)
    for entry in content.entries:
        assert entry.guid and entry.title
        assert entry.published.utcoffset() == timedelta(0)
        assert entry.published <= SEEN + timedelta(days=1)
        assert canonical_url(entry.url) == entry.url
        assert entry.url == "" or entry.url.startswith(("http://", "https://"))
        assert "\n" not in entry.title + entry.guid + entry.author
        for text in (entry.guid, entry.url, entry.link, entry.title, entry.summary, entry.author):
            assert not any(
                unicodedata.category(ch) in ("Cc", "Cs") and ch != "\n" for ch in text
            ), repr(text)
            assert "\x1b" not in text


def test_franceinfo_xtor_fragment_is_gone() -> None:
    entries = read("franceinfo-monde_2025-02-10.xml").entries
    assert len(entries) == 20
    assert all("#xtor=RSS-3-[general]" in e.link for e in entries)
    assert not any("xtor" in e.url or "#" in e.url for e in entries)
    assert entries[0].url == (
        "https://www.francetvinfo.fr/culture/musique/le-chanteur-ed-sheeran-interrompu-par-la-"
        "police-lors-d-un-concert-de-rue-en-inde_7066466.html"
    )


def test_franceinfo_two_digit_years() -> None:
    entries = read("franceinfo-titres_2025-02-10.xml").entries
    assert len(entries) == 26
    assert all(e.dated and e.published.year == 2025 for e in entries)


@pytest.mark.parametrize(
    ("name", "index", "title"),
    [
        # ISO-8859-1 bytes, no XML declaration at all
        (
            "cercle-psy_2013-05-23.xml",
            0,
            "Stéphane Gumpper : Qu'est-ce que la psychologie des religions ?",
        ),
        # ISO-8859-1 declared
        (
            "universfreebox_2013-03-25.xml",
            0,
            "Retour de Xavier Niel sur Twitter, « sans initiative privée, pas de révolution "
            "#Born2code »",
        ),
        ("jn-pt-iso8859-1_2018-01-03.xml", 0, "Mãe de utente é a nova presidente da Raríssimas"),
        ("ibash-ru-windows1251_2013-06-27.xml", 0, "Цитата #16099"),
    ],
)
def test_legacy_encodings_decode_with_their_accents(name: str, index: int, title: str) -> None:
    assert read(name).entries[index].title == title


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("bfmtv-strasbourg-404-HTML_2025-02-10.xml", "not a feed: the server sent an HTML page"),
        ("marketwatch-document-moved-HTML.xml", "not a feed: the server sent an HTML page"),
        (
            "lefigaro-etudiant-CLOUDFLARE-HTML_2025-02-10.xml",
            "not a feed: the server sent a Cloudflare challenge page",
        ),
    ],
)
def test_html_pages_are_not_feeds(name: str, problem: str) -> None:
    assert read(name) == FeedContent(format="", problem=problem)


@pytest.mark.parametrize(
    ("name", "problem", "entries"),
    [
        (
            "nextinpact-full_2014-05-15.xml",
            "malformed XML at line 429: reference to invalid character number",
            45,
        ),
        (
            "theguardian-world_2022-09-25.xml",
            "malformed XML at line 35: not well-formed (invalid token)",
            54,
        ),
        (
            "reuters-most-read-truncated_2020-03-21.xml",
            "malformed XML at line 19: no element found",
            0,
        ),
        (
            "synthetic-unescaped-ampersand.xml",
            "malformed XML at line 15: not well-formed (invalid token)",
            3,
        ),
    ],
)
def test_broken_feeds_are_read_as_far_as_possible(name: str, problem: str, entries: int) -> None:
    content = read(name)
    assert (content.format, content.problem, len(content.entries)) == ("rss20", problem, entries)


def test_pcinpact_double_escaped_entities_and_utm() -> None:
    first = read("pcinpact_2013-04-07.xml").entries[0]
    assert first.guid == "78872"  # isPermaLink="false": kept as published
    assert first.url == (
        "http://www.pcinpact.com/breve/78872-la-dcri-purge-wikipedia-par-menace-bel-effet-"
        "streisand-a-cle.htm"
    )
    assert first.summary.startswith(
        "Le 4 mars, la Direction centrale du renseignement intérieur (ou DCRI) a réclamé d’urgence"
    )
    assert first.published == datetime(2013, 4, 6, 23, 11, tzinfo=UTC)  # a10:updated only


def test_unhcr_runaway_escaping() -> None:
    entries = read("unhcr-jobs-via-cinfoposte_2026-07-23.xml").entries
    titles = {e.title for e in entries}
    assert "Digital Adoption & Communications Intern" in titles
    assert not any("&amp;" in e.title or "&amp;" in e.summary for e in entries)


def test_google_news_redirect_is_unwrapped() -> None:
    entry = read("google-actualites-fr-be_2020-03-08.xml").entries[0]
    assert entry.link.startswith("https://news.google.com/__i/rss/rd/articles/")
    assert entry.url == (
        "https://www.rtbf.be/info/societe/detail_coronavirus-en-belgique-200-cas-detectes-au-"
        "total-la-circulation-du-virus-reste-limitee?id=10450793"
    )


def test_relative_links_resolve_against_the_feed_url() -> None:
    entries = read("perfectworld-relative-urls_2017-12-10.xml").entries
    assert entries[0].url.startswith("https://feeds.example.org/en/games/neverwinter/news/detail/")


def test_html_in_pubdate_leaves_the_entry_undated() -> None:
    entry = read("fda-drug-recalls-html-in-pubdate_2019-05-03.xml").entries[0]
    assert (entry.published, entry.dated) == (SEEN, False)


def test_every_item_linking_to_the_home_page_gets_its_own_guid() -> None:
    entry = read("lucasdelirium-raw-html-in-description_2025-09-28.xml").entries[0]
    assert entry.url == "https://www.lucasdelirium.it/"
    assert entry.guid.startswith("sha1:")


def test_json_feed_and_rdf() -> None:
    assert read("jsonfeed-org_2017-05-17.json").format == "json"
    assert len(read("jsonfeed-org_2017-05-17.json").entries) == 1
    planet = read("planete-jquery_2013-03-20.xml")
    assert (planet.format, len(planet.entries)) == ("rss10", 20)
