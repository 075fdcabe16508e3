"""`watchcli digest` as a user or cron runs it: options, outputs, files, exit codes."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.conftest import WATCHCLI, Workspace
from tests.digeststore import IN_DIGEST, STORIES, fill_store, write_config

WEEK = ("digest", "--week", "2026-W48")


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


@pytest.fixture
def filled(workspace: Workspace) -> Workspace:
    fill_store(workspace.db, write_config(workspace))
    return workspace


def test_markdown_on_stdout_by_default(filled: Workspace) -> None:
    result = filled.run(*WEEK)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Veille mutualisée CERAPCOOP – RESACOOP\n")
    assert "**Semaine 48 — du 23 au 29 novembre 2026**" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("fmt", "start"),
    [
        ("markdown", b"# Veille"),
        ("text", "VEILLE MUTUALISÉE".encode()),
        ("html", b"<!DOCTYPE html>"),
        ("json", b"{\n"),
        ("email", b"Subject: "),
    ],
)
def test_every_format_to_a_file(filled: Workspace, fmt: str, start: bytes) -> None:
    path = filled.folder / f"digest.{fmt}"
    result = filled.run(*WEEK, "--format", fmt, "-o", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    data = path.read_bytes()
    assert data.startswith(start)
    if fmt == "json":
        assert json.loads(data)["count"] == len(IN_DIGEST)
    if fmt == "email":
        message = message_from_bytes(data, policy=policy.default)
        assert message.get_content_type() == "multipart/alternative"
        assert str(message["To"]) == "cerapcoop@example.org, resacoop@example.org"
        assert message["Message-ID"].endswith("@example.org>")


def test_email_to_stdout_with_other_recipients(filled: Workspace) -> None:
    result = subprocess.run(
        [str(WATCHCLI), *WEEK, "--format", "email", "--to", "x@example.org"],
        capture_output=True,
        env={**os.environ, "WATCHCLI_CONFIG": str(filled.config)},
        cwd=filled.folder,
    )
    assert result.returncode == 0, result.stderr
    message = message_from_bytes(result.stdout, policy=policy.default)
    assert str(message["To"]) == "x@example.org"


def test_all_and_network_options(filled: Workspace) -> None:
    everything = json.loads(filled.run(*WEEK, "--all", "--format", "json").stdout)
    assert everything["count"] == len(IN_DIGEST) + 1 and everything["all"] is True
    network = json.loads(filled.run(*WEEK, "--network", "resacoop", "--format", "json").stdout)
    assert network["network"] == "RESACOOP"
    since = json.loads(
        filled.run(
            "digest", "--since", "2026-11-27", "--until", "2026-11-29", "--format", "json"
        ).stdout
    )
    assert since["week"] is None and since["count"] == 2


def test_the_default_week_is_last_week(filled: Workspace) -> None:
    result = filled.run("digest", "--format", "json")
    assert result.returncode == 0
    default = json.loads(result.stdout)
    last = json.loads(filled.run("digest", "--week", "last", "--format", "json").stdout)
    assert default["since"] == last["since"] and default["week"] == last["week"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--week", "48"), "cannot read the week '48'"),
        (("--week", "last", "--since", "7d"), "either --week or --since"),
        (("--until", "2026-11-01"), "--until needs --since"),
        (("--network", "nope"), "unknown network 'nope'"),
        (("--format", "html", "--to", "a@example.org"), "--to only applies"),
        (("--send", "--format", "html"), "--send sends the email"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    filled: Workspace, args: tuple[str, ...], message: str
) -> None:
    result = filled.run("digest", *args)
    assert result.returncode == 2
    assert message in one_line(result.stderr)
    assert "Traceback" not in result.stderr


def test_an_unknown_format_is_refused_by_the_parser(filled: Workspace) -> None:
    result = filled.run("digest", "--format", "pdf")
    assert result.returncode == 2
    assert "pdf" in result.stderr


def test_writing_into_a_missing_folder_exits_2(filled: Workspace) -> None:
    result = filled.run(*WEEK, "-o", str(filled.folder / "nope" / "digest.md"))
    assert result.returncode == 2
    assert "folder" in one_line(result.stderr) and "does not exist" in result.stderr


def test_a_failed_write_leaves_the_old_file(filled: Workspace) -> None:
    path = filled.folder / "digest.md"
    path.write_text("previous\n")
    result = filled.run(*WEEK, "--network", "nope", "-o", str(path))
    assert result.returncode == 2
    assert path.read_text() == "previous\n"
    assert [p.name for p in filled.folder.iterdir() if p.name.startswith(".digest")] == []


def test_the_digest_on_a_terminal_carries_no_escape_sequence(filled: Workspace) -> None:
    """stdout is a real pseudo-terminal: nothing from a feed or a note may drive it."""
    for fmt in ("markdown", "text"):
        main, secondary = pty.openpty()
        process = subprocess.Popen(
            [str(WATCHCLI), *WEEK, "--format", fmt],
            stdout=secondary,
            stderr=subprocess.PIPE,
            env={**os.environ, "WATCHCLI_CONFIG": str(filled.config), "TERM": "xterm-256color"},
            cwd=filled.folder,
        )
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=60) == 0
        os.close(main)
        shown = b"".join(chunks)
        assert b"\x1b" not in shown and b"\x07" not in shown
        assert STORIES["plf"].title.encode() in shown


def test_digest_help_lists_every_option() -> None:
    result = subprocess.run(
        [str(WATCHCLI), "digest", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    for option in (
        "--week",
        "--since",
        "--until",
        "--network",
        "--all",
        "--format",
        "--output",
        "-o",
        "--send",
        "--to",
    ):
        assert option in result.stdout


def test_readme_documents_the_digest() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    for text in (
        "watchcli digest",
        "--week last --send",
        "[digest]",
        "[email]",
        "WATCHCLI_SMTP_PASSWORD",
        "templates",
        "--format email",
        "--network",
        "--all",
    ):
        assert text in readme, text


def test_the_demo_ends_with_a_digest(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(WATCHCLI), "demo", "--db", str(tmp_path / "demo.db")],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    tail = result.stdout[result.stdout.index("5. The digest") :]
    assert "9 articles retenus par CERAPCOOP et RESACOOP." in tail
    assert "La veille mutualisée en chiffres" in tail
    assert "\x1b" not in result.stdout
    assert max(len(line) for line in tail.splitlines()) <= 80
    digest = subprocess.run(
        [str(WATCHCLI), "--db", str(tmp_path / "demo.db"), "digest", "--week", "this"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert digest.returncode == 0  # no sources.toml needed to read the demo store
    assert "9 articles retenus" in digest.stdout
