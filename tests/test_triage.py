"""The triage commands: several ids, exit codes, one-line messages, and every change in
`show --json` history. Most run `main()` in-process (FastWorkspace); those marked "installed"
run the installed script."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Workspace
from tests.teamwork import FastWorkspace, entry, lines, listed, run_ok, seed, setup, show


@pytest.fixture
def ws(workspace: Workspace) -> FastWorkspace:
    fast = FastWorkspace(workspace.folder)
    setup(fast)
    return fast


def history(workspace: Workspace, item_id: int) -> list[tuple[str, str, str]]:
    return [(h["by"], h["action"], h["detail"]) for h in show(workspace, item_id)["history"]]


def test_tag_and_untag_several_items(ws: Workspace) -> None:
    one, two = seed(ws, "cerap-feed", entry(1), entry(2))

    result = run_ok(ws, "tag", str(one), str(two), "-t", "ecsi", "--tag", "ong,afrique")
    assert lines(result.stdout) == [
        f"#{one} tagged ecsi, ong, afrique",
        f"#{two} tagged ecsi, ong, afrique",
    ]
    again = run_ok(ws, "tag", str(one), "-t", "ECSI", "-t", "ssi", user="lea")
    assert lines(again.stdout) == [f"#{one} tagged ssi (already had ecsi)"]

    removed = run_ok(ws, "untag", str(one), "-t", "ecsi", "-t", "ong", user="lea")
    assert lines(removed.stdout) == [f"#{one} untagged ecsi, ong"]
    nothing = run_ok(ws, "untag", str(two), "-t", "ssi")
    assert lines(nothing.stdout) == [f"#{two} had no tag ssi"]

    assert show(ws, one)["tags"] == ["afrique", "ssi"]
    assert history(ws, one) == [
        ("camille", "tag", "ecsi"),
        ("camille", "tag", "ong"),
        ("camille", "tag", "afrique"),
        ("lea", "tag", "ssi"),
        ("lea", "untag", "ecsi"),
        ("lea", "untag", "ong"),
    ]


def test_a_tag_outside_the_vocabulary_is_a_usage_error_unless_allowed(ws: Workspace) -> None:
    [item] = seed(ws, "cerap-feed", entry(1))
    refused = ws.run("tag", str(item), "-t", "ecsi", "-t", "climat")
    assert refused.returncode == 2
    assert lines(refused.stderr) == [
        f"watchcli: unknown tag 'climat'; add it to [tags] in {ws.config} or set allow_other = true"
    ]
    assert refused.stdout == ""
    assert show(ws, item)["tags"] == []  # checked before anything is touched

    ws.write_config(
        [{"id": "cerap-feed", "url": "https://cerap.example/feed", "network": "cerapcoop"}],
        extra='[tags]\nallow_other = true\necsi = "ECSI"\n',
    )
    assert run_ok(ws, "tag", str(item), "-t", "climat").stdout == f"#{item} tagged climat\n"
    bad = ws.run("tag", str(item), "-t", "Climat et énergie")
    assert bad.returncode == 2
    assert "invalid tag 'climat et énergie'" in bad.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["tag", "1", "-t", "ecsi"],
        ["untag", "1", "-t", "ecsi"],
        ["assign", "1", "--to", "resacoop"],
        ["unassign", "1"],
        ["claim", "1"],
        ["select", "1"],
        ["discard", "1"],
        ["reopen", "1"],
        ["note", "1", "vu"],
    ],
)
def test_only_members_change_items_but_anyone_reads(ws: Workspace, command: list[str]) -> None:
    seed(ws, "cerap-feed", entry(1))
    result = ws.run(*command, user="bob")
    assert result.returncode == 2
    assert lines(result.stderr) == [
        "watchcli: 'bob' is not a member of any network, so cannot change items; add them to "
        f"members in [networks.cerapcoop] or [networks.resacoop] of {ws.config}, or pass "
        "--as NAME"
    ]
    assert show(ws, 1)["history"] == []
    assert ws.run("list", user="bob").returncode == 0
    assert ws.run("--as", "lea", "note", "1", "vu", user="bob").returncode == 0


def test_several_ids_do_every_one_they_can_and_exit_1_naming_the_others(
    ws: Workspace,
) -> None:
    one, two = seed(ws, "cerap-feed", entry(1), entry(2))
    result = ws.run("select", str(one), "404", str(two), str(one), "405")
    assert result.returncode == 1
    assert lines(result.stdout) == [f"#{one} selected", f"#{two} selected"]
    assert lines(result.stderr) == [
        "watchcli: no item 404; `watchcli list` shows the ids",
        "watchcli: no item 405; `watchcli list` shows the ids",
    ]
    assert show(ws, one)["status"] == show(ws, two)["status"] == "selected"


def test_claim_refused_while_someone_else_holds_it_unless_forced(ws: Workspace) -> None:
    one, two = seed(ws, "cerap-feed", entry(1), entry(2))

    claimed = run_ok(ws, "claim", str(one), str(two))
    assert lines(claimed.stdout) == [
        f"#{one} claimed by camille (cerapcoop)",
        f"#{two} claimed by camille (cerapcoop)",
    ]
    assert run_ok(ws, "claim", str(one)).stdout == f"#{one} is already yours\n"

    refused = ws.run("claim", str(one), user="lea")
    assert refused.returncode == 1
    assert lines(refused.stderr) == [
        f"watchcli: item {one} is held by camille (cerapcoop); use --force to take it"
    ]

    forced = run_ok(ws, "claim", "--force", str(one), user="lea")
    assert forced.stdout == f"#{one} claimed by lea (resacoop), taken from camille (--force)\n"
    item = show(ws, one)
    assert (item["assignee"], item["network"]) == ("lea", "resacoop")
    assert history(ws, one) == [
        ("camille", "claim", ""),
        ("lea", "claim", "forced, from camille (cerapcoop)"),
    ]


def test_a_network_default_is_no_lock(ws: Workspace) -> None:
    [item] = seed(ws, "resa-feed", entry(1))
    assert show(ws, item)["network"] == "resacoop"
    run_ok(ws, "claim", str(item), user="hugo")
    assert history(ws, item) == [("hugo", "claim", "from resacoop")]


def test_only_the_holder_changes_status_or_assignment(ws: Workspace) -> None:
    [item] = seed(ws, "cerap-feed", entry(1))
    run_ok(ws, "claim", str(item), user="lea")
    for command in (["select"], ["discard"], ["unassign"], ["assign", "--to", "hugo"]):
        result = ws.run(*command, str(item))
        assert result.returncode == 1, command
        assert lines(result.stderr) == [
            f"watchcli: item {item} is held by lea (resacoop); only they can change that — "
            f"`watchcli claim --force {item}` takes it"
        ]
    run_ok(ws, "note", str(item), "je regarde", user="hugo")
    run_ok(ws, "tag", str(item), "-t", "ong", user="hugo")
    assert show(ws, item)["status"] == "new"


def test_assign_to_a_network_or_a_member_and_unassign(ws: Workspace) -> None:
    one, two = seed(ws, "cerap-feed", entry(1), entry(2))

    to_network = run_ok(ws, "assign", str(one), str(two), "--to", "resacoop")
    assert lines(to_network.stdout) == [
        f"#{one} assigned to resacoop",
        f"#{two} assigned to resacoop",
    ]
    to_member = run_ok(ws, "assign", str(one), "--to", "malik")
    assert to_member.stdout == f"#{one} assigned to malik (resacoop)\n"
    item = show(ws, one)
    assert (item["assignee"], item["network"]) == ("malik", "resacoop")
    assert run_ok(ws, "assign", str(one), "--to", "malik", user="malik").stdout == (
        f"#{one} already assigned to malik (resacoop)\n"
    )

    freed = run_ok(ws, "unassign", str(one), user="malik")
    assert freed.stdout == f"#{one} unassigned (was malik (resacoop))\n"
    assert run_ok(ws, "unassign", str(one)).stdout == f"#{one} was not assigned\n"
    assert listed(ws, "--unassigned") == [one]

    unknown = ws.run("assign", str(two), "--to", "bob")
    assert unknown.returncode == 2
    assert lines(unknown.stderr) == [
        "watchcli: unknown network or member 'bob'; networks: cerapcoop, resacoop; members: "
        "camille, hugo, lea, malik"
    ]
    assert history(ws, one) == [
        ("camille", "assign", "resacoop, was cerapcoop"),
        ("camille", "assign", "malik (resacoop), was resacoop"),
        ("malik", "unassign", "was malik (resacoop)"),
    ]


def test_select_discard_reopen_are_recorded_with_who_handled(ws: Workspace) -> None:
    one, two = seed(ws, "cerap-feed", entry(1), entry(2))
    assert run_ok(ws, "select", str(one)).stdout == f"#{one} selected\n"
    assert run_ok(ws, "select", str(one)).stdout == f"#{one} is already selected\n"
    assert run_ok(ws, "discard", str(two), user="hugo").stdout == f"#{two} discarded\n"
    assert run_ok(ws, "reopen", str(two), user="hugo").stdout == f"#{two} reopened\n"
    assert run_ok(ws, "discard", str(one), user="lea").stdout == f"#{one} discarded\n"

    first = show(ws, one)
    assert (first["status"], first["handled_by"]) == ("discarded", "lea")
    assert first["handled_at"]
    second = show(ws, two)
    assert (second["status"], second["handled_by"]) == ("new", None)
    assert history(ws, one) == [("camille", "selected", ""), ("lea", "discarded", "")]
    assert history(ws, two) == [("hugo", "discarded", ""), ("hugo", "reopened", "")]
    for entry_ in show(ws, one)["history"]:
        assert entry_["at"].endswith("+00:00")


def test_notes_are_kept_literally(ws: Workspace) -> None:
    [item] = seed(ws, "cerap-feed", entry(1))
    text = "[bold red]À relayer[/] \x1b]0;pwned\x07 dans la lettre"
    assert run_ok(ws, "note", str(item), text, user="lea").stdout == f"#{item} note added\n"
    [note] = show(ws, item)["notes"]
    assert note["by"] == "lea" and note["text"] == "[bold red]À relayer[/] dans la lettre"
    shown = ws.run("show", str(item), env={"TERM": "xterm-256color"})
    assert "[bold red]À relayer[/]" in shown.stdout
    assert "\x1b]" not in shown.stdout

    empty = ws.run("note", str(item), "   ")
    assert empty.returncode == 2
    assert "empty note" in empty.stderr
    missing = ws.run("note", "404", "hello")
    assert missing.returncode == 1
    assert lines(missing.stderr) == ["watchcli: no item 404; `watchcli list` shows the ids"]


@pytest.mark.parametrize(
    "args",
    [
        ["claim"],
        ["tag", "1"],
        ["claim", "abc"],
        ["assign", "1"],
        ["note", "1"],
        ["claim", "1", "--bogus"],
        ["list", "--status", "done"],
        ["list", "--week", "2026-W60"],
        ["list", "--network", "nowhere"],
    ],
)
def test_usage_errors_exit_2(ws: Workspace, args: list[str]) -> None:
    seed(ws, "cerap-feed", entry(1))
    result = ws.run(*args)
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr


def test_list_filters(ws: Workspace) -> None:
    mine, lea_s, cerap, resa, shared, handled = seed(
        ws, "cerap-feed", *(entry(n) for n in range(1, 7))
    )
    seed(ws, "resa-feed", entry(4), entry(5))  # seen by both networks: shared
    run_ok(ws, "assign", str(resa), "--to", "resacoop")  # manual: stays resacoop
    run_ok(ws, "claim", str(mine))
    run_ok(ws, "claim", str(lea_s), user="lea")
    run_ok(ws, "tag", str(cerap), str(shared), "-t", "ecsi")
    run_ok(ws, "discard", str(handled), user="hugo")

    assert set(listed(ws, "--mine")) == {mine}
    assert set(listed(ws, "--mine", user="lea")) == {lea_s}
    assert set(listed(ws, "--assignee", "lea")) == {lea_s}
    assert set(listed(ws, "--network", "resacoop")) == {lea_s, resa}
    assert set(listed(ws, "--network", "cerapcoop")) == {mine, cerap, handled}
    assert set(listed(ws, "--unassigned")) == {shared}
    assert set(listed(ws, "--tag", "ecsi")) == {cerap, shared}
    assert set(listed(ws, "--tag", "ecsi", "--unassigned")) == {shared}
    assert set(listed(ws, "--status", "discarded")) == {handled}
    assert len(listed(ws, "--status", "new")) == 5
    assert len(listed(ws, "--week", "this")) == 6
    assert listed(ws, "--week", "last") == []
    assert len(listed(ws, "--since", "1d")) == 6
    conflicting = ws.run("list", "--mine", "--assignee", "lea")
    assert conflicting.returncode == 2


def test_plain_list_shows_a_members_queue_first(ws: Workspace) -> None:
    # newest first by publication: 1 is the newest
    ids = seed(
        ws,
        "resa-feed",
        *(entry(n, title=f"Story {n}", when=None) for n in range(1, 5)),
    )
    theirs = seed(ws, "cerap-feed", entry(10, title="Cerap story"))[0]
    shared = seed(ws, "neutral", entry(20, title="Unassigned story"))[0]
    run_ok(ws, "claim", str(ids[3]), user="hugo")
    run_ok(ws, "select", str(ids[0]), user="lea")

    table = ws.run("list", user="hugo").stdout
    order = [line.split()[0] for line in table.splitlines() if line.strip()[:1].isdigit()]
    rank = {str(ids[3]): 0, str(theirs): 1, str(shared): 2}
    queue = [i for i in order if i in rank]
    assert queue == order[:3]
    assert [rank[i] for i in queue] == [0, 1, 2]
    assert "3 new in your queue, then 3 others" in table
    # JSON is always newest first, for scripts
    items = json.loads(ws.run("list", "--json", user="hugo").stdout)
    assert [i["published"] for i in items] == sorted((i["published"] for i in items), reverse=True)


def test_the_installed_script_maps_the_same_exit_codes_and_lines(ws: FastWorkspace) -> None:
    one, two = seed(ws, "cerap-feed", entry(1), entry(2))
    installed = Workspace(ws.folder)

    stranger = installed.run("claim", str(one), user="bob")
    assert stranger.returncode == 2
    assert stranger.stderr.startswith("watchcli: 'bob' is not a member of any network")
    assert len(lines(stranger.stderr)) == 1

    several = installed.run("claim", str(one), "404", str(two), user="hugo")
    assert several.returncode == 1
    assert lines(several.stdout) == [
        f"#{one} claimed by hugo (cerapcoop)",
        f"#{two} claimed by hugo (cerapcoop)",
    ]
    assert lines(several.stderr) == ["watchcli: no item 404; `watchcli list` shows the ids"]

    refused = installed.run("claim", str(one), user="malik")
    assert refused.returncode == 1
    assert lines(refused.stderr) == [
        f"watchcli: item {one} is held by hugo (cerapcoop); use --force to take it"
    ]
    unknown_tag = installed.run("tag", str(one), "-t", "nope")
    assert unknown_tag.returncode == 2
    assert "unknown tag 'nope'" in unknown_tag.stderr
    assert [h["action"] for h in show(ws, one)["history"]] == ["claim"]
