"""The README documents every command (the command table gives each an example)."""

from __future__ import annotations

from typing import Any

import typer

from tests.conftest import REPO
from watchcli.cli import app


def command_names(group: Any, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group of subcommands, such as `sources`
            names += command_names(command, f"{prefix}{name} ")
        else:
            names.append(prefix + name)
    return names


def test_every_command_has_a_row_with_an_example_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    names = command_names(typer.main.get_command(app))
    assert {"init", "fetch", "list", "claim", "stats", "sources list"} <= set(names)
    for name in names:
        row = next((r for r in rows if f"`{name}`" in r.split("|")[1]), None)
        assert row is not None, f"no README row for `watchcli {name}`"
        assert f"watchcli {name}" in row, f"no example of `watchcli {name}` in its README row"
