"""parse.py: bytes in, ParsedFeed / FeedContent out, on our own fixture feeds (tests/feeds/)."""

from __future__ import annotations

import multiprocessing
import pickle
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watchcli.models import FeedContent
from watchcli.parse import MAX_ENTRIES, discover_feeds, parse_feed, read_feed

FEEDS = Path(__file__).parent / "feeds"
SEEN = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def body(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def read(name: str, content_type: str = "", url: str = "") -> FeedContent:
    return read_feed(body(name), content_type, url or f"https://feeds.example.org/{name}", SEEN)


def assert_terminal_safe(*texts: str) -> None:
    for text in texts:
        assert "\x1b" not in text and "\x9b" not in text, repr(text)
        for ch in text:
            assert ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cs"), repr(text)
            assert unicodedata.category(ch) != "Cf" or ch in "\u200c\u200d", repr(text)


# --- Formats --------------------------------------------------------------------------------


def test_rss2() -> None:
    feed = parse_feed(body("rss2.xml"), content_type="application/rss+xml; charset=UTF-8")
    assert (feed.format, feed.problem) == ("rss20", None)
    assert feed.title == "Réseau Coopération Exemple – Actualités"
    assert feed.link == "https://cooperation.example.org/"
    assert feed.language == "fr-FR"
    assert len(feed.entries) == 6
    first = feed.entries[0]
    assert first.guid == "https://cooperation.example.org/?p=1201"
    assert first.link.endswith(
        "/festisol-2026-programme/?utm_source=rss&utm_medium=rss&utm_campaign=festisol-2026"
    )
    assert first.published == datetime(2026, 11, 16, 8, 30, tzinfo=UTC)
    assert first.author == "Équipe communication"
    assert first.categories == ("Festisol", "ECSI")
    assert "<strong>Festival des Solidarités</strong>" in first.content
    assert first.summary.startswith("<p>Du 13 au 29 novembre")


def test_rss2_read() -> None:
    content = read("rss2.xml")
    assert (content.format, content.title, content.language) == (
        "rss20",
        "Réseau Coopération Exemple – Actualités",
        "fr-fr",
    )
    first, fourth, last = content.entries[0], content.entries[3], content.entries[5]
    assert first.url == "https://cooperation.example.org/actualites/festisol-2026-programme/"
    assert first.summary == (
        "Du 13 au 29 novembre, plus de 80 animations sont proposées dans la région pour le "
        "Festival des Solidarités\u00a0: ciné-débats, expositions, repas partagés…"
    )
    # escaped HTML with a numeric reference inside (&amp;#8217;)
    assert fourth.summary.startswith("Une journée pour les animateurs et animatrices d’éducation")
    assert last.url == "https://cooperation.example.org/actualites/bilan-ssi-clermont-ferrand/"
    assert all(e.dated for e in content.entries)


def test_atom() -> None:
    feed = parse_feed(body("atom.xml"), content_type="application/atom+xml")
    assert (feed.format, feed.problem, feed.title, feed.language) == (
        "atom10",
        None,
        "Global Solidarity Watch",
        "en",
    )
    assert [e.guid for e in feed.entries] == [
        f"tag:news.example.net,2026:entry-{n}" for n in range(101, 106)
    ]
    first = feed.entries[0]
    assert first.published == datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    assert first.updated == datetime(2026, 11, 18, 12, 30, tzinfo=UTC)
    assert first.categories == ("humanitarian", "united-nations")
    assert feed.entries[4].published is None  # only <updated>


def test_atom_read() -> None:
    entries = read("atom.xml").entries
    assert entries[0].summary == (
        "OCHA's Global Humanitarian Overview asks donors for $47 billion to help 190 million "
        "people."
    )
    assert entries[1].title == "Sudan: NGOs warn on humanitarian access in Darfur & Kordofan"
    assert entries[1].published == datetime(2026, 11, 19, 8, 40, tzinfo=UTC)
    assert entries[2].summary == (  # XHTML content, no summary
        "Le projet de loi de finances prévoit une nouvelle baisse des crédits de la mission "
        "« Aide publique au développement ».\n\nLes ONG, réunies au sein de leur coordination, "
        "dénoncent un recul historique."
    )
    assert entries[3].url == "https://news.example.net/2026/11/climate-finance-after-cop31?ref=rss"
    assert entries[3].summary == "Direct access to adaptation funds remains the exception."
    assert (entries[4].published, entries[4].dated) == (
        datetime(2026, 11, 24, 15, tzinfo=UTC),
        True,
    )


def test_rss1_rdf() -> None:
    content = read("rss1-rdf.xml")
    assert (content.format, content.problem, content.language) == ("rss10", None, "fr")
    assert len(content.entries) == 4
    second = content.entries[1]
    assert second.guid == "https://europe-solidaire.example.org/spip.php?article415"
    assert second.published == datetime(2026, 11, 18, 14, 30, tzinfo=UTC)
    assert second.author == "Marc Delorme"
    assert second.categories == ("Europe",)
    assert second.summary == (
        "La Commission européenne publie un rapport d’étape sur les investissements Global Gateway."
    )
    assert content.entries[2].url == "https://europe-solidaire.example.org/spip.php?article418"


def test_jsonfeed() -> None:
    feed = parse_feed(body("jsonfeed.json"), content_type="application/feed+json")
    assert (feed.format, feed.problem, feed.title, feed.language) == (
        "json",
        None,
        "Humanitarian Brief",
        "en-GB",
    )
    assert feed.link == "https://brief.example.com/"
    first, second, third, fourth = feed.entries
    assert first.categories == ("health", "WASH")
    assert first.author == "Lena Vogel"
    assert second.author == "Lena Vogel, Tomás Ruiz"
    assert second.published == datetime(2026, 11, 20, 12, 15, tzinfo=UTC)
    assert second.updated == datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    assert third.link == "https://partner.example.org/reports/localisation-2026"  # external_url
    assert (third.published, third.author) == (None, "Tomás Ruiz")  # JSON Feed 1.0 "author"
    assert fourth.guid == "20261126"  # a number in the wild, a string for us
    assert fourth.title == ""


def test_jsonfeed_read() -> None:
    entries = read("jsonfeed.json", "application/feed+json").entries
    assert (
        entries[0].summary
        == "Vaccination campaigns start in three provinces.\n\nPartners call for clean water first."
    )
    assert entries[1].url == "https://brief.example.com/2026/11/20/un-humanitarian-appeal-2027"
    assert entries[2].published == datetime(2026, 11, 24, 10, 30, tzinfo=UTC)  # date_modified
    assert entries[3].title == (
        "The early-warning network raises its alert level for the Sahel lean season."
    )


@pytest.mark.parametrize("content_type", ["", "application/json", "text/plain"])
def test_jsonfeed_is_sniffed_from_the_body(content_type: str) -> None:
    feed = parse_feed(b"\xef\xbb\xbf \n" + body("jsonfeed.json"), content_type=content_type)
    assert (feed.format, len(feed.entries)) == ("json", 4)


@pytest.mark.parametrize(
    ("raw", "content_type", "problem"),
    [
        (
            b'{"version": "https://jsonfeed.org/version/1.1", "items": [',
            "",
            "not a feed: invalid JSON",
        ),
        (b"not json at all", "application/feed+json", "not a feed: invalid JSON"),
        (
            b'{"error": "rate limited"}',
            "application/json",
            "not a feed: JSON that is not a JSON Feed",
        ),
        (b"[1, 2, 3]", "application/json", "not a feed: JSON that is not a JSON Feed"),
        (b"{" * 100_000, "", "not a feed: invalid JSON"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": {}}', "", "not a feed: JSON"),
    ],
)
def test_json_problems(raw: bytes, content_type: str, problem: str) -> None:
    feed = parse_feed(raw, content_type=content_type)
    assert (feed.format, feed.entries) == ("", ())
    assert feed.problem is not None and feed.problem.startswith(problem)


def test_json_garbage_fields_are_skipped() -> None:
    raw = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": 3, "items": [7, null, '
        b'{"id": true, "url": 5, "title": ["x"], "tags": "notalist", "authors": "x", '
        b'"date_published": "0001-01-01T00:00:00Z", "date_modified": "hier"}]}'
    )
    feed = parse_feed(raw)
    assert (feed.format, feed.title, len(feed.entries)) == ("json", "", 1)
    entry = feed.entries[0]
    assert (entry.guid, entry.link, entry.title, entry.categories, entry.author) == (
        "",
        "",
        "",
        (),
        "",
    )
    assert (entry.published, entry.updated) == (None, None)


# --- Encodings ------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["", "application/rss+xml; charset=utf-8"])
def test_latin1_declared_in_the_prolog(content_type: str) -> None:
    content = read("latin1.xml", content_type)  # a server may well claim UTF-8 for it
    assert (content.format, content.problem) == ("rss20", None)
    assert content.title == "Collectif Auvergne Solidarité"
    assert [e.title for e in content.entries][:2] == [
        "Réunion des membres : préparer la Semaine de la solidarité",
        "Marché équitable de Noël : appel aux bénévoles",
    ]
    assert content.entries[3].summary.endswith("Une œuvre commune à poursuivre.")


def test_latin1_charset_from_http_header() -> None:
    content = read("latin1-undeclared.xml", "application/rss+xml; charset=ISO-8859-1")
    assert (content.format, content.problem) == ("rss20", None)
    assert content.title == "Maison de la coopération - Vichy"
    assert content.entries[1].title == "Soirée ciné-débat : « Les semeuses de Kédougou »"
    assert [e.guid for e in content.entries] == [f"mc-vichy-2026-04{n}" for n in (1, 2, 3)]


def test_http_charset_wins_over_guessing() -> None:
    # ISO-8859-15 differs from the windows-1252 fallback on "œ" (0xBD) and "€" (0xA4).
    raw = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Cœur</title><item>'
        "<title>Aide de 2 000 € pour l'œuvre</title><guid>x</guid></item></channel></rss>"
    ).encode("iso-8859-15")
    feed = parse_feed(raw, content_type="text/xml; charset=iso-8859-15")
    assert (feed.title, feed.entries[0].title) == ("Cœur", "Aide de 2 000 € pour l'œuvre")


@pytest.mark.parametrize(
    ("prolog", "content_type"),
    [
        ('<?xml version="1.0" encoding="ISO-8859-1"?>', ""),
        ('<?xml version="1.0" encoding="utf-8"?>', "application/rss+xml; charset=iso-8859-1"),
        ('<?xml version="1.0"?>', "text/xml; charset=windows-1252"),
    ],
)
def test_utf8_claimed_as_latin1_is_read_as_utf8(prolog: str, content_type: str) -> None:
    raw = (
        f'{prolog}<rss version="2.0"><channel><title>Solidarité</title><item>'
        "<title>Éducation à la citoyenneté – l’été</title><guid>x</guid></item></channel></rss>"
    ).encode()
    feed = parse_feed(raw, content_type=content_type)
    assert feed.entries[0].title == "Éducation à la citoyenneté – l’été"
    assert feed.problem is None


def test_utf16_with_bom() -> None:
    raw = (
        '<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>Réseau</title>'
        "<item><title>Coopération</title></item></channel></rss>"
    ).encode("utf-16")
    feed = parse_feed(raw)
    assert (feed.format, feed.title, feed.entries[0].title) == ("rss20", "Réseau", "Coopération")


# --- Broken bodies --------------------------------------------------------------------------


def test_malformed_xml_is_read_as_far_as_possible() -> None:
    content = read("malformed.xml")
    assert content.format == "rss20"
    assert content.problem == "malformed XML at line 16: not well-formed (invalid token)"
    assert [e.title for e in content.entries] == [
        "Forages au Niger : 12 villages raccordés",
        "Eau & assainissement : le rapport annuel 2026 est en ligne",
        "Journée mondiale des toilettes : retour sur nos actions",
        "Recrutement : chargé·e de projets Afrique de l'Ouest",
    ]
    assert content.entries[1].url == (
        "https://eauvive.example.org/bulletin/rapport-annuel-2026?format=pdf&lang=fr"
    )
    assert content.entries[2].summary == "Animations dans 15 écoles et une exposition photo à Lyon."


def test_html_page_is_not_a_feed_and_names_the_advertised_one() -> None:
    feed = parse_feed(
        body("html-page.html"),
        content_type="text/html; charset=utf-8",
        url="https://solidarites.example.org/",
    )
    assert (feed.format, feed.entries) == ("", ())
    assert feed.problem == (
        "not a feed: the server sent an HTML page; "
        "it advertises a feed at https://solidarites.example.org/feed/"
    )


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"", "not a feed: the body is empty"),
        (b" \r\n\t", "not a feed: the body is empty"),
        (b"\xef\xbb\xbf\n", "not a feed: the body is empty"),
        (b"<html><body><h1>404</h1></body></html>", "not a feed: the server sent an HTML page"),
        (
            b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>"
            b'<body><div class="cf-error-details">blocked</div></body></html>',
            "not a feed: the server sent a Cloudflare challenge page",
        ),
        (b"Service Unavailable", "not a feed: the body is neither XML nor JSON"),
        (b"<?xml version='1.0'?><note><to>x</to></note>", "not a feed: no RSS, Atom or JSON Feed"),
    ],
)
def test_not_a_feed(raw: bytes, problem: str) -> None:
    feed = parse_feed(raw)
    assert (feed.format, feed.entries) == ("", ())
    assert feed.problem is not None and feed.problem.startswith(problem)


def test_empty_fixture() -> None:
    assert read("empty.xml") == FeedContent(format="", problem="not a feed: the body is empty")


def test_entries_are_capped() -> None:
    items = "".join(
        f"<item><title>Dépêche {n}</title><guid>d-{n}</guid></item>" for n in range(MAX_ENTRIES + 3)
    )
    raw = f'<rss version="2.0"><channel><title>Fil</title>{items}</channel></rss>'.encode()
    feed = parse_feed(raw)
    assert len(feed.entries) == MAX_ENTRIES
    assert feed.entries[-1].guid == f"d-{MAX_ENTRIES - 1}"
    assert feed.problem == f"the feed has {MAX_ENTRIES + 3} entries; only the first 5000 were read"


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Mon, 16 Nov 2026 09:30:00 +0100", datetime(2026, 11, 16, 8, 30, tzinfo=UTC)),
        ("Mon, 16 Nov 26 09:30:00 +0100", datetime(2026, 11, 16, 8, 30, tzinfo=UTC)),
        ("2026-11-16T09:30:00.123+01:00", datetime(2026, 11, 16, 8, 30, tzinfo=UTC)),
        ("Sat, 01 Jan 1900 00:00:00 GMT", None),
        ("Fri, 01 Jan 2500 00:00:00 GMT", None),
        ("le 16 novembre", None),
        ("", None),
    ],
)
def test_dates(date: str, expected: datetime | None) -> None:
    raw = f'<rss version="2.0"><channel><item><pubDate>{date}</pubDate></item></channel></rss>'
    assert parse_feed(raw.encode()).entries[0].published == expected


def test_relative_links_resolve_against_the_feed_url_and_guids_stay_as_published() -> None:
    raw = (
        b'<rss version="2.0"><channel><link>/</link><item><title>x</title>'
        b"<link>/actualites/x?utm_source=rss</link><guid>article-42</guid></item></channel></rss>"
    )
    content = read_feed(raw, "", "https://ong.example.org/feed/", SEEN)
    entry = content.entries[0]
    assert entry.link == "https://ong.example.org/actualites/x?utm_source=rss"
    assert entry.url == "https://ong.example.org/actualites/x"
    assert entry.guid == "article-42"
    assert parse_feed(raw, url="https://ong.example.org/feed/").link == "https://ong.example.org/"


# --- Hostile content ------------------------------------------------------------------------


def test_hostile_xml() -> None:
    content = read("hostile.xml")
    assert (content.format, content.problem) == ("rss20", None)
    assert_terminal_safe(content.title)
    assert "[bold]Exemple[/bold]" in content.title
    e1, e2, e3, e4, e5 = content.entries
    for e in content.entries:
        assert_terminal_safe(e.guid, e.url, e.link, e.title, e.summary, e.author, *e.categories)
        for bad in ("alert", "steal", "onerror", "onclick", "display:none", "javascript"):
            assert bad not in e.summary
    assert e1.title.endswith("ALERTE›0m : appel aux dons pour le Sahel")  # C1 CSI made printable
    assert e1.url == "https://hostile.example.com/appel-sahel"
    assert e1.summary == "Faites un don aujourd'hui."
    assert e2.title == "[bold red]Urgent[/bold red] [link=file:///etc/passwd]cliquez ici[/link]"
    assert (e2.link, e2.url, e2.summary) == ("", "", "Lire la suite")
    assert e3.title == "Rapport financier fdp.exe 2026"
    assert (e3.link, e3.url) == ("", "")
    assert e4.guid == "hostile-004"
    assert e4.title == "Titre avec balises grasses"
    assert e4.summary == "Contenu visible sur deux lignes."
    assert (e5.published, e5.dated) == (SEEN, False)  # dated 2100: clamped


def test_hostile_json() -> None:
    content = read("hostile.json")
    assert (content.format, content.title) == ("json", "Veille piégée")
    e1, e2, e3 = content.entries
    for e in content.entries:
        assert_terminal_safe(e.guid, e.url, e.link, e.title, e.summary, e.author, *e.categories)
    assert e1.title == "Écran effacé : appel aux dons"
    assert e1.summary == "Lien caché et couleur 8 bits.\n\nDeuxième paragraphe avec des contrôles."
    assert e1.author == "etilop Bidi"
    assert e1.categories == ("rouge", "[bold]rich[/bold]")
    assert e1.url == "https://hostile.example.com/json/terminal"
    assert e2.title == "[red]Rich[/red] isolé sanschasse"
    assert (e2.link, e2.url, e2.summary) == ("", "", "Texte avec image piégée.")
    assert e3.url == "https://hostile.example.com/json/imbrique"


def test_google_alerts_point_at_the_same_story() -> None:
    alerts = read("google-alerts.xml")
    assert alerts.format == "atom10"
    first = alerts.entries[0]
    assert first.title == "Festival des Solidarités 2026 : le programme en Auvergne-Rhône-Alpes"
    assert first.url == read("rss2.xml").entries[0].url
    assert first.author == ""
    assert alerts.entries[1].url == (
        "https://www.journal-centre.example.fr/vichy/2026/11/21/ssi-lyceens-mobilises"
    )


# --- Discovery, read_feed as a worker -------------------------------------------------------


def test_discover_feeds() -> None:
    html = """<html><head><base href="https://ong.example.org/fr/">
      <link rel="alternate" type="application/rss+xml" href="feed/">
      <link rel="Alternate Feed" type="application/atom+xml; charset=utf-8" href="/atom.xml">
      <link rel="alternate" type="application/feed+json" href="https://ong.example.org/feed.json">
      <link rel="alternate" type="text/html" hreflang="en" href="/en/">
      <link rel="stylesheet" type="application/rss+xml" href="/nope">
      <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
      <link rel="alternate" type="application/rss+xml" href="feed/">
    </head></html>"""
    assert discover_feeds(html, "https://ong.example.org/") == [
        "https://ong.example.org/fr/feed/",
        "https://ong.example.org/atom.xml",
        "https://ong.example.org/feed.json",
    ]
    assert discover_feeds(body("html-page.html").decode(), "https://s.example.org/a/") == [
        "https://s.example.org/feed/",
        "https://s.example.org/comments/feed/",
    ]
    assert discover_feeds("<link rel=alternate", "") == []


def test_read_feed_never_raises() -> None:
    content = read_feed(None, "", "", SEEN)  # type: ignore[arg-type]
    assert content == FeedContent(format="", problem="could not read the feed: TypeError")


def test_read_feed_result_pickles() -> None:
    content = read("rss2.xml")
    assert pickle.loads(pickle.dumps(content)) == content


def test_read_feed_runs_in_a_process_pool() -> None:
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        future = pool.submit(read_feed, body("atom.xml"), "application/atom+xml", "", SEEN)
        content = future.result(timeout=60)
    assert content == read_feed(body("atom.xml"), "application/atom+xml", "", SEEN)
    assert len(content.entries) == 5
