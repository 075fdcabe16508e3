"""The triage screen: Textual's Pilot presses keys on the app the CLI starts (`create_app`),
then the tests read the store through the CLI (`show --json`, `list --json`)."""

from __future__ import annotations

import asyncio
import gettext
import io
import os
import re
import subprocess
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from rich.console import Console
from textual.pilot import Pilot

from tests.conftest import REPO, WATCHCLI, Workspace
from tests.teamwork import SOURCES, TAGS, FastWorkspace, entry, seed, setup, show
from watchcli.config import load_config
from watchcli.dates import iso, utcnow
from watchcli.ingest import Ingester
from watchcli.models import Entry
from watchcli.services import View
from watchcli.store import Store
from watchcli.tui import TriageApp, create_app


@pytest.fixture
def ws(workspace: Workspace) -> FastWorkspace:
    fast = FastWorkspace(workspace.folder)
    setup(fast)
    return fast


def screen(ws: Workspace, user: str = "camille", **options: Any) -> TriageApp:
    options.setdefault("languages", ["en"])
    options.setdefault("refresh_seconds", 0)
    return create_app(load_config(ws.config), ws.db, user, **options)


def drive(app: TriageApp, script: Callable[[Pilot], Awaitable[None]]) -> None:
    """Run the app at 80x24 while `script` presses keys; the app must end by itself (q)."""

    async def run() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await script(pilot)
            if app.return_code is None:  # still running: let the last key's work finish
                await pilot.pause()

    asyncio.run(run())


def keys_of(text: str) -> list[str]:
    """The key presses that type `text`."""
    return ["space" if ch == " " else ch for ch in text]


def rows(app: TriageApp) -> list[int]:
    return [item["id"] for item in app.items]


def message(app: TriageApp) -> str:
    return app.message


def screen_text(app: TriageApp) -> str:
    """The screen as plain text, one line per row (what `App.export_screenshot` renders)."""
    console = Console(width=80, height=24, file=io.StringIO(), record=True, color_system=None)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)


def history(ws: Workspace, item_id: int) -> list[tuple[str, str]]:
    return [(h["by"], h["action"]) for h in show(ws, item_id)["history"]]


def test_select_the_first_discard_the_second_then_quit(ws: FastWorkspace) -> None:
    now = utcnow()
    older, newer = seed(
        ws,
        "cerap-feed",
        entry(1, "Older story", when=now - timedelta(hours=2)),
        entry(2, "Newer story", when=now - timedelta(hours=1)),
    )
    app = screen(ws)

    async def keys(pilot: Pilot) -> None:
        await pilot.press("s", "j", "d", "q")

    drive(app, keys)
    assert app.return_code == 0
    assert show(ws, newer)["status"] == "selected"  # newest first: the first row
    assert show(ws, older)["status"] == "discarded"
    assert history(ws, newer) == [("camille", "selected")]
    assert history(ws, older) == [("camille", "discarded")]


def test_the_demo_ends_by_naming_the_triage_screen_on_its_store(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(WATCHCLI), "demo", "--db", "demo.db"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().splitlines()[-1].strip() == (
        "watchcli --db demo.db --as camille triage"
    )
    # The store brings its configuration: camille is a member there, with a queue.
    listing = subprocess.run(
        [str(WATCHCLI), "--db", "demo.db", "--as", "camille", "list", "--limit", "3"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
        cwd=tmp_path,
    )
    assert listing.returncode == 0, listing.stderr
    assert "camille (cerapcoop): your queue first" in listing.stdout
    # Without a terminal, the screen says so in one line (exit 2), after finding the config.
    triage = subprocess.run(
        [str(WATCHCLI), "--db", "demo.db", "--as", "camille", "triage"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )
    assert (triage.returncode, triage.stderr) == (
        2,
        "watchcli: triage is a full-screen app: run it in a terminal\n",
    )


def test_a_refused_claim_says_who_holds_the_item_and_changes_nothing(ws: FastWorkspace) -> None:
    (item,) = seed(ws, "neutral", entry(1, "Shared story"))
    assert ws.run("claim", str(item), user="lea").returncode == 0
    app = screen(ws, "camille")

    async def keys(pilot: Pilot) -> None:
        app.set_view(View(network="resacoop"))  # lea's item is not in camille's queue
        await pilot.press("c", "s")
        assert "held by lea (resacoop)" in message(app)
        await pilot.press("q")

    drive(app, keys)
    item_now = show(ws, item)
    assert (item_now["assignee"], item_now["status"]) == ("lea", "new")
    assert history(ws, item) == [("lea", "claim")]


def test_marked_items_are_selected_together_and_undo_reopens_them(ws: FastWorkspace) -> None:
    now = utcnow()
    ids = seed(
        ws,
        "cerap-feed",
        *(entry(n, f"Story {n}", when=now - timedelta(hours=n)) for n in (1, 2, 3)),
    )
    app = screen(ws)

    async def keys(pilot: Pilot) -> None:
        await pilot.press("space", "j", "space", "s")  # marks the 1st and 3rd rows
        assert [show(ws, i)["status"] for i in ids] == ["selected", "new", "selected"]
        await pilot.press("u", "q")

    drive(app, keys)
    assert [show(ws, i)["status"] for i in ids] == ["new", "new", "new"]
    assert history(ws, ids[0]) == [("camille", "selected"), ("camille", "reopened")]
    assert history(ws, ids[1]) == []


def test_tag_picker_completes_fuzzily_and_tags_then_untags(ws: FastWorkspace) -> None:
    (item,) = seed(ws, "cerap-feed", entry(1))
    app = screen(ws)

    async def keys(pilot: Pilot) -> None:
        await pilot.press("t", *"afq", "enter")  # "afq" is only close to "afrique"
        assert show(ws, item)["tags"] == ["afrique"]
        await pilot.press("t", *"afrique", "enter")  # again: untags
        assert show(ws, item)["tags"] == []
        await pilot.press("t", "escape", "q")

    drive(app, keys)
    assert history(ws, item) == [("camille", "tag"), ("camille", "untag")]


def test_assign_claim_and_note(ws: FastWorkspace) -> None:
    now = utcnow()
    first, second = seed(
        ws,
        "neutral",
        entry(1, "First", when=now - timedelta(hours=1)),
        entry(2, "Second", when=now - timedelta(hours=2)),
    )
    app = screen(ws)

    async def keys(pilot: Pilot) -> None:
        await pilot.press("a", *"malik", "enter")
        await pilot.press("j", "c", "n", *keys_of("A relayer"), "enter", "q")

    drive(app, keys)
    assert (show(ws, first)["assignee"], show(ws, first)["network"]) == ("malik", "resacoop")
    assert show(ws, second)["assignee"] == "camille"
    assert [(n["by"], n["text"]) for n in show(ws, second)["notes"]] == [("camille", "A relayer")]


def test_merge_the_marked_items_then_split_a_sighting_off(ws: FastWorkspace) -> None:
    now = utcnow()
    (keep,) = seed(ws, "cerap-feed", entry(1, "Same story", when=now - timedelta(hours=1)))
    seed(ws, "neutral", entry(2, "Other words", when=now - timedelta(hours=2)))
    app = screen(ws)

    async def keys(pilot: Pilot) -> None:
        await pilot.press("m")  # nothing marked: says how
        assert "Mark two items" in message(app)
        await pilot.press("space", "space", "k", "k", "m", "enter")  # cursor on keep: yes
        merged = show(ws, keep)
        assert [s["source"] for s in merged["sightings"]] == ["cerap-feed", "neutral"]
        await pilot.press("x", "down", "enter", "q")

    drive(app, keys)
    split = show(ws, keep)
    assert [s["source"] for s in split["sightings"]] == ["cerap-feed"]
    assert [h["action"] for h in split["history"]] == ["merge", "split"]
    new_id = int(message(app).rsplit("#", 1)[1])  # "sighting #S is now item #N"
    assert [s["source"] for s in show(ws, new_id)["sightings"]] == ["neutral"]


def test_search_ignores_accents_and_filter_by_status(ws: FastWorkspace) -> None:
    now = utcnow()
    plain, accented = seed(
        ws,
        "cerap-feed",
        entry(1, "Budget de l'aide", when=now - timedelta(hours=1)),
        entry(2, "Semaine", "La Solidarité internationale", when=now - timedelta(hours=2)),
    )
    app = screen(ws)

    async def keys(pilot: Pilot) -> None:
        await pilot.press("slash", *"solidarite", "enter")
        assert rows(app) == [accented]
        await pilot.press("s", "escape")
        assert rows(app) == [plain, accented]  # back to the queue; acted-on items stay
        await pilot.press("f", *"selec", "enter")
        assert rows(app) == [accented]
        await pilot.press("escape", "R")
        assert rows(app) == [plain]  # a reload drops what left the queue... not acted here
        await pilot.press("q")

    drive(app, keys)


def test_search_as_typed_with_the_filters_and_the_scope(workspace: Workspace) -> None:
    ws = FastWorkspace(workspace.folder)
    world = {"id": "world", "url": "https://world.example/feed", "scope": "international"}
    ws.write_config([*SOURCES, world], extra=TAGS)
    now = utcnow()
    ours, budget = seed(
        ws,
        "cerap-feed",
        entry(1, "Semaine de la Solidarité internationale", when=now - timedelta(hours=2)),
        entry(2, "Budget de l'aide", when=now - timedelta(hours=1)),
    )
    [theirs] = seed(ws, "resa-feed", entry(3, "Solidarités rurales", when=now - timedelta(hours=3)))
    [abroad] = seed(ws, "world", entry(4, "SOLIDARITE au Sahel", when=now - timedelta(hours=4)))
    app = screen(ws)

    async def keys(pilot: Pilot) -> None:
        await pilot.press("slash", *"solidar", "enter")  # the last word is a prefix
        assert rows(app) == [ours, abroad, theirs]  # camille's network, nobody's, another's
        await pilot.press("f", *"scope:inter", "enter")
        assert rows(app) == [abroad]
        await pilot.press("slash", "ctrl+u", *"solidarite", "enter")
        assert rows(app) == [abroad]
        await pilot.press("escape", "f", *"network:resa", "enter", "slash", *"solid", "enter")
        assert rows(app) == [theirs]
        await pilot.press("slash", "ctrl+u", *"-aide", "enter")
        assert rows(app) == []
        assert message(app) == "Nothing to search for: give a word (-word only leaves out)"
        await pilot.press("escape")
        assert rows(app) == [budget, ours, abroad]  # back to the queue
        await pilot.press("q")

    drive(app, keys)
    assert app.return_code == 0


def test_a_search_reaches_past_the_newest_items_and_says_when_it_was_cut(
    ws: FastWorkspace,
) -> None:
    [old] = seed(ws, "neutral", entry(1, "Solidarité", when=utcnow() - timedelta(days=900)))
    newer = [(f"Story {n}", iso(utcnow() - timedelta(minutes=n))) for n in range(10_001)]
    with Store.open(ws.db) as store, store.write():
        store.db.conn.executemany(
            "INSERT INTO items (title, published, first_seen, updated, status)"
            " VALUES (?, ?, ?, ?, 'new')",
            [(title, when, when, when) for title, when in newer],
        )
    app = screen(ws)

    async def keys(pilot: Pilot) -> None:
        await pilot.press("slash", *"solidar", "enter")
        assert rows(app) == [old]
        assert message(app) == ""
        await pilot.press("slash", "ctrl+u", *"story", "enter")
        assert len(rows(app)) == 500
        assert (
            message(app) == "Over 10000 matches: only the newest 10000 looked through; add a word"
        )
        await pilot.press("q")

    drive(app, keys)


def test_the_screen_shows_what_another_analyst_changed_on_refresh(ws: FastWorkspace) -> None:
    now = utcnow()
    first, second = seed(
        ws,
        "cerap-feed",
        entry(1, "First", when=now - timedelta(hours=1)),
        entry(2, "Second", when=now - timedelta(hours=2)),
    )
    app = screen(ws)

    async def keys(pilot: Pilot) -> None:
        assert rows(app) == [first, second]
        assert ws.run("discard", str(first), user="hugo").returncode == 0
        await pilot.press("R")
        assert rows(app) == [second]
        (third,) = seed(ws, "cerap-feed", entry(3, "Third", when=now))
        await pilot.press("R")
        assert rows(app) == [third, second]
        await pilot.press("q")

    drive(app, keys)


def test_feed_markup_and_escapes_are_shown_literally(ws: FastWorkspace) -> None:
    seed(ws, "cerap-feed", entry(1, "[bold red]URGENT[/bold red] \x1b[31mred\x1b[0m [link=x]y"))
    app = screen(ws)

    async def keys(pilot: Pilot) -> None:
        text = screen_text(app)
        assert "[bold red]URGENT[/bold red] red [link=x]y" in text
        assert "\x1b" not in text
        await pilot.press("q")

    drive(app, keys)


# --- the layout at 80x24, in English and in French --------------------------------------------

GOLDEN = REPO / "tests" / "golden"
REGENERATE = os.environ.get("WATCHCLI_REGEN_GOLDEN") == "1"
NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def seed_at(ws: Workspace, source_id: str, *entries: Entry) -> None:
    """Store `entries` as `seed` does, but seen at NOON: the screen then shows fixed dates."""
    config = load_config(ws.config)
    source = config.source(source_id)
    assert source is not None
    with Store.open(ws.db) as store:
        store.sync_sources(config.sources)
        with store.write():
            Ingester(store, config).store_entries(source, entries, lang="fr", now=NOON)


def layout(ws: Workspace, languages: list[str] | None) -> str:
    seed_at(
        ws,
        "cerap-feed",
        entry(1, "Sahel : l'AFD engage 45 millions", "Un programme de trois ans.", NOON),
        entry(2, "[bold red]URGENT[/bold red] Pétition \x1b[31mrouge", "", NOON.replace(hour=9)),
    )
    seed_at(ws, "cerap-feed", entry(3, "Semaine de la solidarité internationale", "", NOON))
    seed_at(ws, "resa-feed", entry(3, "Semaine de la solidarité internationale", "", NOON))
    app = screen(ws, languages=languages, clock=lambda: NOON)
    captured: list[str] = []

    async def keys(pilot: Pilot) -> None:
        await pilot.press("c", "n", *keys_of("À relayer"), "enter", "t", *"ecsi", "enter")
        await pilot.press("j", "space", "k", "k")
        captured.append(screen_text(app))
        await pilot.press("q")

    drive(app, keys)
    return captured[0]


@pytest.mark.parametrize(("name", "languages"), [("en", ["en"]), ("fr", ["fr_FR"])])
def test_the_layout_at_80x24_matches_its_golden_file(
    ws: FastWorkspace, name: str, languages: list[str]
) -> None:
    text = layout(ws, languages)
    assert len(text.splitlines()) == 24
    assert max(len(line) for line in text.splitlines()) <= 80
    path = GOLDEN / f"triage-80x24.{name}.txt"
    if REGENERATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with WATCHCLI_REGEN_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def test_french_under_a_french_locale_english_otherwise(
    ws: FastWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    seed(ws, "cerap-feed", entry(1))
    found = {}
    for lang in ("fr_FR.UTF-8", "C.UTF-8", "en_GB.UTF-8"):
        monkeypatch.setenv("LANG", lang)
        app = screen(ws, languages=None)

        async def keys(pilot: Pilot, app: TriageApp = app, lang: str = lang) -> None:
            await pilot.press("question_mark")
            found[lang] = screen_text(app)
            await pilot.press("escape", "q")

        drive(app, keys)
    assert "annuler la dernière action" in found["fr_FR.UTF-8"]
    assert "File :" in found["fr_FR.UTF-8"]
    for lang in ("C.UTF-8", "en_GB.UTF-8"):
        assert "undo the last action" in found[lang]
        assert "Queue:" in found[lang]


def test_every_label_is_in_the_french_catalogue_and_the_mo_is_compiled_from_the_po() -> None:
    locale = REPO / "watchcli" / "locale"
    with open(locale / "fr" / "LC_MESSAGES" / "watchcli.po", "rb") as po_file:
        po = read_po(po_file)
    used = {
        message
        for _, _, message, _, _ in extract_from_dir(
            REPO / "watchcli", method_map=[("**.py", "python")]
        )
    }
    assert used, "no message found in the code"
    translated = {m.id: m.string for m in po if m.id and m.string and not m.fuzzy}
    assert used <= set(translated), f"untranslated: {sorted(used - set(translated))}"
    with open(locale / "fr" / "LC_MESSAGES" / "watchcli.mo", "rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)
    for msgid, msgstr in translated.items():
        assert compiled.gettext(msgid) == msgstr, f"stale .mo: pybabel compile (README) {msgid!r}"
    with open(locale / "watchcli.pot", "rb") as pot_file:
        assert {m.id for m in read_po(pot_file) if m.id} == used, "stale .pot: pybabel extract"


def test_undo_takes_back_a_tag_then_a_claim_in_turn(ws: FastWorkspace) -> None:
    (item,) = seed(ws, "neutral", entry(1))
    app = screen(ws)

    async def keys(pilot: Pilot) -> None:
        await pilot.press("c", "t", *"ecsi", "enter")
        assert (show(ws, item)["assignee"], show(ws, item)["tags"]) == ("camille", ["ecsi"])
        await pilot.press("u")
        assert (show(ws, item)["assignee"], show(ws, item)["tags"]) == ("camille", [])
        await pilot.press("u")
        assert (show(ws, item)["assignee"], show(ws, item)["network"]) == (None, None)
        await pilot.press("u")
        assert message(app) == "Nothing to undo."
        await pilot.press("q")

    drive(app, keys)
    assert [a for _, a in history(ws, item)] == ["claim", "tag", "untag", "unassign"]


def test_o_shows_the_url_and_opens_it_where_a_browser_exists(ws: FastWorkspace) -> None:
    seed(ws, "cerap-feed", entry(7))
    opened: list[str] = []
    app = screen(ws, open_browser=lambda url: opened.append(url) or True)

    async def keys(pilot: Pilot) -> None:
        await pilot.press("o", "q")

    drive(app, keys)
    assert opened == ["https://news.example/7"]
    assert message(app) == "https://news.example/7"


def test_the_timer_shows_what_a_fetch_stored_meanwhile(ws: FastWorkspace) -> None:
    (first,) = seed(ws, "cerap-feed", entry(1, when=utcnow() - timedelta(hours=1)))
    app = screen(ws, refresh_seconds=0.2)

    async def keys(pilot: Pilot) -> None:
        assert rows(app) == [first]
        (second,) = seed(ws, "cerap-feed", entry(2))
        await pilot.pause(0.6)
        assert rows(app) == [second, first]
        await pilot.press("q")

    drive(app, keys)


def test_a_bug_ends_the_screen_with_one_line_and_no_traceback(ws: FastWorkspace) -> None:
    seed(ws, "cerap-feed", entry(1))

    def broken(url: str) -> bool:
        raise RuntimeError("no browser after all")

    app = screen(ws, open_browser=broken)

    async def keys(pilot: Pilot) -> None:
        app.simulate_key("o")  # not pilot.press: it would wait for a screen that is gone
        for _ in range(100):
            if app.return_code is not None:
                break
            await asyncio.sleep(0.05)

    drive(app, keys)
    assert app.failure == "RuntimeError: no browser after all"
    assert app.return_code == 1


def test_no_color_makes_the_screen_monochrome(
    ws: FastWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(ws, "cerap-feed", entry(1))
    monkeypatch.setenv("NO_COLOR", "1")
    app = screen(ws)
    svg: list[str] = []

    async def keys(pilot: Pilot) -> None:
        svg.append(app.export_screenshot())
        await pilot.press("q")

    drive(app, keys)
    colours = set(re.findall(r"fill: #([0-9a-f]{6})", svg[0]))
    assert colours, "no colour found in the screenshot"
    # Greys only, and the exporter's default text colour (its terminal theme's foreground).
    colours.discard("c5c8c6")
    assert all(c[0:2] == c[2:4] == c[4:6] for c in colours), colours


def test_a_new_tag_is_offered_only_when_allow_other_is_set(ws: FastWorkspace) -> None:
    (item,) = seed(ws, "cerap-feed", entry(1))

    async def keys(pilot: Pilot) -> None:
        await pilot.press("t", *"cop30", "enter")
        await pilot.press("escape", "q")

    drive(screen(ws), keys)
    assert show(ws, item)["tags"] == []  # nothing offered: Enter picked nothing
    setup(ws, extra=TAGS + "allow_other = true\n")
    drive(screen(ws), keys)
    assert show(ws, item)["tags"] == ["cop30"]


def test_a_week_of_100_items_in_281_keystrokes(ws: FastWorkspace) -> None:
    """The README's count: 15 stories selected and tagged (`t`, three letters of the tag,
    Enter), 85 discarded, one note, each item one key to decide and one to move on."""
    now = utcnow()
    ids = seed(
        ws,
        "cerap-feed",
        *(entry(n, f"Story {n}", when=now - timedelta(minutes=n)) for n in range(100)),
    )
    keys: list[str] = []
    for n in range(100):
        if n % 7 == 0:  # 15 of them
            keys += ["s", "t", *"ecs", "enter"]
        else:
            keys += ["d"]
        keys += ["j"]
    keys[-1:] = ["n", *keys_of("voir"), "enter", "q"]  # a note on the last one, and quit
    app = screen(ws)

    async def press(pilot: Pilot) -> None:
        await pilot.press(*keys)

    drive(app, press)
    statuses = [show(ws, i)["status"] for i in ids]
    assert (statuses.count("selected"), statuses.count("discarded")) == (15, 85)
    assert show(ws, ids[0])["tags"] == ["ecsi"]
    assert [n["text"] for n in show(ws, ids[-1])["notes"]] == ["voir"]
    assert len(keys) == 281
