from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.feedserver import FeedServer

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
WATCHCLI = Path(sys.executable).with_name("watchcli")

NETWORKS = """
[networks.cerapcoop]
name = "CERAPCOOP"
members = ["camille", "hugo"]

[networks.resacoop]
name = "RESACOOP"
members = ["lea", "malik"]
"""


@pytest.fixture(scope="session")
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


def rss(*items: dict[str, str], title: str = "Fixture feed") -> str:
    """A small RSS 2.0 document; each item a dict of title, link, guid, description, pubDate."""
    body = "".join(
        "<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in item.items()) + "</item>" for item in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://example.org/</link>{body}</channel></rss>"
    )


@dataclass
class Workspace:
    """A folder with a sources.toml and a store, and ways to run watchcli against them."""

    folder: Path

    @property
    def config(self) -> Path:
        return self.folder / "sources.toml"

    @property
    def db(self) -> Path:
        return self.folder / "watch.db"

    def write_config(self, sources: list[dict[str, object]], extra: str = "") -> Path:
        blocks = []
        for source in sources:
            lines = ["[[sources]]"]
            for key, value in source.items():
                if isinstance(value, str):
                    lines.append(f'{key} = "{value}"')
                elif isinstance(value, bool):
                    lines.append(f"{key} = {'true' if value else 'false'}")
                elif isinstance(value, list):
                    lines.append(
                        f"{key} = [{', '.join(repr(v).replace(chr(39), chr(34)) for v in value)}]"
                    )
                else:
                    lines.append(f"{key} = {value}")
            blocks.append("\n".join(lines))
        text = f'[store]\npath = "watch.db"\n{NETWORKS}\n{extra}\n' + "\n\n".join(blocks) + "\n"
        self.config.write_text(text, encoding="utf-8")
        return self.config

    def environment(self, user: str | None, env: dict[str, str] | None) -> dict[str, str]:
        """This workspace's config, `user` acting (None: nobody set), and `env` on top."""
        full_env = {**os.environ, "WATCHCLI_CONFIG": str(self.config), "COLUMNS": "200"}
        full_env.pop("WATCHCLI_DB", None)
        full_env.pop("WATCHCLI_USER", None)
        if user:
            full_env["WATCHCLI_USER"] = user
        full_env.update(env or {})
        return full_env

    def run(
        self,
        *args: str,
        user: str | None = "camille",
        env: dict[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """The installed `watchcli` in a subprocess, with this workspace's config and store."""
        full_env = self.environment(user, env)
        return subprocess.run(
            [str(WATCHCLI), *args],
            capture_output=True,
            text=True,
            env=full_env,
            cwd=self.folder,
            timeout=timeout,
        )


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)
