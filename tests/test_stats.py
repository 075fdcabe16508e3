"""`watchcli stats`: the figures of a window, per network and per analyst, and sources' health."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.teamwork import FastWorkspace, entry, run_ok, seed, setup
from watchcli.config import Config, Network
from watchcli.stats import Window, build_stats

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def ws(workspace: Workspace) -> FastWorkspace:
    fast = FastWorkspace(workspace.folder)
    setup(fast)
    return fast


def test_stats_json_counts_the_week_per_network_and_analyst(ws: FastWorkspace) -> None:
    c1, c2, c3, both = seed(ws, "cerap-feed", *(entry(n) for n in range(1, 5)))
    r1, r2 = seed(ws, "resa-feed", entry(4), entry(5), entry(6))[1:]
    assert seed(ws, "resa-feed", entry(4)) == [both]
    run_ok(ws, "select", str(c1), str(both), user="camille")
    run_ok(ws, "discard", str(c2), user="hugo")
    run_ok(ws, "claim", str(r1), user="lea")
    run_ok(ws, "discard", str(r1), user="lea")
    run_ok(ws, "claim", str(r2), user="malik")

    result = ws.run("stats", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)

    assert report["week"] and report["since"] < report["until"]
    assert report["fetched"] == 6
    assert report["merged"] == 1
    assert (report["shared"], report["shared_handled"]) == (1, 1)
    assert (report["handled"], report["selected"], report["discarded"]) == (4, 2, 2)
    assert (report["open"], report["unassigned_open"]) == (2, 0)
    assert report["networks"] == [
        {
            "id": "cerapcoop",
            "name": "CERAPCOOP",
            "selected": 2,
            "discarded": 1,
            "handled": 3,
            "open": 1,
        },
        {
            "id": "resacoop",
            "name": "RESACOOP",
            "selected": 0,
            "discarded": 1,
            "handled": 1,
            "open": 1,
        },
    ]
    assert [(a["analyst"], a["network"], a["handled"]) for a in report["analysts"]] == [
        ("camille", "cerapcoop", 2),
        ("hugo", "cerapcoop", 1),
        ("lea", "resacoop", 1),
        ("malik", "resacoop", 0),
    ]
    assert report["sources"] == {
        "total": 3,
        "ok": 0,
        "failing": 0,
        "gone": 0,
        "never": 3,
        "failing_ids": [],
    }
    assert c3  # still new, in cerapcoop's open count

    last = json.loads(ws.run("stats", "--week", "last", "--json").stdout)
    assert (last["fetched"], last["handled"], last["open"]) == (0, 0, 0)
    since = json.loads(ws.run("stats", "--since", "1d", "--json").stdout)
    assert since["week"] is None and since["fetched"] == 6


def test_stats_for_people(ws: FastWorkspace) -> None:
    [item] = seed(ws, "cerap-feed", entry(1))
    run_ok(ws, "select", str(item), user="hugo")
    result = ws.run("stats")
    assert result.returncode == 0, result.stderr
    for text in ("Week 20", "items fetched", "CERAPCOOP", "RESACOOP", "hugo", "3 never"):
        assert text in result.stdout, text


@pytest.mark.parametrize(
    "args", [["--week", "2026-W60"], ["--week", "soon"], ["--week", "this", "--since", "7d"]]
)
def test_stats_usage_errors_exit_2(ws: FastWorkspace, args: list[str]) -> None:
    result = ws.run("stats", *args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_build_stats_counts_former_members_and_failing_sources() -> None:
    config = Config(
        path=Path("sources.toml"),
        networks={
            "cerapcoop": Network("cerapcoop", "CERAPCOOP", ("camille",)),
            "resacoop": Network("resacoop", "RESACOOP", ("lea",)),
        },
    )
    report = build_stats(
        config,
        Window.of_week("2026-W48", now=NOW),
        figures={
            "fetched": 10,
            "merged": 3,
            "shared": 2,
            "shared_handled": 1,
            "handled": [
                {"analyst": "camille", "status": "selected", "items": 2},
                {"analyst": "former", "status": "discarded", "items": 1},
                {"analyst": "lea", "status": "discarded", "items": 4},
            ],
        },
        open_items=[
            {"network": None, "held": 0, "items": 2},
            {"network": "resacoop", "held": 1, "items": 1},
        ],
        health=[
            {"id": "a", "gone": 0, "failures": 0, "last_attempt": "x"},
            {"id": "b", "gone": 0, "failures": 3, "last_attempt": "x"},
            {"id": "c", "gone": 1, "failures": 1, "last_attempt": "x"},
        ],
    )
    assert (report["week"], report["since"], report["until"]) == (
        "2026-W48",
        "2026-11-23T00:00:00+00:00",
        "2026-11-30T00:00:00+00:00",
    )
    assert report["analysts"][-1] == {
        "analyst": "former",
        "network": None,
        "selected": 0,
        "discarded": 1,
        "handled": 1,
    }
    assert (report["handled"], report["selected"], report["discarded"]) == (7, 2, 5)
    assert [n["handled"] for n in report["networks"]] == [2, 4]
    assert (report["open"], report["unassigned_open"]) == (3, 2)
    assert report["sources"]["failing_ids"] == ["b"]
    assert (report["sources"]["ok"], report["sources"]["gone"]) == (1, 1)
