"""`sources add`, `sources import-opml`, `sources export-opml` against a real sources.toml, the
real OPML files of ../shared/corpus/opml, and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from tests.conftest import CORPUS, REPO, Workspace, rss
from tests.feedserver import FeedServer
from watchcli.config import load_config
from watchcli.opml import OpmlError, read_opml

OPML_FILES = sorted((CORPUS / "opml").glob("*.opml")) if (CORPUS / "opml").is_dir() else []

NESTED = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<opml version="1.0"><head><title>t</title></head><body>
  <outline text="Solidarit\xe9">
    <outline text="Afrique">
      <outline text="Afrique Exemple" xmlUrl="https://afrique.example.org/rss.xml"/>
    </outline>
    <outline text="ONG Exemple" xmlUrl="https://ong.example.org/feed" category="/ONG,/Plaid/APD"/>
  </outline>
  <outline text="Repeat" xmlUrl="https://www.coordinationsud.org/feed/"/>
  <outline text="Repeat" xmlUrl="HTTPS://ONG.example.org/feed"/>
  <outline text="Bad" xmlUrl="ftp://example.org/feed"/>
  <outline text="News &amp; Headlines" xmlUrl="https://example.org/rss?a=1&b=2"/>
</body></opml>"""


def shipped_config(ws: Workspace) -> Path:
    """The repository's own sources.toml, comments and all, with the store in the workspace."""
    shutil.copy(REPO / "sources.toml", ws.config)
    return ws.config


def test_nested_outlines_folders_and_categories() -> None:
    feeds = read_opml(NESTED)
    assert [(f.title, f.categories) for f in feeds] == [
        ("Afrique Exemple", ("Afrique",)),
        ("ONG Exemple", ("Solidarité", "ONG", "APD")),
        ("Repeat", ()),
        ("Repeat", ()),
        ("Bad", ()),
        ("News & Headlines", ()),
    ]
    assert feeds[-1].url == "https://example.org/rss?a=1&b=2"  # a bare & read as meant
    with pytest.raises(OpmlError, match="line 1"):
        read_opml(b"<opml><body><outline</body>")
    with pytest.raises(OpmlError, match="not <opml>"):
        read_opml(b"<rss/>")


def test_import_opml_adds_tags_reports_duplicates_and_keeps_comments(
    workspace: Workspace,
) -> None:
    config = shipped_config(workspace)
    before = config.read_text(encoding="utf-8")
    opml = workspace.folder / "list.opml"
    opml.write_bytes(NESTED)
    result = workspace.run("sources", "import-opml", str(opml), "--network", "resacoop")
    assert result.returncode == 0, result.stderr
    assert "skipped ftp://example.org/feed: invalid URL" in result.stderr
    assert "https://www.coordinationsud.org/feed/: already the source 'coordination-sud'" in (
        result.stderr
    )
    assert "HTTPS://ONG.example.org/feed: already the source 'ong-exemple'" in result.stderr
    assert "3 sources added, 1 new tags; 2 duplicates and 1 invalid URLs skipped" in result.stdout
    after = config.read_text(encoding="utf-8")
    assert all(line in after.splitlines() for line in before.splitlines())  # nothing lost
    assert after.count("#") == before.count("#")
    loaded = load_config(config)
    added = {s.id: s for s in loaded.sources[-3:]}
    assert added["afrique-exemple"].tags == ("afrique",)  # an existing label: its tag
    assert added["ong-exemple"].tags == ("solidarite", "ong", "apd")
    assert added["news-headlines"].network == "resacoop"
    assert {"solidarite": "Solidarité"}.items() <= loaded.tags.labels.items()
    assert workspace.run("sources", "check").returncode == 0
    again = workspace.run("sources", "import-opml", str(opml))
    assert "0 sources added" in again.stdout and config.read_text(encoding="utf-8") == after


@pytest.mark.skipif(not OPML_FILES, reason="../shared/corpus/opml is absent")
@pytest.mark.parametrize("path", OPML_FILES, ids=lambda p: p.name)
def test_the_real_opml_files_import_cleanly(workspace: Workspace, path: Path) -> None:
    shipped_config(workspace)
    feeds = read_opml(path.read_bytes())
    result = workspace.run("sources", "import-opml", str(path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    loaded = load_config(workspace.config)
    urls = {s.url for s in loaded.sources}
    wanted = {f.url for f in feeds if f.url.startswith(("http://", "https://"))}
    assert wanted <= urls
    exported = workspace.run("sources", "export-opml")
    assert exported.returncode == 0
    assert {f.url for f in read_opml(exported.stdout.encode())} == urls


def test_export_opml_reads_back_to_the_same_sources_and_tags(workspace: Workspace) -> None:
    shipped_config(workspace)
    out = workspace.folder / "out.opml"
    assert workspace.run("sources", "export-opml", "-o", str(out)).returncode == 0
    loaded = load_config(workspace.config)
    feeds = read_opml(out.read_bytes())
    assert [(f.url, f.categories) for f in feeds] == [(s.url, s.tags) for s in loaded.sources]
    assert [f.title for f in feeds] == [s.name or s.id for s in loaded.sources]


def test_sources_add_discovers_the_feed_of_a_page_and_refuses_it_twice(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    config = shipped_config(workspace)
    before = config.read_text(encoding="utf-8")
    feed_url = feed_server.put(
        "add-feed.xml",
        rss({"title": "Un article", "link": "https://e.org/1"}, title="Réseau Exemple"),
    )
    page = feed_server.put(
        "add-page.html",
        '<html><head><title>x</title><link rel="stylesheet" href="/s.css">'
        f'<link rel="alternate" type="application/rss+xml" href="{feed_url}"></head>'
        "<body>Accueil</body></html>",
        content_type="text/html; charset=utf-8",
    )
    result = workspace.run("sources", "add", page, "--network", "cerapcoop", "--tag", "ecsi")
    assert result.returncode == 0, result.stderr
    assert f"added source 'reseau-exemple': {feed_url} (found on {page})" in result.stdout
    after = config.read_text(encoding="utf-8")
    assert after.startswith(before.split("[[sources]]")[0])
    assert all(line in after.splitlines() for line in before.splitlines())
    added = tomllib.loads(after)["sources"][-1]
    assert added == {
        "id": "reseau-exemple",
        "url": feed_url,
        "name": "Réseau Exemple",
        "network": "cerapcoop",
        "tags": ["ecsi"],
    }
    for again in (page, feed_url):
        second = workspace.run("sources", "add", again)
        assert second.returncode == 1
        assert "is already the source 'reseau-exemple'" in second.stderr
        assert second.stderr.count("\n") == 1
    assert config.read_text(encoding="utf-8") == after


def test_sources_add_of_a_feed_url_and_of_pages_without_feeds(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    config = shipped_config(workspace)
    direct = workspace.run("sources", "add", feed_server.url("/feeds/atom.xml"))
    assert direct.returncode == 0, direct.stderr
    before = config.read_text(encoding="utf-8")
    bare = feed_server.put(
        "no-feed.html", "<html><body>Rien</body></html>", content_type="text/html"
    )
    cases = [
        (bare, 1, "is not a feed and its page advertises none"),
        (feed_server.url("/status/404"), 1, "cannot fetch"),
        ("ftp://example.org/x", 2, "not an http:// or https:// URL"),
    ]
    for url, code, message in cases:
        result = workspace.run("sources", "add", url)
        assert result.returncode == code, (url, result.stderr)
        assert message in result.stderr and result.stderr.count("\n") == 1
    unknown = workspace.run("sources", "add", bare, "--network", "nope")
    assert unknown.returncode == 2 and "unknown network 'nope'" in unknown.stderr
    assert config.read_text(encoding="utf-8") == before


def test_sources_add_takes_the_first_advertised_feed_that_reads(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    shipped_config(workspace)
    good = feed_server.put("add-second.xml", rss({"title": "x"}, title="Deuxième flux"))
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="{href}">'
        for href in (feed_server.url("/status/404"), good)
    )
    page = feed_server.put(
        "add-two.html", f"<html><head>{links}</head></html>", content_type="text/html"
    )
    result = workspace.run("sources", "add", page)
    assert result.returncode == 0, result.stderr
    assert f"added source 'deuxieme-flux': {good} (found on {page})" in result.stdout
    broken = feed_server.put(
        "add-broken.html",
        f'<html><head><link rel="alternate" type="application/atom+xml" '
        f'href="{feed_server.url("/status/404")}"></head></html>',
        content_type="text/html",
    )
    refused = workspace.run("sources", "add", broken)
    assert refused.returncode == 1 and "advertises no feed that reads" in refused.stderr


def test_sources_add_of_a_page_without_a_feed_prints_a_page_source_to_fill_in(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    """The skeleton, pasted into sources.toml, is a valid page source whose guessed selectors
    find the page's calls: the analyst starts from something that works."""
    config = shipped_config(workspace)
    html = (Path(__file__).parent / "pages" / "region-appels.html").read_text("utf-8")
    page = feed_server.put("appels-sans-flux.html", html, content_type="text/html")

    result = workspace.run("sources", "add", page)

    assert result.returncode == 1
    assert "advertises none" in result.stderr and result.stderr.count("\n") == 1
    assert 'kind = "page"' in result.stdout and "[sources.page]" in result.stdout
    config.write_text(config.read_text(encoding="utf-8") + "\n" + result.stdout, "utf-8")
    source_id = tomllib.loads(result.stdout)["sources"][0]["id"]
    checked = workspace.run("sources", "check", "--source", source_id)
    assert checked.returncode == 0, checked.stderr
    assert "Appel à projets ECSI 2027" in checked.stdout
    assert "Faux appel dans un script" not in checked.stdout
