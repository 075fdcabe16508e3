"""A store prepared through the real store API for the digest tests: week 2026-W48 (23–29
November 2026) with French and English items, several tags, both scopes, notes by members of
both networks, an untagged item, a hostile item, and items that must stay out of the digest."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import Workspace
from watchcli.config import Config, load_config
from watchcli.models import Entry
from watchcli.store import Store

WEEK = "2026-W48"
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # the Monday morning after week 48
MESSAGE_ID = "<digest-2026-w48@example.org>"
BOUNDARY = "===============golden-boundary=="
PASSWORD = "correct horse battery staple"

SOURCES: list[dict[str, object]] = [
    {
        "id": "coordination-sud",
        "name": "Coordination SUD",
        "url": "https://www.coordinationsud.org/feed/",
        "network": "resacoop",
        "scope": "national",
        "lang": "fr",
    },
    {
        "id": "afd",
        "name": "Agence française de développement",
        "url": "https://www.afd.fr/fr/rss.xml",
        "network": "cerapcoop",
        "scope": "national",
        "lang": "fr",
    },
    {
        "id": "reliefweb",
        "name": "ReliefWeb",
        "url": "https://reliefweb.int/updates/rss.xml",
        "network": "resacoop",
        "scope": "international",
        "lang": "en",
    },
    {
        "id": "onu-info",
        "url": "https://news.un.org/feed/subscribe/fr/news/all/rss.xml",
        "network": "cerapcoop",
        "scope": "international",
        "lang": "fr",
    },
]

TABLES = """
[tags]
ecsi = "Éducation à la citoyenneté et à la solidarité internationale"
ssi = "Semaine de la solidarité internationale"
apd = "Aide publique au développement"
humanitaire = "Action humanitaire"
climat = "Climat"

[digest]
title = "Veille mutualisée CERAPCOOP – RESACOOP"
locale = "{locale}"
{templates}
[email]
host = "127.0.0.1"
port = {port}
starttls = {starttls}
ssl = {ssl}
from = "Veille mutualisée <veille@example.org>"
to = ["cerapcoop@example.org", "resacoop@example.org"]
{username}
"""

HOSTILE_TITLE = (
    "<script>alert(1)</script> <img src=x onerror=alert(1)> [bold red]Urgent[/bold red] "
    "[clic](javascript:alert(1)) ](javascript:alert(5)) *gras* `code` # pas un titre"
)
HOSTILE_NOTE = (
    '<a href="javascript:alert(2)" onclick="alert(3)">lien</a> [x](javascript:alert(4)) '
    "\x1b[31mrouge\x1b[0m \x1b]8;;http://evil.example/\x07piège\x1b]8;;\x07 [bold]gras[/bold]"
)


@dataclass
class Story:
    title: str
    url: str
    sources: list[str]
    tags: list[str] = field(default_factory=list)
    status: str = "selected"
    by: str = "camille"
    notes: list[tuple[str, str]] = field(default_factory=list)
    published: datetime = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    first_seen: datetime = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    handled_at: datetime = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def d(day: int, hour: int = 9, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


STORIES: dict[str, Story] = {
    "festisol": Story(
        "Festisol 2026 : plus de 1 200 animations dans toute la France",
        "https://www.festivaldessolidarites.org/actualites/festisol-2026",
        ["coordination-sud", "afd"],
        tags=["ssi", "ecsi"],
        notes=[("lea", "À relayer dans la lettre de décembre.")],
        published=d(23, 8),
        first_seen=d(23, 9),
        handled_at=d(23, 11),
    ),
    "plf": Story(
        "PLF 2027 : l'aide publique au développement de nouveau sacrifiée",
        "https://www.coordinationsud.org/actualite/plf-2027-apd-sacrifiee/",
        ["coordination-sud"],
        tags=["apd"],
        by="lea",
        notes=[
            ("hugo", "Chiffres à reprendre pour le plaidoyer régional."),
            ("lea", "Voir aussi l'analyse de Focus 2030 & le rapport du Sénat (p. 12)."),
        ],
        published=d(25, 7),
        first_seen=d(25, 8),
    ),
    "haiti": Story(
        "Haiti: Hurricane Paulette – Flash Update No. 2",
        "https://reliefweb.int/report/haiti/haiti-hurricane-paulette-flash-update-no-2",
        ["reliefweb"],
        tags=["humanitaire"],
        by="hugo",
        published=d(27, 6),
        first_seen=d(27, 7),
        handled_at=d(27, 9),
    ),
    "soudan": Story(
        "Soudan : l'ONU réclame une trêve humanitaire au Kordofan",
        "https://news.un.org/fr/story/2026/11/1160350",
        ["onu-info"],
        tags=["humanitaire"],
        by="malik",
        published=d(26, 15),
        first_seen=d(26, 16),
        handled_at=d(28, 10),
    ),
    "ouragan": Story(
        "Ouragan Paulette : l'AFD débloque 3 millions d'euros d'aide d'urgence pour Haïti",
        "https://www.afd.fr/fr/actualites/ouragan-paulette-aide-urgence-haiti",
        ["afd"],
        tags=["humanitaire"],
        published=d(27, 12),
        first_seen=d(27, 13),
        handled_at=d(29, 18),
    ),
    "barometre": Story(
        "Baromètre 2026 : 68 % des Français favorables à l'aide au développement",
        "https://www.afd.fr/fr/actualites/barometre-2026",
        ["afd"],
        published=d(24, 10),
        first_seen=d(24, 11),
    ),
    "hostile": Story(
        HOSTILE_TITLE,
        "javascript:alert(1)",
        ["onu-info"],
        tags=["climat"],
        by="lea",
        notes=[("malik", HOSTILE_NOTE)],
        published=d(26, 9),
        first_seen=d(26, 10),
    ),
    # Out of the week's digest: still new (only with --all), discarded, selected the week
    # before, selected the week after.
    "new": Story(
        "La Région lance un appel à projets ECSI de 500 000 euros",
        "https://www.afd.fr/fr/actualites/region-appel-ecsi",
        ["afd"],
        tags=["ecsi"],
        status="new",
        published=d(28, 8),
        first_seen=d(28, 9),
    ),
    "discarded": Story(
        "Offre d'emploi : chargé·e de plaidoyer (CDI, Paris)",
        "https://www.coordinationsud.org/offre-emploi/plaidoyer/",
        ["coordination-sud"],
        status="discarded",
        by="lea",
    ),
    "last-week": Story(
        "COP30 : bilan des négociations",
        "https://news.un.org/fr/story/2026/11/cop30-bilan",
        ["onu-info"],
        tags=["climat"],
        published=d(18),
        first_seen=d(18),
        handled_at=d(20),
    ),
    "next-week": Story(
        "Sahel : 45 millions d'euros pour l'eau potable",
        "https://www.afd.fr/fr/actualites/sahel-eau-potable",
        ["afd"],
        tags=["humanitaire"],
        published=d(29),
        first_seen=d(29, 12),
        handled_at=d(30, 8),
    ),
}

IN_DIGEST = ("festisol", "plf", "haiti", "soudan", "ouragan", "barometre", "hostile")


def write_config(
    workspace: Workspace,
    *,
    locale: str = "fr_FR",
    port: int = 2525,
    starttls: bool = False,
    ssl: bool = False,
    username: str | None = "veille",
    templates: Path | None = None,
) -> Config:
    extra = TABLES.format(
        locale=locale,
        port=port,
        starttls=str(starttls).lower(),
        ssl=str(ssl).lower(),
        username=f'username = "{username}"' if username else "",
        templates=f'templates = "{templates.as_posix()}"\n' if templates else "",
    )
    return load_config(workspace.write_config(SOURCES, extra=extra))


def entry(story: Story, n: int) -> Entry:
    return Entry(
        guid=f"{story.url}#{n}",
        url=story.url,
        link=story.url,
        title=story.title,
        summary="",
        published=story.published,
        dated=True,
    )


def fill_store(path: Path, config: Config) -> dict[str, int]:
    """The stories in the store at `path`; their ids by key."""
    ids: dict[str, int] = {}
    with Store.open(path) as store:
        store.sync_sources(config.sources)
        for key, story in STORIES.items():
            first = config.source(story.sources[0])
            assert first is not None
            with store.write():
                item = store.insert_item(
                    entry(story, 0), first, lang=first.lang, now=story.first_seen
                )
                for n, source_id in enumerate(story.sources):
                    store.insert_sighting(
                        item,
                        source_id,
                        entry(story, n),
                        url_key=None,
                        content_hash=f"c{n}",
                        how="new" if n == 0 else "url",
                        score=None,
                        now=story.first_seen,
                    )
            for tag in story.tags:
                store.add_tag(item, tag, by=story.by, now=story.first_seen)
            if story.status != "new":
                store.set_status(item, story.status, by=story.by, now=story.handled_at)
            for by, text in story.notes:
                store.add_note(item, text, by=by, now=story.handled_at)
            ids[key] = item
    return ids
