"""The README documents every command, and its quick start is what CI runs."""

from __future__ import annotations

import re

import typer

from tests.conftest import REPO
from watchcli.cli import app

README = (REPO / "README.md").read_text(encoding="utf-8")


def command_names() -> list[str]:
    names = []
    root = typer.main.get_command(app)
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            names += [f"{name} {sub}" for sub in subcommands]
        else:
            names.append(name)
    return names


def test_every_command_has_a_row_and_an_example_in_the_readme() -> None:
    for name in command_names():
        assert f"| `{name}`" in README, f"no row for `{name}` in the README's command table"
        assert f"watchcli {name}" in README or re.search(
            rf"watchcli (--\S+ \S+ )*{re.escape(name)}\b", README
        ), f"no example of `watchcli {name}` in the README"


def test_the_quick_start_is_two_commands_and_ci_runs_the_test_one() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.+?)\n```", quick_start, flags=re.S)
    assert len(commands) == 2
    assert "watchcli demo" in commands[0]
    assert "pytest" in commands[1]
    assert "<!-- test-command -->" in quick_start
    assert "test-command" in (REPO / ".ci" / "run").read_text()
