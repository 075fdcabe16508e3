"""Several analysts and a fetch writing to one store at the same time (SPEC §5): nobody sees
"database is locked", nothing is lost, and of two members claiming the same item at the same
moment exactly one wins.

Analysts are real processes (tests/concurrency_worker.py: each command through the console
script's `main()`, with its own connection); fetches and a few claims run the installed script.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from tests.conftest import REPO, WATCHCLI, Workspace, rss
from tests.feedserver import FeedServer
from tests.teamwork import entry, seed, setup

MEMBERS = {
    "cerapcoop": ["camille", "hugo", "ines", "jules"],
    "resacoop": ["lea", "malik", "nora", "oscar"],
}
NETWORK_OF = {m: n for n, ms in MEMBERS.items() for m in ms}
TROUBLE = ("locked", "store error", "unexpected error", "Traceback")


class Workers:
    """Worker processes started together; `release(name)` lets them past a `wait` step."""

    def __init__(self, workspace: Workspace, plans: dict[str, list[dict]]) -> None:
        self.sync = workspace.folder / f"sync-{uuid.uuid4().hex[:6]}"
        self.sync.mkdir()
        self.users = list(plans)
        self.procs = {}
        for user, steps in plans.items():
            plan = self.sync / f"{user}.json"
            plan.write_text(
                json.dumps(
                    {
                        "config": str(workspace.config),
                        "user": user,
                        "sync": str(self.sync),
                        "steps": steps,
                    }
                )
            )
            self.procs[user] = subprocess.Popen(
                [sys.executable, "-m", "tests.concurrency_worker", str(plan)],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )

    def release(self, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not all((self.sync / f"{name}.{u}.ready").exists() for u in self.users):
            assert time.monotonic() < deadline, f"workers never reached {name}"
            assert all(p.poll() is None for p in self.procs.values()), "a worker died"
            time.sleep(0.001)
        (self.sync / f"{name}.go").touch()

    def running(self) -> bool:
        return any(p.poll() is None for p in self.procs.values())

    def results(self) -> dict[str, list[dict]]:
        done = {}
        for user, proc in self.procs.items():
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            done[user] = json.loads(out)
        return done


def query(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def assert_clean(result: dict) -> None:
    for word in TROUBLE:
        assert word not in result["stderr"], result


# --- a fetch writing while 8 analysts tag, claim and note ------------------------------------

FEEDS = 12  # sources, half per network
PER_FEED = 25  # new stories per feed and round
SHARED = 5  # stories every feed of a round carries
OLD = 3  # first-round stories every feed of a later round carries again


def round_feed(round_: int, feed: int) -> str:
    stories = [f"r{round_}/f{feed}/{i}" for i in range(PER_FEED)]
    stories += [f"r{round_}/shared/{i}" for i in range(SHARED)]
    if round_:
        stories += [f"r0/f{(feed + round_) % FEEDS}/{i}" for i in range(OLD)]
    return rss(
        *(
            {
                "title": f"Story {slug} : l'ECSI et le Festisol" if i % 4 == 0 else f"Story {slug}",
                "link": f"https://news.example/{slug}",
                "guid": f"https://news.example/{slug}",
                "description": "Une ONG en Afrique" if i % 3 == 0 else "Rien",
                "pubDate": "Tue, 24 Nov 2026 10:00:00 +0000",
            }
            for i, slug in enumerate(stories)
        )
    )


def write_config(workspace: Workspace, feed_server: FeedServer, prefix: str) -> None:
    networks = "\n".join(
        f'[networks.{n}]\nname = "{n.upper()}"\nmembers = {json.dumps(ms)}\n'
        for n, ms in MEMBERS.items()
    )
    sources = "\n".join(
        f'[[sources]]\nid = "f{k}"\nurl = "{feed_server.url(f"/set/{prefix}-{k}")}"\n'
        f'network = "{"cerapcoop" if k % 2 else "resacoop"}"\ntags = ["ong"]\n'
        # Synthetic look-alike titles: this test is about locks, not the near-duplicate stage.
        "dedupe = false\n"
        for k in range(FEEDS)
    )
    workspace.config.write_text(
        f'[store]\npath = "watch.db"\n\n{networks}\n'
        '[tags]\nallow_other = true\necsi = "ECSI"\nssi = "SSI"\nong = "ONG"\n\n'
        '[[rules]]\ntag = "ecsi"\nany = ["ECSI"]\n\n'
        '[[rules]]\ntag = "ssi"\nany = ["festisol"]\n\n'
        f"{sources}",
        encoding="utf-8",
    )


def fetch_round(workspace: Workspace, feed_server: FeedServer, prefix: str, round_: int) -> dict:
    # Answers spread over ~2 s, so the fetch keeps committing source after source meanwhile.
    for k in range(FEEDS):
        feed_server.put(f"{prefix}-{k}", round_feed(round_, k), delay=0.15 * k if round_ else 0)
    result = workspace.run("fetch", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return json.loads(result.stdout)


def test_a_fetch_and_eight_analysts_write_at_once_without_locks_or_losses(
    workspace: Workspace, feed_server: FeedServer
) -> None:
    prefix = uuid.uuid4().hex[:8]
    write_config(workspace, feed_server, prefix)
    first = fetch_round(workspace, feed_server, prefix, 0)
    ids = [row[0] for row in query(workspace.db, "SELECT id FROM items ORDER BY id LIMIT 48")]
    tagged, contested = ids[:40], ids[40:48]
    users = [m for ms in MEMBERS.values() for m in ms]
    rounds = 8
    plans = {
        user: [{"wait": "start"}]
        + [
            step
            for r in range(rounds)
            for step in (
                {"run": ["tag", *map(str, tagged[r * 5 : r * 5 + 5]), "-t", f"w{w}"]},
                {"run": ["note", str(tagged[(w * 8 + r) % 40]), f"{user} round {r}"]},
                {"run": ["claim", str(contested[r])]},
            )
        ]
        for w, user in enumerate(users)
    }

    # A fetch starts; once it has committed a source, the eight analysts start too. Fetches
    # follow one another until the analysts are done, while a watcher notes when sightings
    # were written.
    workers = Workers(workspace, plans)
    stop = threading.Event()
    summaries: list[dict] = []
    writes_seen: list[tuple[float, int]] = []

    def fetches() -> None:
        while not stop.is_set() or len(summaries) < 2:
            summaries.append(fetch_round(workspace, feed_server, prefix, len(summaries) + 1))

    def watch() -> None:
        with sqlite3.connect(workspace.db) as conn:
            while not stop.is_set() or fetcher.is_alive():
                count = conn.execute("SELECT count(*) FROM sightings").fetchone()[0]
                if not writes_seen or writes_seen[-1][1] != count:
                    writes_seen.append((time.time(), count))
                time.sleep(0.01)

    fetcher = threading.Thread(target=fetches)
    watcher = threading.Thread(target=watch)
    fetcher.start()
    watcher.start()
    # The analysts start once the second fetch has committed its first source: its other
    # sources' answers are spread over the next ~2 s, so commits keep landing meanwhile.
    sightings_before = query(workspace.db, "SELECT count(*) FROM sightings")
    while query(workspace.db, "SELECT count(*) FROM sightings") == sightings_before:
        time.sleep(0.01)
    started = time.perf_counter()
    workers.release("start")
    results = workers.results()
    elapsed = time.perf_counter() - started
    stop.set()
    fetcher.join(timeout=120)
    watcher.join(timeout=120)
    assert len(summaries) >= 2

    # Nobody saw a lock, every command did what it said.
    commands = [r for rs in results.values() for r in rs]
    for result in commands:
        assert_clean(result)
        assert result["code"] == 0 or result["args"][0] == "claim", result
    # Every analyst's change is in the history, exactly.
    for w, user in enumerate(users):
        tags = query(
            workspace.db,
            "SELECT count(*) FROM history WHERE by = ? AND action = 'tag' AND detail = ?",
            user,
            f"w{w}",
        )
        assert tags == [(40,)]
        assert query(workspace.db, "SELECT count(*) FROM item_tags WHERE tag = ?", f"w{w}") == [
            (40,)
        ]
        notes = query(workspace.db, "SELECT count(*) FROM notes WHERE by = ?", user)
        assert notes == [(rounds,)]
    # Each contested item: one winner, named to every loser.
    for r, item_id in enumerate(contested):
        outcomes = {user: rs[3 * r + 2] for user, rs in results.items()}
        winners = [u for u, o in outcomes.items() if o["code"] == 0]
        assert len(winners) == 1, outcomes
        [winner] = winners
        for user, outcome in outcomes.items():
            if user != winner:
                assert outcome["code"] == 1
                assert outcome["stderr"] == (
                    f"watchcli: item {item_id} is held by {winner} ({NETWORK_OF[winner]}); "
                    "use --force to take it\n"
                )
        assert query(workspace.db, "SELECT assignee FROM items WHERE id = ?", item_id) == [
            (winner,)
        ]
        claims = query(
            workspace.db,
            "SELECT by FROM history WHERE item_id = ? AND action = 'claim'",
            item_id,
        )
        assert claims == [(winner,)]
    # The fetches lost nothing either.
    runs = [first, *summaries]
    assert all(s["failed"] == 0 for s in runs)
    assert query(workspace.db, "SELECT count(*) FROM items") == [
        (sum(s["new_items"] for s in runs),)
    ]
    assert query(workspace.db, "SELECT count(*) FROM sightings") == [
        (sum(s["new_items"] + s["new_sightings"] for s in runs),)
    ]
    per_round = FEEDS * PER_FEED + SHARED
    assert [s["new_items"] for s in summaries] == [per_round] * len(summaries)
    assert query(workspace.db, "PRAGMA integrity_check") == [("ok",)]

    # Analysts' commands that ran while fetch was committing sightings (within 10 ms).
    commits = [at for at, _ in writes_seen[1:]]
    during_fetch = [
        r
        for r in commands
        if any(r["started"] <= at <= r["started"] + r["seconds"] for at in commits)
    ]
    assert during_fetch
    writes = sum(
        len(r["args"]) - 3 if r["args"][0] == "tag" else 1 for r in commands
    )  # one transaction per id
    slowest = max(r["seconds"] for r in commands)
    print(
        f"\nconcurrency: {len(users)} analysts ran {len(commands)} commands "
        f"({writes} write transactions; {len(during_fetch)} commands were running when one of "
        f"fetch's {len(commits)} observed commits landed) while "
        f"{len(summaries)} fetches stored "
        f"{sum(s['new_items'] for s in summaries)} items and "
        f"{sum(s['new_sightings'] for s in summaries)} sightings, in {elapsed:.1f} s; slowest "
        f"command {slowest:.2f} s; 0 'database is locked'; "
        f"{len(contested)} contested claims, {len(contested)} winners"
    )


# --- two claims racing ------------------------------------------------------------------------


def test_two_claims_racing_have_exactly_one_winner(workspace: Workspace) -> None:
    setup(workspace)
    rounds = 20
    ids = seed(workspace, "neutral", *(entry(n) for n in range(rounds + 3)))
    racers = ("camille", "lea")
    workers = Workers(
        workspace,
        {
            user: [
                step
                for r in range(rounds)
                for step in ({"wait": f"r{r}"}, {"run": ["claim", str(ids[r])]})
            ]
            for user in racers
        },
    )
    for r in range(rounds):
        workers.release(f"r{r}")
    results = workers.results()

    wins = dict.fromkeys(racers, 0)
    for r in range(rounds):
        camille, lea = results["camille"][r], results["lea"][r]
        assert sorted([camille["code"], lea["code"]]) == [0, 1], (camille, lea)
        winner, loser = (camille, lea) if camille["code"] == 0 else (lea, camille)
        name = racers[0] if winner is camille else racers[1]
        wins[name] += 1
        held = f"{name} ({'cerapcoop' if name == 'camille' else 'resacoop'})"
        assert loser["stderr"] == (
            f"watchcli: item {ids[r]} is held by {held}; use --force to take it\n"
        )
        assert winner["stdout"] == f"#{ids[r]} claimed by {held}\n"
        assert query(workspace.db, "SELECT assignee FROM items WHERE id = ?", ids[r]) == [(name,)]
        assert query(
            workspace.db, "SELECT by FROM history WHERE item_id = ? AND action = 'claim'", ids[r]
        ) == [(name,)]

    # The installed script, both started at once.
    for item_id in ids[rounds:]:
        procs = [
            subprocess.Popen(
                [
                    str(WATCHCLI),
                    "--config",
                    str(workspace.config),
                    "--as",
                    user,
                    "claim",
                    str(item_id),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for user in racers
        ]
        outcomes = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
        assert sorted(code for code, _, _ in outcomes) == [0, 1], outcomes
        [(_, _, refusal)] = [o for o in outcomes if o[0] == 1]
        assert refusal.startswith(f"watchcli: item {item_id} is held by ")
    print(f"\nclaim races: {rounds} in-process rounds, wins {wins}; 3 installed-script rounds")


# --- two analysts split a week's inbox --------------------------------------------------------


def test_two_analysts_split_the_inbox_at_the_same_time_and_stats_shows_it(
    workspace: Workspace,
) -> None:
    setup(workspace)
    cerap = seed(workspace, "cerap-feed", *(entry(n) for n in range(20)))
    resa = seed(workspace, "resa-feed", *(entry(n) for n in range(100, 120)))
    shared = seed(workspace, "cerap-feed", *(entry(n) for n in range(200, 220)))
    assert seed(workspace, "resa-feed", *(entry(n) for n in range(200, 220))) == shared
    everything = cerap + resa + shared

    workers = Workers(
        workspace,
        {
            "camille": [{"wait": "go"}, {"split": "cerapcoop"}],
            "lea": [{"wait": "go"}, {"split": "resacoop"}],
        },
    )
    started = time.perf_counter()
    workers.release("go")
    results = workers.results()
    elapsed = time.perf_counter() - started

    for result in (r for rs in results.values() for r in rs):
        assert_clean(result)
    rows = query(
        workspace.db,
        "SELECT id, status, assignee, handled_by FROM items ORDER BY id",
    )
    assert [row[0] for row in rows] == sorted(everything)
    for item_id, status, assignee, handled_by in rows:
        assert status in ("selected", "discarded")
        assert assignee == handled_by
        actions = query(
            workspace.db,
            "SELECT by, action FROM history WHERE item_id = ? AND by != 'watchcli' ORDER BY id",
            item_id,
        )
        assert [a for _, a in actions] == ["claim", status]  # handled once
        assert {b for b, _ in actions} == {assignee}
    handled_by = {row[0]: row[3] for row in rows}
    assert {handled_by[i] for i in cerap} == {"camille"}
    assert {handled_by[i] for i in resa} == {"lea"}

    report = json.loads(workspace.run("stats", "--json").stdout)
    assert report["handled"] == len(everything)
    assert report["shared"] == report["shared_handled"] == len(shared)
    assert report["open"] == 0
    per_network = {n["id"]: n["handled"] for n in report["networks"]}
    assert sum(per_network.values()) == len(everything)
    assert per_network["cerapcoop"] >= len(cerap) and per_network["resacoop"] >= len(resa)
    refused = sum(r["stderr"].count("is held by") for rs in results.values() for r in rs)
    print(
        f"\nsplit: {len(everything)} items ({len(shared)} carried by both networks) handled in "
        f"{elapsed:.1f} s: cerapcoop {per_network['cerapcoop']}, resacoop "
        f"{per_network['resacoop']}; {refused} claims refused to the slower one; each item "
        "claimed once and handled once"
    )
