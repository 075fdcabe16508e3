"""`watchcli demo`: the real fetch, against sample feeds served from a loopback HTTP server.

The sample feeds live in `watchcli/demo/feeds/`; their dates are written as placeholders
(`{{ago 3 d 10:15 rfc822}}`) filled in when the server starts, so the demo always shows a
fresh week. The server answers conditional requests, so the second fetch shows 304s.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import ClassVar

from rich.console import Console
from rich.markdown import Markdown
from rich.rule import Rule

from watchcli import services
from watchcli.config import Config, load_config
from watchcli.dates import utcnow
from watchcli.digest import render_digest
from watchcli.ingest import FetchRun
from watchcli.models import ItemFilter, RunSummary
from watchcli.publish import compose_digest, digest_request
from watchcli.store import Store
from watchcli.views import items_table

PLACEHOLDER = re.compile(rb"\{\{ago (\d+) d (\d\d):(\d\d) (rfc822|iso)\}\}")
CONTENT_TYPES = {
    ".xml": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".json": "application/feed+json",
    ".html": "text/html; charset=utf-8",
}
DEMO_MEMBER = "camille"

# What the demo's analysts do with the week's stories before the digest: (canonical URL, who
# selects it, tags, note). CERAPCOOP is camille and hugo, RESACOOP lea and malik.
DEMO_TRIAGE: tuple[tuple[str, str, tuple[str, ...], tuple[str, str] | None], ...] = (
    (
        "https://www.coordinationsud.org/actualite/plf-2027-laide-publique-au-developpement-de-"
        "nouveau-sacrifiee/",
        "camille",
        ("apd",),
        ("lea", "Analyse de référence : à relayer dans la lettre de décembre."),
    ),
    (
        "https://www.afd.fr/fr/actualites/agenda/appel-projets-fisong-2027",
        "lea",
        ("appels-a-projets",),
        ("camille", "Date limite le 15 janvier ; plusieurs membres sont intéressés."),
    ),
    (
        "https://www.festivaldessolidarites.org/actualites/region-auvergne-rhone-alpes-appel-a-"
        "projets-ecsi-2027",
        "camille",
        ("ecsi", "appels-a-projets"),
        ("hugo", "La Région nous a demandé de relayer l'appel."),
    ),
    (
        "https://www.festivaldessolidarites.org/actualites/festisol-2026-le-programme-est-en-ligne",
        "lea",
        ("ssi",),
        None,
    ),
    (
        "https://www.ritimo.org/Kit-ECSI-comprendre-les-migrations-en-dix-questions",
        "malik",
        ("ecsi", "migrations"),
        None,
    ),
    (
        "https://www.afd.fr/fr/actualites/ouragan-paulette-afd-debloque-3-millions-euros-aide-"
        "urgence-haiti",
        "hugo",
        ("humanitaire",),
        None,
    ),
    (
        "https://reliefweb.int/report/haiti/haiti-hurricane-paulette-flash-update-no-2",
        "lea",
        ("humanitaire",),
        None,
    ),
    (
        "https://news.un.org/fr/story/2026/11/1160412",
        "malik",
        ("climat",),
        ("malik", "À suivre jusqu'à la clôture de la COP31."),
    ),
    (
        "https://www.afd.fr/fr/actualites/agenda/ficol-2027-appel-collectivites-territoriales",
        "camille",
        ("cooperation-decentralisee", "appels-a-projets"),
        None,
    ),
)
DEMO_DISCARDED = "https://www.coordinationsud.org/offre-emploi/"  # job offers: lea discards them


def fill_dates(body: bytes, now: datetime) -> bytes:
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)

    def replace(match: re.Match[bytes]) -> bytes:
        days, hour, minute, style = match.groups()
        when = today - timedelta(days=int(days)) + timedelta(hours=int(hour), minutes=int(minute))
        when = min(when, now)  # "0 d 23:00" must not lie in the future
        text = format_datetime(when) if style == b"rfc822" else when.isoformat()
        return text.encode("ascii")

    return PLACEHOLDER.sub(replace, body)


def load_feeds(now: datetime) -> dict[str, bytes]:
    """The sample feeds by URL path, dates filled in."""
    folder = files("watchcli").joinpath("demo", "feeds")
    return {
        f"/feeds/{entry.name}": fill_dates(entry.read_bytes(), now)
        for entry in folder.iterdir()
        if entry.is_file()
    }


class _Handler(BaseHTTPRequestHandler):
    feeds: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.feeds.get(self.path)
        if body is None:
            self.send_error(404)
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        suffix = Path(self.path).suffix
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPES.get(suffix, "application/octet-stream"))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the demo prints its own story


@contextmanager
def serve_feeds(feeds: dict[str, bytes]) -> Iterator[str]:
    """Serve `feeds` on 127.0.0.1 on a free port; yields the base URL."""
    handler = type("DemoHandler", (_Handler,), {"feeds": feeds})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write_demo_config(path: Path, base_url: str, store_path: Path) -> Path:
    """The demo's sources.toml, its [store] pointing at `store_path`."""
    template = files("watchcli").joinpath("demo", "sources.toml").read_text("utf-8")
    text = template.replace("{base_url}", base_url)
    header = (
        "# Written by `watchcli demo`: the sample feeds' server is gone once the demo ends, so\n"
        "# `fetch` fails here; every other command works on the demo store.\n"
    )
    text = f'{header}[store]\npath = "{store_path.resolve().as_posix()}"\n\n' + text
    path.write_text(text, encoding="utf-8")
    return path


def _summary_line(summary: RunSummary) -> str:
    return (
        f"{summary.sources} sources: {summary.ok} fetched, {summary.not_modified} unchanged, "
        f"{summary.failed} failed · {summary.new_items} new items, "
        f"{summary.new_sightings} merged sightings"
        + (f", {summary.filtered} filtered out" if summary.filtered else "")
    )


def run_demo(out: Console, err: Console, *, db: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="watchcli-demo-") as tmp:
        folder = Path(tmp)
        store_path = db or folder / "watch.db"
        now = utcnow()
        with serve_feeds(load_feeds(now)) as base_url:
            # With --db, the configuration stays next to the store, so that the analysts'
            # commands (which need the networks and the vocabulary) work on it afterwards.
            config_path = write_demo_config(
                folder / "sources.toml" if db is None else services.demo_config_path(db),
                base_url,
                store_path,
            )
            config = load_config(config_path)
            out.print(Rule("watchcli demo"))
            out.print(
                f"Serving {len(config.sources)} sample feeds on {base_url}; "
                f"store: {'temporary' if db is None else store_path}",
                markup=False,
            )
            with Store.open(store_path) as store:
                out.print("\n[bold]1. First fetch[/bold]: every feed is new.")
                first = FetchRun(store, config).run()
                out.print(_summary_line(first), markup=False)
                for error in first.errors:
                    out.print(f"  {error['source']}: {error['error']}", markup=False, style="red")
                out.print(
                    "\n[bold]2. Second fetch[/bold]: the server answers 304 Not Modified; "
                    "nothing is stored twice."
                )
                second = FetchRun(store, config).run()
                out.print(_summary_line(second), markup=False)
                items = store.list_items(ItemFilter(limit=25))
                total = store.count_items()
                out.print(f"\n[bold]3. The inbox[/bold]: {total} items, newest first (25 shown).")
                out.print(items_table(items, width=out.width))
                selected = triage(store, now)
                out.print(
                    f"\n[bold]4. Triage[/bold]: camille and hugo (CERAPCOOP), lea and malik "
                    f"(RESACOOP) select {selected} stories, tag them and add notes."
                )
                out.print(
                    "\n[bold]5. The digest[/bold] of this week (`watchcli digest --week this`):\n"
                )
                show_digest(out, store, config, now)
        if db is None:
            out.print(
                "\nThe demo store was temporary. Keep one to explore with "
                "`watchcli demo --db demo.db`, then `watchcli --db demo.db list`, or "
                "`watchcli --db demo.db digest --week this --format html -o digest.html`.",
                markup=False,
            )
        else:
            out.print(
                f"\nExplore it as camille (CERAPCOOP): watchcli --db {db} --as camille list"
                f" · … show ID · … claim ID · … select ID · … stats · "
                "… digest --week this --format html -o digest.html",
                markup=False,
            )
            out.print(
                f"\nTriage it full-screen (? lists the keys, q quits):\n"
                f"  watchcli --db {db} --as camille triage",
                markup=False,
            )


def triage(store: Store, now: datetime) -> int:
    """The demo analysts' work on the week's stories; how many items they selected."""
    by_url = {item["url"]: item["id"] for item in store.list_items(ItemFilter())}
    selected = 0
    for url, who, tags, note in DEMO_TRIAGE:
        item_id = by_url.get(url)
        if item_id is None:  # a sample feed changed: the demo goes on without this story
            continue
        store.set_status(item_id, "selected", by=who, now=now)
        for tag in tags:
            store.add_tag(item_id, tag, by=who, now=now)
        if note:
            store.add_note(item_id, note[1], by=note[0], now=now)
        selected += 1
    for url, item_id in by_url.items():
        if url.startswith(DEMO_DISCARDED):
            store.set_status(item_id, "discarded", by="lea", now=now)
    return selected


def show_digest(out: Console, store: Store, config: Config, now: datetime) -> None:
    """This week's digest in Markdown, rendered for the terminal: titles are links where the
    terminal supports them; the text is escaped Markdown, so nothing from a feed is markup."""
    request = digest_request(
        config, week="this", since=None, until=None, network=None, include_all=False, now=now
    )
    digest = compose_digest(store, config, request, now=now)
    markdown = render_digest(digest, "markdown", templates=config.digest.templates)
    out.print(Markdown(markdown), width=min(out.width, 100))
