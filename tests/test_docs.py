"""The README documents every command (its table gives each an example), and its quick
start is what CI runs."""

from __future__ import annotations

import re
from typing import Any

import typer

from tests.conftest import REPO
from watchcli.cli import app

README = (REPO / "README.md").read_text(encoding="utf-8")


def command_names(group: Any, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group of subcommands, such as `sources`
            names += command_names(command, f"{prefix}{name} ")
        else:
            names.append(prefix + name)
    return names


def test_every_command_has_a_row_with_an_example_in_the_readme() -> None:
    rows = [line for line in README.splitlines() if line.startswith("| `")]
    names = command_names(typer.main.get_command(app))
    assert {"init", "fetch", "list", "claim", "stats", "digest", "sources list"} <= set(names)
    for name in names:
        row = next((r for r in rows if f"`{name}`" in r.split("|")[1]), None)
        assert row is not None, f"no README row for `watchcli {name}`"
        assert f"watchcli {name}" in row, f"no example of `watchcli {name}` in its README row"


def test_the_quick_start_is_two_commands_and_ci_runs_the_test_one() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.+?)\n```", quick_start, flags=re.S)
    assert len(commands) == 2
    assert "watchcli demo" in commands[0]
    assert "pytest" in commands[1]
    assert "<!-- test-command -->" in quick_start
    assert "test-command" in (REPO / ".ci" / "run").read_text()
