"""`sources.toml`, parsed once into frozen, typed values (SPEC §3).

Every problem is a ConfigError whose message starts with `file:line: `.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SCOPES = ("national", "international")


@dataclass(frozen=True)
class Network:
    id: str
    name: str
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    id: str
    url: str
    network: str | None = None  # the network that curates it
    scope: str = "national"  # one of SCOPES
    lang: str | None = None
    name: str | None = None
    tags: tuple[str, ...] = ()
    include: tuple[str, ...] = ()  # keep only entries matching one of these (when not empty)
    exclude: tuple[str, ...] = ()  # drop entries matching one of these
    dedupe: bool = True  # False: never near-duplicate-match this source's entries
    line: int = 0  # where the [[sources]] table starts, for messages


@dataclass(frozen=True)
class Rule:
    tag: str
    any: tuple[str, ...] = ()  # at least one of these words or phrases
    all: tuple[str, ...] = ()  # every one of these
    line: int = 0


@dataclass(frozen=True)
class Tags:
    labels: dict[str, str] = field(default_factory=dict)  # id -> label, in vocabulary order
    allow_other: bool = False  # whether `watchcli tag` accepts ids outside the vocabulary


@dataclass(frozen=True)
class FetchSettings:
    concurrency: int = 32
    per_host: int = 4
    timeout: float = 20.0  # connect and read, per request
    deadline: float = 600.0  # the whole run
    max_bytes: int = 15 * 1024 * 1024  # decompressed body cap


@dataclass(frozen=True)
class DedupeSettings:
    window_days: float = 3.0
    threshold: float = 0.0  # 0 means: the near-duplicate stage's own default


@dataclass(frozen=True)
class DigestSettings:
    title: str = "Veille mutualisée"
    locale: str = "fr_FR"
    templates: Path | None = None  # a folder whose files override the packaged templates


@dataclass(frozen=True)
class EmailSettings:
    host: str = ""
    port: int = 587
    starttls: bool = True
    ssl: bool = False  # implicit TLS (port 465)
    from_addr: str = ""
    to: tuple[str, ...] = ()
    username: str | None = None


@dataclass(frozen=True)
class Config:
    path: Path
    store_path: Path | None = None  # [store].path resolved against the file's folder
    networks: dict[str, Network] = field(default_factory=dict)
    tags: Tags = field(default_factory=Tags)
    rules: tuple[Rule, ...] = ()
    sources: tuple[Source, ...] = ()
    fetch: FetchSettings = field(default_factory=FetchSettings)
    dedupe: DedupeSettings = field(default_factory=DedupeSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    email: EmailSettings = field(default_factory=EmailSettings)

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)

    def network_of(self, member: str) -> str | None:
        """The id of the network `member` belongs to, or None."""
        return next((n.id for n in self.networks.values() if member in n.members), None)


def load_config(path: Path) -> Config:
    """Read and validate `path`; raise ConfigError("file:line: message") on any problem."""
    raise NotImplementedError
