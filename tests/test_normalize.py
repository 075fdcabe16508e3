"""normalize.py: canonical URLs and clean entries."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.provisional import urls

from watchcli.models import RawEntry
from watchcli.normalize import (
    MAX_AUTHOR,
    MAX_CATEGORIES,
    MAX_CATEGORY,
    MAX_GUID,
    MAX_SUMMARY,
    MAX_TITLE,
    TRACKING_PARAMS,
    UNTITLED,
    canonical_url,
    normalize_entry,
)

FEED = "https://cooperation.example.org/feed/"
SEEN = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # case, default ports, userinfo, empty path, fragments
        ("HTTP://Example.ORG", "http://example.org/"),
        ("https://EXAMPLE.org:443/Chemin/", "https://example.org/Chemin/"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("http://example.org:443/a", "http://example.org:443/a"),
        ("https://user:secret@example.org/a", "https://example.org/a"),
        ("https://example.org./a", "https://example.org/a"),
        ("https://example.org/a#section-2", "https://example.org/a"),
        # tracking parameters
        (
            "https://www.francetvinfo.fr/monde/afrique/x_7066466.html#xtor=RSS-3-[general]",
            "https://www.francetvinfo.fr/monde/afrique/x_7066466.html",
        ),
        (
            "https://ex.org/a?utm_source=rss&utm_medium=rss&utm_campaign=x&id=3",
            "https://ex.org/a?id=3",
        ),
        ("https://ex.org/a?UTM_Source=x&Utm_Term=y", "https://ex.org/a"),
        ("https://ex.org/a?fbclid=IwAR0&gclid=1&msclkid=2&yclid=3&dclid=4", "https://ex.org/a"),
        (
            "https://ex.org/a?xtor=RSS-1&xts=2&at_medium=3&at_campaign=4&AT_xyz=5",
            "https://ex.org/a",
        ),
        ("https://ex.org/a?mc_cid=1&mc_eid=2&_hsenc=3&_hsmi=4&igshid=5", "https://ex.org/a"),
        ("https://ex.org/a?ns_mchannel=1&ns_campaign=2&ito=3&ncid=4&cmpid=5", "https://ex.org/a"),
        ("https://ex.org/a?WT.mc_id=1&wt_mc=2&sr_share=3&_ga=4", "https://ex.org/a"),
        ("https://ex.org/a?utm%5Fsource=x&b=1", "https://ex.org/a?b=1"),
        ("https://ex.org/a?", "https://ex.org/a"),
        ("https://ex.org/a?&&b=1&&", "https://ex.org/a?b=1"),
        # other parameters kept, sorted by key, equal keys in published order
        ("https://ex.org/a?z=1&b=2&a=3", "https://ex.org/a?a=3&b=2&z=1"),
        ("https://ex.org/a?tag=b&id=1&tag=a", "https://ex.org/a?id=1&tag=b&tag=a"),
        ("https://ex.org/a?flag&x=", "https://ex.org/a?flag&x="),
        ("https://ex.org/spip.php?article418", "https://ex.org/spip.php?article418"),
        # percent-encoding: uppercase, unreserved decoded, reserved kept, unsafe encoded
        ("https://ex.org/%7euser/caf%c3%a9", "https://ex.org/~user/caf%C3%A9"),
        ("https://ex.org/a%2Fb?q=a%26b%3Dc", "https://ex.org/a%2Fb?q=a%26b%3Dc"),
        ("https://ex.org/été 2026/«x»", "https://ex.org/%C3%A9t%C3%A9%202026/%C2%ABx%C2%BB"),
        ("https://ex.org/100%", "https://ex.org/100%25"),
        ("https://ex.org/a/./b/../c", "https://ex.org/a/c"),
        ("https://ex.org/q?s=a+b", "https://ex.org/q?s=a+b"),
        # internationalised host
        ("https://Bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://solidarité.example/été", "https://xn--solidarit-j4a.example/%C3%A9t%C3%A9"),
        # redirect wrappers
        (
            "https://www.google.com/url?rct=j&sa=t&url=https://www.coordinationsud.org/actualite/"
            "x/%3Futm_source%3Dga&ct=ga&cd=CAEYACoTNjk&usg=AOvVaw",
            "https://www.coordinationsud.org/actualite/x/",
        ),
        ("https://www.google.fr/url?q=https://ex.org/a%23frag&sa=D", "https://ex.org/a"),
        ("https://www.google.com/url?q=bonjour", "https://www.google.com/url?q=bonjour"),
        (
            "http://news.google.com/news/url?sa=t&fd=R&url=http://www.rfi.fr/afrique/20130405-mali&ei=x",
            "http://www.rfi.fr/afrique/20130405-mali",
        ),
        (
            "https://news.google.com/__i/rss/rd/articles/CBMiiwFodHRwczovL3d3dy5ydGJmLmJlL2luZm8vc"
            "29jaWV0ZS9kZXRhaWxfY29yb25hdmlydXMtZW4tYmVsZ2lxdWUtMjAwLWNhcy1kZXRlY3Rlcy1hdS10b3RhbC1s"
            "YS1jaXJjdWxhdGlvbi1kdS12aXJ1cy1yZXN0ZS1saW1pdGVlP2lkPTEwNDUwNzkz0gEA?oc=5",
            "https://www.rtbf.be/info/societe/detail_coronavirus-en-belgique-200-cas-detectes-au-"
            "total-la-circulation-du-virus-reste-limitee?id=10450793",
        ),
        (
            "https://news.google.com/rss/articles/CBMiAU_yqLOpaque?oc=5",
            "https://news.google.com/rss/articles/CBMiAU_yqLOpaque?oc=5",
        ),
        (
            "https://l.facebook.com/l.php?u=https%3A%2F%2Fex.org%2Fa%3Ffbclid%3D1&h=AT0",
            "https://ex.org/a",
        ),
        ("https://www.google.com/amp/s/ex.org/article/amp", "https://ex.org/article/amp"),
        (
            "https://www.google.com/url?q=https://www.google.com/url?q%3Dhttps://ex.org/b",
            "https://ex.org/b",
        ),
        (
            "https://www.google.com/url?q=javascript:alert(1)",
            "https://www.google.com/url?q=javascript:alert(1)",
        ),
        # not http(s), or garbage
        ("", ""),
        ("   ", ""),
        ("javascript:alert(document.cookie)", ""),
        ("JavaScript:alert(1)", ""),
        ("data:text/html;base64,PHNjcmlwdD4=", ""),
        ("mailto:contact@example.org", ""),
        ("ftp://ex.org/file", ""),
        ("http://", ""),
        ("http:///path", ""),
        ("http://[::1", ""),
        ("http://exa mple.org/", ""),
        ("http://ex.org:99999/", ""),
        ("http://ex.org:port/", ""),
        ("not a url", ""),
        ("https://ex.org/\x1b[31m", "https://ex.org/%1B%5B31m"),
        ("  https://ex.org/a\n  ", "https://ex.org/a"),
        ("https://[2001:DB8::1]:8080/a", "https://[2001:db8::1]:8080/a"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("/actualites/x?utm_source=rss", FEED, "https://cooperation.example.org/actualites/x"),
        ("x.html", FEED, "https://cooperation.example.org/feed/x.html"),
        ("../x.html", FEED, "https://cooperation.example.org/x.html"),
        ("//cdn.example.net/a", FEED, "https://cdn.example.net/a"),
        ("https://other.example/a", FEED, "https://other.example/a"),
        ("/relative", "", ""),
        ("javascript:void(0)", FEED, ""),
        ("/a", "http://[::1", ""),
    ],
)
def test_canonical_url_resolves_against_base(url: str, base: str, expected: str) -> None:
    assert canonical_url(url, base) == expected


def tracking_keys(url: str) -> list[str]:
    keys = [k.lower() for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)]
    return [k for k in keys if k in TRACKING_PARAMS or k.startswith(("utm_", "at_"))]


tracking_key = st.sampled_from(sorted(TRACKING_PARAMS)) | st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["utm_", "UTM_", "Utm_", "at_", "AT_"]),
    st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8),
)
param_value = st.text(max_size=12)


@st.composite
def tracked_urls(draw: st.DrawFn) -> str:
    """A URL with tracking parameters mixed into its own, maybe inside a Google wrapper."""
    url = draw(urls())
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    for _ in range(draw(st.integers(1, 4))):
        key = draw(tracking_key)
        if draw(st.booleans()):
            key = key.upper()
        params.insert(draw(st.integers(0, len(params))), (key, draw(param_value)))
    tracked = parts._replace(query=urlencode(params)).geturl()
    if draw(st.booleans()):
        tracked = "https://www.google.com/url?" + urlencode({"rct": "j", "url": tracked})
    return tracked


@given(urls() | tracked_urls())
def test_canonical_url_is_idempotent_and_tracking_free(url: str) -> None:
    canonical = canonical_url(url)
    assert canonical.startswith(("http://", "https://"))
    assert canonical_url(canonical) == canonical
    assert tracking_keys(canonical) == []
    assert "#" not in canonical


@given(st.text(max_size=100), st.sampled_from(["", FEED, "garbage", "http://[::1]/", "//x"]))
def test_canonical_url_never_raises(url: str, base: str) -> None:
    canonical = canonical_url(url, base)
    assert canonical == "" or canonical_url(canonical) == canonical


# --- normalize_entry ------------------------------------------------------------------------


def entry(**fields: object) -> RawEntry:
    base: dict[str, object] = {
        "title": "Festival des Solidarités 2026",
        "link": "https://cooperation.example.org/festisol?utm_source=rss",
        "guid": "https://cooperation.example.org/?p=1201",
        "summary": "<p>Du 13 au 29 novembre.</p>",
        "published": datetime(2026, 11, 16, 9, 30, tzinfo=timezone(timedelta(hours=1))),
    }
    base.update(fields)
    return RawEntry(**base)  # type: ignore[arg-type]


def test_normalize_entry_typical() -> None:
    e = normalize_entry(
        entry(author="<b>Équipe</b>", categories=("ECSI", " Festisol ", "ECSI")),
        feed_url=FEED,
        seen_at=SEEN,
    )
    assert e.guid == "https://cooperation.example.org/?p=1201"
    assert e.url == "https://cooperation.example.org/festisol"
    assert e.link == "https://cooperation.example.org/festisol?utm_source=rss"
    assert e.title == "Festival des Solidarités 2026"
    assert e.summary == "Du 13 au 29 novembre."
    assert e.published == datetime(2026, 11, 16, 8, 30, tzinfo=UTC)
    assert e.published.tzinfo is UTC
    assert e.dated is True
    assert e.author == "Équipe"
    assert e.categories == ("ECSI", "Festisol")


def test_normalize_entry_without_date_uses_seen_at() -> None:
    e = normalize_entry(entry(published=None), feed_url=FEED, seen_at=SEEN)
    assert (e.published, e.dated) == (SEEN, False)


def test_normalize_entry_falls_back_to_updated() -> None:
    updated = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    e = normalize_entry(entry(published=None, updated=updated), feed_url=FEED, seen_at=SEEN)
    assert (e.published, e.dated) == (updated, True)


def test_normalize_entry_naive_dates_are_utc() -> None:
    e = normalize_entry(
        entry(published=datetime(2026, 11, 20, 10, 0)),
        feed_url=FEED,
        seen_at=datetime(2026, 11, 25, 12, 0),
    )
    assert e.published == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("published", "expected", "dated"),
    [
        (SEEN + timedelta(hours=23), SEEN + timedelta(hours=23), True),  # time-zone slack
        (SEEN + timedelta(days=1, seconds=1), SEEN, False),
        (datetime(2100, 1, 1, tzinfo=UTC), SEEN, False),
        (datetime(2001, 1, 1, tzinfo=UTC), datetime(2001, 1, 1, tzinfo=UTC), True),
    ],
)
def test_normalize_entry_clamps_future_dates(
    published: datetime, expected: datetime, dated: bool
) -> None:
    e = normalize_entry(entry(published=published), feed_url=FEED, seen_at=SEEN)
    assert (e.published, e.dated) == (expected, dated)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (entry(guid="  urn:uuid:1234 \n"), "urn:uuid:1234"),
        (entry(guid="id\x1b[31m-1"), "id-1"),
        (entry(guid=""), "https://cooperation.example.org/festisol"),
        (entry(guid="", link="/festisol?utm_medium=x"), "https://cooperation.example.org/festisol"),
    ],
)
def test_normalize_entry_guid(raw: RawEntry, expected: str) -> None:
    assert normalize_entry(raw, feed_url=FEED, seen_at=SEEN).guid == expected


def test_normalize_entry_guid_hashes_text_without_link() -> None:
    a = normalize_entry(entry(guid="", link=""), feed_url=FEED, seen_at=SEEN)
    b = normalize_entry(
        entry(guid="", link="", title="FESTIVAL des solidarites 2026"), feed_url=FEED, seen_at=SEEN
    )
    c = normalize_entry(entry(guid="", link="", title="Autre titre"), feed_url=FEED, seen_at=SEEN)
    assert a.guid.startswith("sha1:") and len(a.guid) == 5 + 40
    assert a.guid == b.guid  # folded: accents and case do not matter
    assert a.guid != c.guid


def test_normalize_entry_site_root_link_is_not_an_identity() -> None:
    # Some feeds link every item to their home page (corpus: lucasdelirium).
    e = normalize_entry(entry(guid="", link="https://www.example.it/"), feed_url=FEED, seen_at=SEEN)
    assert e.url == "https://www.example.it/"
    assert e.guid.startswith("sha1:")


def test_normalize_entry_caps_guid() -> None:
    e = normalize_entry(entry(guid="g" * 5000), feed_url=FEED, seen_at=SEEN)
    assert len(e.guid) == MAX_GUID


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (entry(title="<b>Gras</b> &amp; titre"), "Gras & titre"),
        (entry(title="1 < 2 et [bold]x[/bold]"), "1 < 2 et [bold]x[/bold]"),
        (entry(title="  Titre\n\tsur   deux lignes "), "Titre sur deux lignes"),
        (entry(title="<p>Un</p><p>Deux</p>"), "Un Deux"),
        (entry(title="\x1b[31mRouge\x1b[0m"), "Rouge"),
        (entry(title="", summary="<p>Court résumé.</p>"), "Court résumé."),
        (
            entry(
                title="",
                summary="un deux trois quatre cinq six sept huit neuf dix onze douze "
                "treize quatorze",
            ),
            "un deux trois quatre cinq six sept huit neuf dix onze douze…",
        ),
        (
            entry(title="", summary="", link="https://ex.org/actu/festival-des-solidarites.html"),
            "festival des solidarites",
        ),
        (entry(title="", summary="", link="https://ex.org/"), UNTITLED),
        (entry(title="", summary="", link=""), UNTITLED),
        (entry(title="<script>x()</script>", summary="Le vrai texte."), "Le vrai texte."),
    ],
)
def test_normalize_entry_title(raw: RawEntry, expected: str) -> None:
    assert normalize_entry(raw, feed_url=FEED, seen_at=SEEN).title == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (entry(summary="", content="<p>Contenu <em>complet</em></p>"), "Contenu complet"),
        (entry(summary="Résumé", content="<p>Contenu</p>"), "Résumé"),
        (entry(summary="<p>Un</p><script>x()</script><p>Deux</p>"), "Un\n\nDeux"),
        (entry(summary="", content=""), ""),
        (entry(summary="<p>&nbsp;</p>", content="<p>Le contenu</p>"), "Le contenu"),
    ],
)
def test_normalize_entry_summary(raw: RawEntry, expected: str) -> None:
    assert normalize_entry(raw, feed_url=FEED, seen_at=SEEN).summary == expected


@pytest.mark.parametrize(
    ("link", "expected_link", "expected_url"),
    [
        (
            "/actu/x#top",
            "https://cooperation.example.org/actu/x#top",
            "https://cooperation.example.org/actu/x",
        ),
        ("javascript:alert(1)", "", ""),
        ("data:text/html,<script>", "", ""),
        ("mailto:a@example.org", "", ""),
        (" https://ex.org/a b ", "https://ex.org/a%20b", "https://ex.org/a%20b"),
        ("https://ex.org/" + "a" * 9000, "", ""),
    ],
)
def test_normalize_entry_link(link: str, expected_link: str, expected_url: str) -> None:
    e = normalize_entry(entry(link=link), feed_url=FEED, seen_at=SEEN)
    assert (e.link, e.url) == (expected_link, expected_url)


def test_normalize_entry_caps() -> None:
    words = " ".join(["solidarité"] * 2000)
    e = normalize_entry(
        entry(
            title=words,
            summary=f"<p>{words}</p>",
            author="x" * 1000,
            categories=tuple(f"catégorie {i} " + "y" * 200 for i in range(100)),
        ),
        feed_url=FEED,
        seen_at=SEEN,
    )
    assert len(e.title) <= MAX_TITLE and e.title.endswith("solidarité…")
    assert len(e.summary) <= MAX_SUMMARY and e.summary.endswith("solidarité…")
    assert len(e.author) <= MAX_AUTHOR
    assert len(e.categories) == MAX_CATEGORIES
    assert all(len(c) <= MAX_CATEGORY for c in e.categories)


@given(
    st.builds(
        RawEntry,
        title=st.text(max_size=60),
        link=st.text(max_size=40) | urls(),
        guid=st.text(max_size=20),
        summary=st.text(max_size=200),
        content=st.text(max_size=50),
        published=st.none() | st.datetimes(timezones=st.just(UTC)),
        author=st.text(max_size=20),
        categories=st.lists(st.text(max_size=20), max_size=5).map(tuple),
    )
)
def test_normalize_entry_invariants(raw: RawEntry) -> None:
    e = normalize_entry(raw, feed_url=FEED, seen_at=SEEN)
    assert e.guid and e.title
    assert e.published.utcoffset() == timedelta(0)
    assert e.published <= SEEN + timedelta(days=1)
    assert canonical_url(e.url) == e.url
    for text in (e.guid, e.url, e.link, e.title, e.summary, e.author, *e.categories):
        assert not any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in text)
    assert "\n" not in e.title + e.author + e.guid
