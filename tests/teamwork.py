"""Helpers for the working-together tests: a workspace with two networks' sources, and items
stored through the real ingest path (no HTTP: the fetch tests cover that)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime

from tests.conftest import Workspace
from watchcli import cli
from watchcli.config import load_config
from watchcli.dates import utcnow
from watchcli.ingest import Ingester
from watchcli.models import Entry
from watchcli.store import Store

TAGS = """
[tags]
ecsi = "Éducation à la citoyenneté et à la solidarité internationale"
ssi = "Semaine de la solidarité internationale"
ong = "ONG"
afrique = "Afrique"
"""

SOURCES = [
    {"id": "cerap-feed", "url": "https://cerap.example/feed", "network": "cerapcoop"},
    {"id": "resa-feed", "url": "https://resa.example/feed", "network": "resacoop"},
    {"id": "neutral", "url": "https://neutral.example/feed"},
]


@dataclass
class FastWorkspace(Workspace):
    """A Workspace whose `run` calls the console script's `main()` in this process: the same
    code path, options, environment and exit codes, without starting Python each time. The
    tests that must see the installed script itself call `Workspace.run(ws, ...)`."""

    def run(
        self,
        *args: str,
        user: str | None = "camille",
        env: dict[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        full_env = self.environment(user, env)
        stdout, stderr = io.StringIO(), io.StringIO()
        saved = (dict(os.environ), sys.argv, os.getcwd(), cli.out.width)
        os.environ.clear()
        os.environ.update(full_env)
        sys.argv = ["watchcli", *args]
        os.chdir(self.folder)
        cli.out.width = 200
        code: int | str | None = 0
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                cli.main()
        except SystemExit as exit_:
            code = exit_.code
        finally:
            os.environ.clear()
            os.environ.update(saved[0])
            sys.argv = saved[1]
            os.chdir(saved[2])
            cli.out.width = saved[3]
        return subprocess.CompletedProcess(
            ["watchcli", *args], code or 0, stdout.getvalue(), stderr.getvalue()
        )


def entry(n: int, title: str = "", summary: str = "", when: datetime | None = None) -> Entry:
    return Entry(
        guid=f"https://news.example/{n}",
        url=f"https://news.example/{n}",
        link=f"https://news.example/{n}",
        title=title or f"Story {n}",
        summary=summary,
        published=when or utcnow(),
        dated=True,
    )


def setup(workspace: Workspace, extra: str = TAGS) -> None:
    workspace.write_config(SOURCES, extra=extra)


def seed(workspace: Workspace, source_id: str, *entries: Entry) -> list[int]:
    """Store `entries` as if `source_id` carried them; the ids of their items."""
    config = load_config(workspace.config)
    source = config.source(source_id)
    assert source is not None
    with Store.open(workspace.db) as store:
        store.sync_sources(config.sources)
        ingester = Ingester(store, config)
        with store.write():
            ingester.store_entries(source, tuple(entries), lang="fr", now=utcnow())
        ids = []
        for e in entries:
            match = store.find_sighting(source.id, e.guid)
            assert match is not None
            ids.append(match.item_id)
        return ids


def show(workspace: Workspace, item_id: int) -> dict:
    result = workspace.run("show", str(item_id), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def listed(workspace: Workspace, *args: str, user: str | None = "camille") -> list[int]:
    result = workspace.run("list", "--json", *args, user=user)
    assert result.returncode == 0, result.stderr
    return [item["id"] for item in json.loads(result.stdout)]


def lines(text: str) -> list[str]:
    return text.strip().splitlines() if text.strip() else []


def run_ok(workspace: Workspace, *args: str, user: str = "camille") -> subprocess.CompletedProcess:
    result = workspace.run(*args, user=user)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result
