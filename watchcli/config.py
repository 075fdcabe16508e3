"""`sources.toml`, parsed once into frozen, typed values (SPEC §3).

Every problem is a ConfigError whose message starts with `file:line: ` (or `file: ` when the file
cannot be read at all). `load_config` reads the file and nothing else: no global state, no output.

tomllib reports no positions, so `_locate` scans the raw text once after a successful parse and maps
every key path — `("sources", 2, "url")`, `("networks", "resacoop", "members", 1)` — to the line
where it is written; an error points at the longest prefix of its path that was found, i.e. the
offending key, else its table header.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import math
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError

SCOPES = ("national", "international")
KINDS = ("feed", "page")

# Source and network ids; tag ids (no '.' or '_', so the [tags] key `allow_other` stays apart).
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*")
TAG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")
LOCALE_PATTERN = re.compile(r"[a-z]{2}(_[A-Z]{2})?")
LANG_PATTERN = re.compile(r"[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*")


@dataclass(frozen=True)
class Network:
    id: str
    name: str
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pick:
    """One selector of a page source: a CSS selector, and the attribute to read when the
    value is not the element's content (`a@href` → css "a", attribute "href"). An empty
    `css` is the block itself (`@href`)."""

    css: str
    attribute: str | None = None


@dataclass(frozen=True)
class PageSelectors:
    """The `[sources.page]` table of a page source (README, "Pages without a feed")."""

    item: str  # the repeated block: one block is one entry
    title: Pick
    link: Pick
    date: Pick | None = None
    summary: Pick | None = None


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
    kind: str = "feed"  # one of KINDS
    page: PageSelectors | None = None  # for kind "page": where the entries are on the page


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

    def accepts(self, tag: str) -> bool:
        """Whether `watchcli tag` may add `tag`: in the vocabulary, or well-formed and allowed."""
        return tag in self.labels or (self.allow_other and TAG_PATTERN.fullmatch(tag) is not None)


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
    keep_days: int | None = None  # [store].keep_days: discarded items older are pruned
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
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file; create one (see README) or pass --config"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a sources.toml file") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise ConfigError(f"{path}:{line}: not valid UTF-8 (save the file as UTF-8)") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(_syntax_message(path, text, e)) from None
    return _Reader(Path(path), _locate(text)).config(data)


# --- Errors from the TOML parser -----------------------------------------------------------------


def _syntax_message(path: Path, text: str, error: tomllib.TOMLDecodeError) -> str:
    message = str(error)
    line = getattr(error, "lineno", None)
    if m := re.search(r"\s*\(at line (\d+), column \d+\)$", message):
        line = line or int(m.group(1))
        message = message[: m.start()]
    elif m := re.search(r"\s*\(at end of document\)$", message):
        line = line or max(1, len(text.splitlines()))
        message = message[: m.start()] + " at the end of the file"
    return f"{path}:{line or 1}: invalid TOML: {message}"


# --- Where each key is written -------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = re.compile(r"[,\]}\n#]")

KeyPath = tuple[str | int, ...]


def _locate(text: str) -> dict[KeyPath, int]:
    """Map every table, key and array element of valid TOML `text` to its 1-based line."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    found: dict[KeyPath, int] = {}
    arrays: dict[KeyPath, int] = {}  # array-of-tables path -> index of its current element
    n = len(text)

    def line_at(pos: int) -> int:
        return bisect.bisect_right(starts, pos)

    def record(path: KeyPath, pos: int) -> None:
        for k in range(1, len(path) + 1):
            found.setdefault(path[:k], line_at(pos))

    def skip_blank(pos: int, newlines: bool) -> int:
        while pos < n:
            c = text[pos]
            if c in " \t\r" or (newlines and c == "\n"):
                pos += 1
            elif c == "#" and newlines:
                pos = text.find("\n", pos)
                pos = n if pos < 0 else pos
            else:
                break
        return pos

    def string_end(pos: int) -> int:
        quote = text[pos]
        if text.startswith(quote * 3, pos):
            pos += 3
            while not text.startswith(quote * 3, pos):
                pos += 2 if quote == '"' and text[pos] == "\\" else 1
            pos += 3
            for _ in range(2):  # up to two quotes may close the content itself
                if pos < n and text[pos] == quote:
                    pos += 1
            return pos
        pos += 1
        while text[pos] != quote:
            pos += 2 if quote == '"' and text[pos] == "\\" else 1
        return pos + 1

    def key_end(pos: int) -> tuple[list[str], int]:
        parts: list[str] = []
        while True:
            pos = skip_blank(pos, newlines=False)
            if text[pos] in "\"'":
                end = string_end(pos)
                parts.append(tomllib.loads(f"k = {text[pos:end]}")["k"])
            else:
                m = _BARE_KEY.match(text, pos)
                assert m is not None
                end = m.end()
                parts.append(m.group())
            pos = skip_blank(end, newlines=False)
            if pos < n and text[pos] == ".":
                pos += 1
            else:
                return parts, pos

    def value_end(pos: int, path: KeyPath) -> int:
        pos = skip_blank(pos, newlines=False)
        c = text[pos]
        if c in "\"'":
            return string_end(pos)
        if c == "[":
            pos, index = pos + 1, 0
            while True:
                pos = skip_blank(pos, newlines=True)
                if text[pos] == "]":
                    return pos + 1
                record((*path, index), pos)
                pos = skip_blank(value_end(pos, (*path, index)), newlines=True)
                if text[pos] == ",":
                    pos, index = pos + 1, index + 1
        if c == "{":
            pos += 1
            while True:
                pos = skip_blank(pos, newlines=True)
                if text[pos] == "}":
                    return pos + 1
                start = pos
                parts, pos = key_end(pos)
                record((*path, *parts), start)
                pos = skip_blank(value_end(pos + 1, (*path, *parts)), newlines=True)
                if text[pos] == ",":
                    pos += 1
        m = _SCALAR_END.search(text, pos)
        return m.start() if m else n

    def resolve(parts: Iterable[str]) -> KeyPath:
        out: list[str | int] = []
        for part in parts:
            out.append(part)
            if tuple(out) in arrays:
                out.append(arrays[tuple(out)])
        return tuple(out)

    table: KeyPath = ()
    pos = 0
    while True:
        pos = skip_blank(pos, newlines=True)
        if pos >= n:
            return found
        start = pos
        if text.startswith("[[", pos):
            parts, pos = key_end(pos + 2)
            whole = (*resolve(parts[:-1]), parts[-1])
            arrays[whole] = arrays.get(whole, -1) + 1
            table = (*whole, arrays[whole])
            record(table, start)
            pos += 2
        elif text[pos] == "[":
            parts, pos = key_end(pos + 1)
            table = resolve(parts)
            record(table, start)
            pos += 1
        else:
            parts, pos = key_end(pos)
            record((*table, *parts), start)
            pos = value_end(pos + 1, (*table, *parts))


# --- Validation ----------------------------------------------------------------------------------

_TOP = ("store", "networks", "tags", "rules", "sources", "fetch", "dedupe", "digest", "email")
_STORE = ("path", "keep_days")
_NETWORK = ("name", "members")
_RULE = ("tag", "any", "all")
_SOURCE = (
    "id",
    "url",
    "network",
    "scope",
    "lang",
    "name",
    "tags",
    "include",
    "exclude",
    "dedupe",
    "kind",
    "page",
)
_PAGE = ("item", "title", "link", "date", "summary")
# An attribute after the last "@" of a selector: `a@href`, `time@datetime`, `@data-url`.
_PICK_RE = re.compile(r"(?P<css>.*?)\s*@\s*(?P<attribute>[A-Za-z_:][-A-Za-z0-9_:.]*)\s*")
_FETCH = ("concurrency", "per_host", "timeout", "deadline", "max_bytes")
_DEDUPE = ("window_days", "threshold")
_DIGEST = ("title", "locale", "templates")
_EMAIL = ("host", "port", "starttls", "ssl", "from", "to", "username")


def _type_name(value: object) -> str:
    kinds: list[tuple[type | tuple[type, ...], str]] = [
        (bool, "boolean"),
        (int, "integer"),
        (float, "float"),
        (str, "string"),
        (list, "list"),
        (dict, "table"),
        (dt.datetime, "date-time"),
        (dt.date, "date"),
        (dt.time, "time"),
    ]
    return next((name for kind, name in kinds if isinstance(value, kind)), type(value).__name__)


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class _Reader:
    """Turns parsed TOML into a Config, raising the first problem with its line."""

    def __init__(self, path: Path, lines: dict[KeyPath, int]) -> None:
        self.path = path
        self.lines = lines
        self.folder = path.absolute().parent

    # -- messages --

    def line(self, where: KeyPath) -> int:
        for k in range(len(where), 0, -1):
            if where[:k] in self.lines:
                return self.lines[where[:k]]
        return 1

    def error(self, where: KeyPath, message: str) -> ConfigError:
        return ConfigError(f"{self.path}:{self.line(where)}: {message}")

    def expected(self, where: KeyPath, what: str, value: object) -> ConfigError:
        name = next((p for p in reversed(where) if isinstance(p, str)), "value")
        return self.error(where, f"{name}: expected {what}, got {_type_name(value)}")

    # -- typed values --

    def table(self, where: KeyPath, value: object, allowed: tuple[str, ...], title: str) -> dict:
        if not isinstance(value, dict):
            raise self.expected(where, "a table", value)
        for key in value:
            if key not in allowed:
                raise self.error(
                    (*where, key),
                    f"unknown key '{key}' in {title}{_did_you_mean(key, allowed)}; "
                    f"allowed: {', '.join(allowed)}",
                )
        return value

    def string(self, where: KeyPath, value: object, empty: bool = False) -> str:
        if not isinstance(value, str):
            raise self.expected(where, "a string", value)
        if not empty and not value.strip():
            raise self.error(where, f"{where[-1]}: must not be empty")
        return value

    def strings(self, where: KeyPath, value: object) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.expected(where, "a list of strings", value)
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.expected((*where, i), "a list of strings", item)
            if not item.strip():
                raise self.error((*where, i), f"{where[-1]}: empty string in the list")
        return tuple(value)

    def boolean(self, where: KeyPath, value: object) -> bool:
        if not isinstance(value, bool):
            raise self.expected(where, "true or false", value)
        return value

    def integer(self, where: KeyPath, value: object, low: int, high: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.expected(where, "an integer", value)
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise self.error(where, f"{where[-1]}: must be {bounds}, got {value}")
        return value

    def number(
        self, where: KeyPath, value: object, ok: Callable[[float], bool], bounds: str
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.expected(where, "a number", value)
        if not math.isfinite(value) or not ok(value):
            raise self.error(where, f"{where[-1]}: must be {bounds}, got {value}")
        return float(value)

    def ident(self, where: KeyPath, value: str, what: str) -> str:
        if not ID_PATTERN.fullmatch(value):
            raise self.error(
                where,
                f"invalid {what} id '{value}': use lowercase letters, digits, '.', '_' and '-', "
                "starting with a letter or a digit",
            )
        return value

    def folder_path(self, value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.folder / p

    # -- tables --

    def config(self, data: dict[str, Any]) -> Config:
        for key, value in data.items():
            if key not in _TOP:
                kind = _type_name(value)
                what = f"table [{key}]" if kind == "table" else f"key '{key}' at the top level"
                if kind == "list" and value and all(isinstance(v, dict) for v in value):
                    what = f"table [[{key}]]"
                raise self.error(
                    (key,),
                    f"unknown {what}{_did_you_mean(key, _TOP)}; allowed tables: {', '.join(_TOP)}",
                )
        networks = self.networks(data.get("networks", {}))
        tags = self.tags(data.get("tags", {}))
        return Config(
            path=self.path,
            store_path=self.store(data["store"]) if "store" in data else None,
            keep_days=self.keep_days(data["store"]) if "store" in data else None,
            networks=networks,
            tags=tags,
            rules=self.rules(data.get("rules", []), tags),
            sources=self.sources(data.get("sources", []), networks, tags),
            fetch=self.fetch(data.get("fetch", {})),
            dedupe=self.dedupe(data.get("dedupe", {})),
            digest=self.digest(data.get("digest", {})),
            email=self.email(data.get("email", {})),
        )

    def store(self, value: object) -> Path | None:
        table = self.table(("store",), value, _STORE, "[store]")
        if "path" not in table:
            return None
        return self.folder_path(self.string(("store", "path"), table["path"]))

    def keep_days(self, value: object) -> int | None:
        table = self.table(("store",), value, _STORE, "[store]")
        if "keep_days" not in table:
            return None
        # At least a month: a feed still carrying a pruned entry would bring it back as new.
        return self.integer(("store", "keep_days"), table["keep_days"], 30)

    def networks(self, value: object) -> dict[str, Network]:
        if not isinstance(value, dict):
            raise self.expected(("networks",), "a table of [networks.<id>] tables", value)
        networks: dict[str, Network] = {}
        member_of: dict[str, tuple[str, int]] = {}  # member -> (network, line)
        for nid, body in value.items():
            where: KeyPath = ("networks", nid)
            self.ident(where, nid, "network")
            if not isinstance(body, dict):
                raise self.error(
                    where,
                    f"network '{nid}': expected a [networks.{nid}] table, got {_type_name(body)}",
                )
            self.table(where, body, _NETWORK, f"[networks.{nid}]")
            name = self.string((*where, "name"), body.get("name", nid))
            members = self.strings((*where, "members"), body.get("members", []))
            for i, member in enumerate(members):
                here: KeyPath = (*where, "members", i)
                if member != member.strip() or any(c.isspace() or ord(c) < 32 for c in member):
                    raise self.error(here, f"invalid member name '{member}': no spaces")
                if member == "watchcli":
                    raise self.error(
                        here,
                        "'watchcli' is the name the history gives to automatic changes at fetch; "
                        "choose another member name",
                    )
                if member in member_of:
                    other, line = member_of[member]
                    place = "twice in this network" if other == nid else f"in network '{other}' too"
                    raise self.error(
                        here,
                        f"member '{member}' is listed {place} (first at line {line}); "
                        "each analyst belongs to exactly one network",
                    )
                member_of[member] = (nid, self.line(here))
            networks[nid] = Network(id=nid, name=name, members=members)
        for member, (nid, _) in member_of.items():
            if member in networks:
                index = networks[nid].members.index(member)
                raise self.error(
                    ("networks", nid, "members", index),
                    f"member '{member}' has the name of a network; `assign --to {member}` could "
                    "not tell them apart: rename the member",
                )
        return networks

    def tags(self, value: object) -> Tags:
        if not isinstance(value, dict):
            raise self.expected(("tags",), 'a table of id = "label"', value)
        labels: dict[str, str] = {}
        allow_other = False
        for key, label in value.items():
            where: KeyPath = ("tags", key)
            if key == "allow_other":
                allow_other = self.boolean(where, label)
            elif not TAG_PATTERN.fullmatch(key):
                raise self.error(
                    where,
                    f"unknown key '{key}' in [tags]{_did_you_mean(key, ['allow_other'])}; "
                    "allowed: allow_other, and tag ids made of lowercase letters, digits and "
                    "'-' (starting with a letter or a digit)",
                )
            elif not isinstance(label, str):
                raise self.expected(where, "a string label", label)
            else:
                labels[key] = self.string(where, label)
        return Tags(labels=labels, allow_other=allow_other)

    def tag(self, where: KeyPath, tag: str, tags: Tags) -> str:
        if tag not in tags.labels:
            raise self.error(
                where, f"unknown tag '{tag}'{_did_you_mean(tag, tags.labels)}; add it to [tags]"
            )
        return tag

    def array_of_tables(self, name: str, value: object) -> list[dict]:
        if isinstance(value, dict):
            raise self.error(
                (name,), f"[{name}] must be an array of tables: write [[{name}]] for each one"
            )
        if not isinstance(value, list):
            raise self.expected((name,), f"[[{name}]] tables", value)
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.expected((name, i), f"[[{name}]] tables", item)
        return value

    def rules(self, value: object, tags: Tags) -> tuple[Rule, ...]:
        rules = []
        for i, body in enumerate(self.array_of_tables("rules", value)):
            where: KeyPath = ("rules", i)
            self.table(where, body, _RULE, "[[rules]]")
            if "tag" not in body:
                raise self.error(where, "[[rules]] without 'tag': which tag does it add?")
            tag = self.tag((*where, "tag"), self.string((*where, "tag"), body["tag"]), tags)
            any_ = self.strings((*where, "any"), body.get("any", []))
            all_ = self.strings((*where, "all"), body.get("all", []))
            if not any_ and not all_:
                raise self.error(
                    where, f"rule for tag '{tag}' needs at least one word in 'any' or 'all'"
                )
            rules.append(Rule(tag=tag, any=any_, all=all_, line=self.line(where)))
        return tuple(rules)

    def sources(
        self, value: object, networks: dict[str, Network], tags: Tags
    ) -> tuple[Source, ...]:
        sources: list[Source] = []
        ids: dict[str, int] = {}  # id -> line
        urls: dict[str, tuple[str, int]] = {}  # comparable url -> (id, line)
        for i, body in enumerate(self.array_of_tables("sources", value)):
            where: KeyPath = ("sources", i)
            self.table(where, body, _SOURCE, "[[sources]]")
            for required in ("id", "url"):
                if required not in body:
                    raise self.error(where, f"[[sources]] without '{required}'")
            sid = self.ident((*where, "id"), self.string((*where, "id"), body["id"]), "source")
            if sid in ids:
                raise self.error(
                    (*where, "id"), f"duplicate source id '{sid}' (first at line {ids[sid]})"
                )
            ids[sid] = self.line((*where, "id"))
            url = self.url((*where, "url"), self.string((*where, "url"), body["url"]))
            key = _comparable_url(url)
            if key in urls:
                other, line = urls[key]
                raise self.error(
                    (*where, "url"),
                    f"duplicate source url '{url}' (first at line {line}, source '{other}')",
                )
            urls[key] = (sid, self.line((*where, "url")))
            network = None
            if "network" in body:
                network = self.string((*where, "network"), body["network"])
                if network not in networks:
                    known = ", ".join(networks) or "none (add a [networks.<id>] table)"
                    raise self.error(
                        (*where, "network"),
                        f"unknown network '{network}'{_did_you_mean(network, networks)}; "
                        f"known: {known}",
                    )
            scope = self.string((*where, "scope"), body.get("scope", "national"))
            if scope not in SCOPES:
                raise self.error(
                    (*where, "scope"),
                    f"scope: '{scope}' is neither 'national' nor 'international'",
                )
            lang = None
            if "lang" in body:
                lang = self.string((*where, "lang"), body["lang"])
                if not LANG_PATTERN.fullmatch(lang):
                    raise self.error(
                        (*where, "lang"), f"lang: '{lang}' is not a language code like 'fr' or 'en'"
                    )
            name = self.string((*where, "name"), body["name"]) if "name" in body else None
            kind, page = self.kind_and_page(where, body)
            source_tags = self.strings((*where, "tags"), body.get("tags", []))
            for k, tag in enumerate(source_tags):
                self.tag((*where, "tags", k), tag, tags)
            sources.append(
                Source(
                    id=sid,
                    url=url,
                    network=network,
                    scope=scope,
                    lang=lang,
                    name=name,
                    tags=source_tags,
                    include=self.strings((*where, "include"), body.get("include", [])),
                    exclude=self.strings((*where, "exclude"), body.get("exclude", [])),
                    dedupe=self.boolean((*where, "dedupe"), body.get("dedupe", True)),
                    line=self.line(where),
                    kind=kind,
                    page=page,
                )
            )
        return tuple(sources)

    def kind_and_page(self, where: KeyPath, body: dict) -> tuple[str, PageSelectors | None]:
        kind = self.string((*where, "kind"), body.get("kind", "feed"))
        if kind not in KINDS:
            raise self.error(
                (*where, "kind"),
                f"kind: '{kind}' is neither 'feed' nor 'page'{_did_you_mean(kind, KINDS)}",
            )
        if kind == "feed":
            if "page" in body:
                raise self.error(
                    (*where, "page"),
                    'a [sources.page] table is for page sources: add kind = "page" to this source',
                )
            return kind, None
        if "page" not in body:
            raise self.error(
                where,
                'kind = "page" needs a [sources.page] table with at least item, title and link '
                "selectors (see README)",
            )
        return kind, self.page_selectors((*where, "page"), body["page"])

    def page_selectors(self, where: KeyPath, value: object) -> PageSelectors:
        # Imported here: only a configuration with page sources pays for the HTML parser.
        from watchcli.page import selector_problem

        table = self.table(where, value, _PAGE, "[sources.page]")
        for required in ("item", "title", "link"):
            if required not in table:
                raise self.error(
                    where,
                    f"[sources.page] without '{required}': every page source needs item, "
                    "title and link selectors",
                )

        def css(key: str, text: str) -> str:
            problem = selector_problem(text)
            if problem:
                raise self.error((*where, key), f"{key}: invalid CSS selector '{text}': {problem}")
            return text

        def pick(key: str) -> Pick:
            text = self.string((*where, key), table[key]).strip()
            m = _PICK_RE.fullmatch(text)
            if m is None:
                return Pick(css(key, text))
            selector = m.group("css")
            return Pick(css(key, selector) if selector else "", m.group("attribute").lower())

        item = self.string((*where, "item"), table["item"]).strip()
        if "@" in item and _PICK_RE.fullmatch(item):
            raise self.error(
                (*where, "item"),
                "item: selects the repeated block itself; read attributes in title, link, date "
                'or summary (such as link = "a@href")',
            )
        return PageSelectors(
            item=css("item", item),
            title=pick("title"),
            link=pick("link"),
            date=pick("date") if "date" in table else None,
            summary=pick("summary") if "summary" in table else None,
        )

    def url(self, where: KeyPath, url: str) -> str:
        problem = None
        if url != url.strip() or any(c.isspace() for c in url):
            problem = "contains spaces"
        else:
            try:
                parts = urlsplit(url)
                parts.port  # noqa: B018 - raises ValueError on a bad port
            except ValueError as e:
                problem = str(e)
            else:
                if parts.scheme.lower() not in ("http", "https"):
                    problem = "must start with http:// or https://"
                elif not parts.hostname:
                    problem = "has no host name"
        if problem:
            raise self.error(where, f"bad url '{url}': {problem}")
        return url

    def fetch(self, value: object) -> FetchSettings:
        t = self.table(("fetch",), value, _FETCH, "[fetch]")
        d = FetchSettings()

        def get(key: str) -> object:
            return t.get(key, getattr(d, key))

        def seconds(key: str) -> float:
            return self.number(("fetch", key), get(key), lambda x: x > 0, "more than 0 seconds")

        return FetchSettings(
            concurrency=self.integer(("fetch", "concurrency"), get("concurrency"), 1, 256),
            per_host=self.integer(("fetch", "per_host"), get("per_host"), 1, 64),
            timeout=seconds("timeout"),
            deadline=seconds("deadline"),
            max_bytes=self.integer(("fetch", "max_bytes"), get("max_bytes"), 1024),
        )

    def dedupe(self, value: object) -> DedupeSettings:
        t = self.table(("dedupe",), value, _DEDUPE, "[dedupe]")
        d = DedupeSettings()
        window = t.get("window_days", d.window_days)
        threshold = t.get("threshold", d.threshold)
        return DedupeSettings(
            window_days=self.number(
                ("dedupe", "window_days"), window, lambda x: x > 0, "more than 0 days"
            ),
            threshold=self.number(
                ("dedupe", "threshold"), threshold, lambda x: 0 <= x <= 1, "between 0 and 1"
            ),
        )

    def digest(self, value: object) -> DigestSettings:
        t = self.table(("digest",), value, _DIGEST, "[digest]")
        d = DigestSettings()
        locale = self.string(("digest", "locale"), t.get("locale", d.locale))
        if not LOCALE_PATTERN.fullmatch(locale):
            raise self.error(
                ("digest", "locale"), f"locale: '{locale}' is not a locale like 'fr' or 'fr_FR'"
            )
        templates = None
        if "templates" in t:
            templates = self.folder_path(self.string(("digest", "templates"), t["templates"]))
        return DigestSettings(
            title=self.string(("digest", "title"), t.get("title", d.title)),
            locale=locale,
            templates=templates,
        )

    def email(self, value: object) -> EmailSettings:
        if isinstance(value, dict) and "password" in value:
            raise self.error(
                ("email", "password"),
                "password: the SMTP password is read from WATCHCLI_SMTP_PASSWORD, "
                "never from this file",
            )
        t = self.table(("email",), value, _EMAIL, "[email]")
        d = EmailSettings()
        ssl = self.boolean(("email", "ssl"), t.get("ssl", d.ssl))
        # Implicit TLS replaces STARTTLS, so `ssl = true` alone turns the STARTTLS default off.
        starttls = self.boolean(("email", "starttls"), t.get("starttls", not ssl))
        if ssl and starttls:
            raise self.error(
                ("email", "starttls"),
                "starttls and ssl are exclusive: ssl is implicit TLS (port 465), starttls "
                "upgrades a plain connection (port 587)",
            )
        from_addr = d.from_addr
        if "from" in t:
            from_addr = self.address(("email", "from"), t["from"])
        to = t.get("to", [])
        if isinstance(to, str):
            to = [to]
        elif not isinstance(to, list):
            raise self.expected(("email", "to"), "an address or a list of addresses", to)
        recipients = tuple(self.address(("email", "to", i), a) for i, a in enumerate(to))
        username = None
        if "username" in t:
            username = self.string(("email", "username"), t["username"])
        return EmailSettings(
            host=self.string(("email", "host"), t.get("host", d.host), empty=True).strip(),
            port=self.integer(("email", "port"), t.get("port", d.port), 1, 65535),
            starttls=starttls,
            ssl=ssl,
            from_addr=from_addr,
            to=recipients,
            username=username,
        )

    def address(self, where: KeyPath, value: object) -> str:
        if not isinstance(value, str):
            raise self.expected(where, "an email address", value)
        _, addr = parseaddr(value)
        if "@" not in addr or any(c.isspace() for c in addr):
            raise self.error(where, f"'{value}' is not an email address")
        return value


def _comparable_url(url: str) -> str:
    """`url` with the parts that never tell two feeds apart (case of scheme and host) folded."""
    parts = urlsplit(url)
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()
