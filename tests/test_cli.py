"""The installed `watchcli`, run as a user (or cron) would: exit codes, stdout, stderr."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

from filelock import FileLock

from tests.conftest import WATCHCLI, Workspace
from tests.feedserver import FeedServer
from watchcli import __version__


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def test_version_and_python_m() -> None:
    result = subprocess.run([str(WATCHCLI), "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.strip() == f"watchcli {__version__}"
    module = subprocess.run(
        [str(WATCHCLI.with_name("python")), "-m", "watchcli", "--version"],
        capture_output=True,
        text=True,
    )
    assert module.stdout == result.stdout


def test_init_is_idempotent(workspace: Workspace) -> None:
    workspace.write_config([])
    for _ in range(2):
        result = workspace.run("init")
        assert result.returncode == 0, result.stderr
        assert "store ready" in result.stdout
    with sqlite3.connect(workspace.db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        applied = conn.execute("SELECT name FROM _sqlite_migrations").fetchall()
    assert len(applied) == len(set(applied))


def test_fetch_json_then_list_and_show(workspace: Workspace, feed_server: FeedServer) -> None:
    workspace.write_config(
        [
            {"id": "rss", "url": feed_server.url("/feeds/rss2.xml"), "network": "cerapcoop"},
            {"id": "atom", "url": feed_server.url("/feeds/atom.xml"), "network": "resacoop"},
        ]
    )
    result = workspace.run("fetch", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert {
        "sources",
        "ok",
        "not_modified",
        "failed",
        "new_items",
        "new_sightings",
        "errors",
    } <= summary.keys()
    assert (summary["sources"], summary["ok"], summary["failed"]) == (2, 2, 0)

    listed = workspace.run("list", "--json")
    items = json.loads(listed.stdout)
    assert len(items) == summary["new_items"]
    published = [item["published"] for item in items]
    assert published == sorted(published, reverse=True)
    first = items[0]
    for key in (
        "id",
        "title",
        "url",
        "published",
        "first_seen",
        "sources",
        "tags",
        "status",
        "assignee",
        "network",
        "scope",
        "lang",
    ):
        assert key in first
    assert first["published"].endswith("+00:00")

    shown = json.loads(workspace.run("show", str(first["id"]), "--json").stdout)
    assert shown["sightings"][0].keys() >= {"source", "url", "guid", "seen"}
    assert {"summary", "notes", "history"} <= shown.keys()

    table = workspace.run("list", "--limit", "3")
    assert table.returncode == 0
    assert str(first["id"]) in table.stdout


def test_fetch_exits_1_when_a_source_fails_and_quiet_prints_only_that(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    workspace.write_config(
        [
            {"id": "dead", "url": feed_server.url("/status/404")},
            {"id": "alive", "url": feed_server.url("/plain/rss2.xml?cli")},
        ]
    )
    result = workspace.run("fetch", "--quiet")
    assert result.returncode == 1
    assert result.stdout == ""
    assert one_line(result.stderr) == "dead: HTTP 404 Not Found"

    health = json.loads(workspace.run("sources", "list", "--json").stdout)
    by_id = {row["id"]: row for row in health}
    assert by_id["dead"]["health"] == "failing"
    assert by_id["dead"]["failures"] == 1
    assert by_id["dead"]["last_status"] == 404
    assert by_id["alive"]["health"] == "ok"
    assert by_id["alive"]["items"] > 0
    for key in (
        "id",
        "url",
        "network",
        "health",
        "last_status",
        "last_ok",
        "last_error",
        "failures",
        "items",
    ):
        assert key in by_id["dead"]


def test_a_second_fetch_exits_75_while_the_lock_is_held(workspace: Workspace) -> None:
    workspace.write_config([])
    with FileLock(str(workspace.db) + ".fetch.lock"):
        result = workspace.run("fetch")
    assert result.returncode == 75
    assert "another fetch is running" in one_line(result.stderr)


def test_bad_config_exits_2_with_file_and_line(workspace: Workspace) -> None:
    workspace.write_config([{"id": "x", "url": "https://example.org/feed", "colour": "red"}])
    for command in (["sources", "check"], ["fetch"]):
        result = workspace.run(*command)
        assert result.returncode == 2
        line = one_line(result.stderr)
        assert "sources.toml:" in line and "colour" in line
        assert "Traceback" not in result.stderr


def test_bad_config_never_costs_stored_data(workspace: Workspace, feed_server: FeedServer) -> None:
    workspace.write_config([{"id": "rss", "url": feed_server.url("/feeds/rss2.xml")}])
    assert workspace.run("fetch").returncode == 0
    before = json.loads(workspace.run("list", "--json").stdout)
    workspace.config.write_text(workspace.config.read_text() + "\n[[sources]\nbroken", "utf-8")
    assert workspace.run("fetch").returncode == 2
    assert json.loads(workspace.run("--db", str(workspace.db), "list", "--json").stdout) == before


def test_unknown_item_exits_1(workspace: Workspace) -> None:
    workspace.write_config([])
    result = workspace.run("show", "999")
    assert result.returncode == 1
    assert one_line(result.stderr) == "watchcli: no item 999; `watchcli list` shows the ids"


def test_unknown_source_and_bad_options_exit_2(workspace: Workspace) -> None:
    workspace.write_config([])
    result = workspace.run("fetch", "--source", "nope")
    assert result.returncode == 2
    assert "unknown source 'nope'" in one_line(result.stderr)
    assert workspace.run("list", "--since", "yesterday-ish").returncode == 2
    assert workspace.run("list", "--bogus").returncode == 2


def test_missing_explicit_config_is_a_usage_error(workspace: Workspace) -> None:
    result = workspace.run("--config", str(workspace.folder / "nope.toml"), "sources", "check")
    assert result.returncode == 2
    assert "nope.toml" in one_line(result.stderr)


def test_hostile_feed_text_reaches_the_terminal_inert(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    workspace.write_config([{"id": "hostile", "url": feed_server.url("/feeds/hostile.xml")}])
    workspace.run("fetch")
    shown = workspace.run("list", env={"TERM": "xterm-256color"})
    assert "\x1b]" not in shown.stdout  # no OSC (title, hyperlink) sequence from a feed
    assert "\u202e" not in shown.stdout
    for item in json.loads(workspace.run("list", "--json").stdout):
        detail = workspace.run("show", str(item["id"]))
        assert detail.returncode == 0
        assert "\x1b" not in detail.stdout


def test_killing_fetch_loses_nothing_committed_and_the_next_run_completes(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    fast = [
        {"id": f"fast{n}", "url": feed_server.url(f"/plain/rss2.xml?kill{n}")} for n in range(3)
    ]
    slow = [{"id": "slow", "url": feed_server.url("/slow/30/atom.xml")}]
    workspace.write_config(fast + slow)
    process = subprocess.Popen(
        [str(WATCHCLI), "--config", str(workspace.config), "fetch", "--quiet"],
        cwd=workspace.folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    committed = 0
    while time.monotonic() < deadline and committed < 3:
        time.sleep(0.1)
        try:
            with sqlite3.connect(f"file:{workspace.db}?mode=ro", uri=True, timeout=5) as conn:
                committed = conn.execute(
                    "SELECT count(*) FROM sources WHERE last_ok IS NOT NULL"
                ).fetchone()[0]
        except sqlite3.OperationalError:
            continue  # the store or its schema is not there yet
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert committed == 3

    with sqlite3.connect(workspace.db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        items = conn.execute("SELECT count(*) FROM items").fetchone()[0]
    assert items > 0

    workspace.write_config(fast)  # the lock died with the process: a new fetch runs
    again = workspace.run("fetch", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["new_items"] == 0


def test_the_fetching_process_leaves_parsing_to_its_workers(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    """The writer's process never loads feedparser or the page parser (12 MiB and 60 ms of
    its memory and start): the workers read the bodies, and the items are still stored."""
    workspace.write_config([{"id": "rss", "url": feed_server.url("/feeds/rss2.xml")}])
    probe = (
        "import sys\n"
        "from watchcli.cli import main\n"
        "sys.argv = ['watchcli', 'fetch', '--json']\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    parsers = ('feedparser', 'selectolax', 'watchcli.parse')\n"
        "    loaded = [m for m in parsers if m in sys.modules]\n"
        "    print('loaded:', loaded, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=workspace.environment("camille", None),
        cwd=workspace.folder,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["new_items"] > 0
    assert "loaded: []" in result.stderr
