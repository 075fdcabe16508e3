"""load_config: every refusal with its line, a full round trip, and the shipped sources.toml."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchcli.config import (
    TAG_PATTERN,
    Config,
    DedupeSettings,
    DigestSettings,
    EmailSettings,
    FetchSettings,
    Network,
    Rule,
    Source,
    Tags,
    load_config,
)
from watchcli.errors import ConfigError, UsageError

SHIPPED = Path(__file__).resolve().parents[1] / "sources.toml"

NETWORKS = """\
[networks.cerapcoop]
name = "CERAPCOOP"
members = ["cerap-1"]

[networks.resacoop]
name = "RESACOOP"
members = ["resa-1"]
"""  # 7 lines

TAGS = """\
[tags]
ong = "ONG"
ssi = "Semaine de la solidarité internationale"
"""  # 3 lines: NETWORKS + TAGS end on line 10, so a snippet after them starts on line 11


def write(tmp_path: Path, text: str, name: str = "sources.toml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def refusal(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:"), message
    return message[len(f"{path}:") :]


# (name, TOML after the NETWORKS and TAGS prelude, expected line, fragment of the message);
# a snippet that starts with a key goes on with the [tags] table.
REFUSALS = [
    (
        "unknown table",
        "[sourcse]\nid = 'a'\n",
        11,
        "unknown table [sourcse] (did you mean 'sources'?)",
    ),
    ("unknown array of tables", "[[source]]\nid = 'a'\n", 11, "unknown table [[source]]"),
    ("sources as a table", "[sources]\nid = 'a'\n", 11, "write [[sources]]"),
    (
        "unknown key with did you mean",
        "[fetch]\nconcurrency = 4\ntimout = 3\n",
        13,
        "unknown key 'timout' in [fetch] (did you mean 'timeout'?); allowed: concurrency, "
        "per_host, timeout, deadline, max_bytes",
    ),
    (
        "unknown key in the second source",
        "[[sources]]\nid = 'a'\nurl = 'https://a.org/feed'\n\n"
        "[[sources]]\nid = 'b'\nurl = 'https://b.org/feed'\nnetwrok = 'resacoop'\n",
        18,
        "unknown key 'netwrok' in [[sources]] (did you mean 'network'?)",
    ),
    ("unknown key in a rule", "[[rules]]\ntag = 'ong'\nwords = ['x']\n", 13, "unknown key 'words'"),
    ("unknown key in [store]", "[store]\nfile = 'watch.db'\n", 12, "allowed: path"),
    ("unknown key in [dedupe]", "[dedupe]\nwindow = 3\n", 12, "did you mean 'window_days'?"),
    ("unknown key in [digest]", "[digest]\ntitel = 'x'\n", 12, "did you mean 'title'?"),
    ("unknown key in [email]", "[email]\nhost = 'h'\nsender = 'a@b.org'\n", 13, "'sender'"),
    ("sub-table of a known table", "[fetch.extra]\nx = 1\n", 11, "unknown key 'extra' in [fetch]"),
    ("dotted key", "[fetch]\n\nretries.max = 3\n", 13, "unknown key 'retries' in [fetch]"),
    (
        "not a tag id in [tags]",
        "allow_others = true\n",
        11,
        "unknown key 'allow_others' in [tags] (did you mean 'allow_other'?)",
    ),
    ("tag id with capitals", "ONG = 'x'\n", 11, "unknown key 'ONG' in [tags]"),
    ("allow_other not a boolean", "allow_other = 'yes'\n", 11, "expected true or false"),
    ("tag label not a string", "climat = 3\n", 11, "climat: expected a string label"),
    ("empty tag label", "climat = ' '\n", 11, "must not be empty"),
    (
        "members not a list",
        "[networks.other]\nmembers = 3\n",
        12,
        "members: expected a list of strings, got integer",
    ),
    (
        "member not a string, on its own line",
        "[networks.other]\nmembers = [\n  'a',\n  2,\n]\n",
        14,
        "members: expected a list of strings, got integer",
    ),
    (
        "source tags given as a string",
        "[[sources]]\nid = 'a'\nurl = 'https://a.org/'\ntags = 'ong'\n",
        14,
        "tags: expected a list of strings, got string",
    ),
    ("port as a string", "[email]\nport = '587'\n", 12, "port: expected an integer, got string"),
    (
        "boolean as a number",
        "[fetch]\nconcurrency = true\n",
        12,
        "expected an integer, got boolean",
    ),
    ("starttls not a boolean", "[email]\nstarttls = 'yes'\n", 12, "expected true or false"),
    ("timeout as a string", "[fetch]\ntimeout = '20'\n", 12, "timeout: expected a number"),
    ("network name", "[networks.other]\nname = 1\n", 12, "name: expected a string, got integer"),
    ("network not a table", "[networks]\nother = 'x'\n", 12, "network 'other': expected"),
    ("store path", "[store]\npath = 1\n", 12, "path: expected a string, got integer"),
    (
        "include with an empty word",
        "[[sources]]\nid = 'a'\nurl = 'https://a.org/'\ninclude = ['']\n",
        14,
        "include: empty string",
    ),
    (
        "duplicate source id",
        "[[sources]]\nid = 'a'\nurl = 'https://a.org/'\n\n[[sources]]\nid = 'a'\n"
        "url = 'https://b.org/'\n",
        16,
        "duplicate source id 'a' (first at line 12)",
    ),
    (
        "duplicate source url",
        "[[sources]]\nid = 'a'\nurl = 'https://a.org/feed'\n\n[[sources]]\nid = 'b'\n"
        "url = 'HTTPS://A.org/feed'\n",
        17,
        "duplicate source url 'HTTPS://A.org/feed' (first at line 13, source 'a')",
    ),
    ("source without id", "[[sources]]\nurl = 'https://a.org/'\n", 11, "without 'id'"),
    ("source without url", "[[sources]]\nid = 'a'\n", 11, "without 'url'"),
    ("ftp url", "[[sources]]\nid = 'a'\nurl = 'ftp://a.org/f'\n", 13, "bad url 'ftp://a.org/f'"),
    ("url without host", "[[sources]]\nid = 'a'\nurl = 'https:///feed'\n", 13, "has no host"),
    ("url without scheme", "[[sources]]\nid = 'a'\nurl = 'a.org/feed'\n", 13, "bad url"),
    ("url with spaces", "[[sources]]\nid = 'a'\nurl = 'https://a.org/a b'\n", 13, "spaces"),
    ("url with a bad port", "[[sources]]\nid = 'a'\nurl = 'https://a.org:99999/'\n", 13, "bad"),
    (
        "unknown network",
        "[[sources]]\nid = 'a'\nurl = 'https://a.org/'\nnetwork = 'resacop'\n",
        14,
        "unknown network 'resacop' (did you mean 'resacoop'?); known: cerapcoop, resacoop",
    ),
    (
        "unknown tag in a source, on its own line",
        "[[sources]]\nid = 'a'\nurl = 'https://a.org/'\ntags = [\n  'ong',\n  'ngo',\n]\n",
        16,
        "unknown tag 'ngo'",
    ),
    (
        "unknown tag in a rule",
        "[[rules]]\ntag = 'climat'\nany = ['COP30']\n",
        12,
        "unknown tag 'climat'; add it to [tags]",
    ),
    ("rule without words", "[[rules]]\ntag = 'ssi'\nany = []\n", 11, "at least one word"),
    ("rule without tag", "[[rules]]\nany = ['x']\n", 11, "without 'tag'"),
    ("rule words not strings", "[[rules]]\ntag = 'ssi'\nall = [1]\n", 13, "all: expected a list"),
    ("rules as a table", "[rules]\ntag = 'ssi'\n", 11, "write [[rules]]"),
    (
        "bad scope",
        "[[sources]]\nid = 'a'\nurl = 'https://a.org/'\nscope = 'local'\n",
        14,
        "scope: 'local' is neither",
    ),
    ("bad lang", "[[sources]]\nid = 'a'\nurl = 'https://a.org/'\nlang = 'French'\n", 14, "lang"),
    (
        "invalid source id",
        "[[sources]]\nid = 'Le Monde'\nurl = 'https://a.org/'\n",
        12,
        "invalid source id 'Le Monde'",
    ),
    (
        "source id starting with '-'",
        "[[sources]]\nid = '-a'\nurl = 'https://a.org/'\n",
        12,
        "invalid source id",
    ),
    ("invalid network id", "[networks.Autre]\nname = 'x'\n", 11, "invalid network id 'Autre'"),
    (
        "member in two networks",
        "[networks.other]\nmembers = ['x', 'cerap-1']\n",
        12,
        "member 'cerap-1' is listed in network 'cerapcoop' too (first at line 3)",
    ),
    (
        "member twice in one network",
        "[networks.other]\nmembers = [\n  'x',\n  'x',\n]\n",
        14,
        "member 'x' is listed twice in this network (first at line 13)",
    ),
    (
        "member named like the automatic actor",
        "[networks.other]\nmembers = ['watchcli']\n",
        12,
        "'watchcli' is the name the history gives to automatic changes",
    ),
    (
        "member named like a network",
        "[networks.other]\nmembers = ['resacoop']\n",
        12,
        "member 'resacoop' has the name of a network",
    ),
    ("member with a space", "[networks.other]\nmembers = ['jean dupont']\n", 12, "no spaces"),
    (
        "password in [email]",
        "[email]\nhost = 'smtp.example.org'\npassword = 'secret'\n",
        13,
        "the SMTP password is read from WATCHCLI_SMTP_PASSWORD, never from this file",
    ),
    ("concurrency 0", "[fetch]\nconcurrency = 0\n", 12, "concurrency: must be between 1 and 256"),
    ("concurrency 257", "[fetch]\nconcurrency = 257\n", 12, "between 1 and 256, got 257"),
    ("concurrency float", "[fetch]\nconcurrency = 2.5\n", 12, "expected an integer, got float"),
    ("per_host 65", "[fetch]\nper_host = 65\n", 12, "per_host: must be between 1 and 64"),
    ("per_host 0", "[fetch]\nper_host = 0\n", 12, "per_host: must be between 1 and 64"),
    ("timeout 0", "[fetch]\ntimeout = 0\n", 12, "timeout: must be more than 0"),
    ("timeout negative", "[fetch]\ntimeout = -1.5\n", 12, "timeout: must be more than 0"),
    ("timeout infinite", "[fetch]\ntimeout = inf\n", 12, "timeout: must be more than 0"),
    ("deadline 0", "[fetch]\ndeadline = 0\n", 12, "deadline: must be more than 0"),
    ("max_bytes 1023", "[fetch]\nmax_bytes = 1023\n", 12, "max_bytes: must be at least 1024"),
    ("window_days 0", "[dedupe]\nwindow_days = 0\n", 12, "window_days: must be more than 0"),
    ("threshold 1.5", "[dedupe]\nthreshold = 1.5\n", 12, "threshold: must be between 0 and 1"),
    ("threshold -0.1", "[dedupe]\nthreshold = -0.1\n", 12, "threshold: must be between 0 and 1"),
    ("locale with a dash", "[digest]\nlocale = 'fr-FR'\n", 12, "locale: 'fr-FR' is not a locale"),
    ("locale as a word", "[digest]\nlocale = 'french'\n", 12, "is not a locale"),
    ("empty title", "[digest]\ntitle = ''\n", 12, "title: must not be empty"),
    ("port 0", "[email]\nport = 0\n", 12, "port: must be between 1 and 65535"),
    ("ssl and starttls", "[email]\nssl = true\nstarttls = true\n", 13, "exclusive"),
    ("bad from", "[email]\nfrom = 'veille'\n", 12, "'veille' is not an email address"),
    ("bad recipient", "[email]\nto = [\n  'a@b.org',\n  'b',\n]\n", 14, "'b' is not an email"),
    ("to as a number", "[email]\nto = 3\n", 12, "to: expected an address or a list"),
]


@pytest.mark.parametrize(
    ("snippet", "line", "fragment"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_refusals_name_the_line_and_the_problem(
    tmp_path: Path, snippet: str, line: int, fragment: str
) -> None:
    message = refusal(tmp_path, NETWORKS + TAGS + snippet)
    assert message.startswith(f"{line}: "), message
    assert fragment in message


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (
            "\n\nverbose = true\n[fetch]\n",
            3,
            "unknown key 'verbose' at the top level; allowed tables",
        ),
        ("fetch = 3\n", 1, "fetch: expected a table, got integer"),
        ("fetch.timout = 3\n", 1, "unknown key 'timout' in [fetch]"),
        ("[sources.x]\n", 1, "write [[sources]]"),
        ("networks = []\n", 1, "networks: expected a table of [networks.<id>] tables, got list"),
        ("tags = 'x'\n", 1, "tags: expected a table"),
        ("\n[networks.a]\n[networks.b]\nmembers = ['a']\n", 4, "member 'a' has the name"),
        (
            "sources = [\n  { id = 'a', url = 'https://a.org/' },\n"
            "  { id = 'b', url = 'gopher:b' },\n]",
            3,
            "bad url 'gopher:b'",
        ),
    ],
)
def test_top_level_refusals(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    message = refusal(tmp_path, text)
    assert message.startswith(f"{line}: "), message
    assert fragment in message


def test_config_error_is_a_usage_error_exit_2() -> None:
    assert issubclass(ConfigError, UsageError)
    assert ConfigError.exit_code == 2


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: no such file; create one (see README) or pass --config"


def test_path_in_messages_is_the_one_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "[fetch]\nfoo = 1\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"^sources\.toml:2: unknown key 'foo'"):
        load_config(Path("sources.toml"))


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[store]\npath = 'x'\n\n[fetch\n", 4),
        ("a = 1\na = 2\n", 2),
        ("[[sources]]\nid = 'a'\nurl = \n", 3),
        ('[digest]\ntitle = "unterminated\n', 2),
    ],
)
def test_toml_syntax_error_uses_the_parser_line(tmp_path: Path, text: str, line: int) -> None:
    message = refusal(tmp_path, text)
    assert message.startswith(f"{line}: invalid TOML: "), message
    assert "(at line" not in message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes(b"[digest]\n\ntitle = 'Veille mutualis\xe9e'\n")
    with pytest.raises(ConfigError, match=r":3: not valid UTF-8"):
        load_config(path)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes("\ufeff[digest]\ntitle = 'Veille'\n".encode())
    assert load_config(path).digest.title == "Veille"


def test_lines_survive_tricky_toml(tmp_path: Path) -> None:
    """Headers and keys inside strings, comments and multi-line arrays are not counted."""
    text = textwrap.dedent('''\
        # [[sources]] in a comment
        [tags]
        ong = "ONG # not a comment"
        "quoted-tag" = 'x'

        [[sources]]
        id = "a"
        url = "https://a.org/"
        name = """
        [[sources]]
        id = "fake"
        """
        include = [
          "[[sources]]",  # a comment ]
          'id = "x"',
        ]
        exclude = [[1], [2]] # a comment
        scope = "international"

        [[sources]]
        id = "b"
        url = "https://b.org/"
        name = \'\'\'it's [not] a header\'\'\'
        tags = ["ong", "nope"]
        ''')
    assert text.count("\n") == 24
    message = refusal(tmp_path, text)
    assert message.startswith("17: exclude: expected a list of strings, got list"), message
    text = text.replace("exclude = [[1], [2]] # a comment", "exclude = []")
    message = refusal(tmp_path, text)
    assert message.startswith("24: unknown tag 'nope'"), message


FULL = """\
[store]
path = "data/watch.db"

[networks.cerapcoop]
name = "CERAPCOOP"
members = ["alice", "bob"]

[networks.resacoop]
name = "RESACOOP"
members = []

[networks.autre]

[tags]
ecsi = "Éducation à la citoyenneté et à la solidarité internationale"
ssi = "Semaine de la solidarité internationale"
ong = "ONG"
allow_other = true

[[rules]]
tag = "ssi"
any = ["semaine de la solidarité internationale", "festisol"]

[[rules]]
tag = "ecsi"
all = ["éducation", "citoyenneté"]
any = ["ECSI"]

[[sources]]
id = "coordination-sud"
url = "https://www.coordinationsud.org/feed/"
network = "resacoop"
scope = "national"
lang = "fr"
name = "Coordination SUD"
tags = ["ong"]
include = ["Solidarité", "aide au développement"]
exclude = ["offre d'emploi"]

[[sources]]
id = "gdacs"
url = "https://www.gdacs.org/xml/rss.xml"
scope = "international"
dedupe = false

[fetch]
concurrency = 8
per_host = 2
timeout = 5
deadline = 120.5
max_bytes = 1024

[dedupe]
window_days = 2
threshold = 0.8

[digest]
title = "Veille"
locale = "fr"
templates = "templates"

[email]
host = "smtp.example.org"
port = 465
ssl = true
from = "Veille <veille@example.org>"
to = "equipe@example.org"
username = "veille"
"""


def test_full_example_round_trips(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    assert load_config(path) == Config(
        path=path,
        store_path=tmp_path / "data" / "watch.db",
        networks={
            "cerapcoop": Network("cerapcoop", "CERAPCOOP", ("alice", "bob")),
            "resacoop": Network("resacoop", "RESACOOP", ()),
            "autre": Network("autre", "autre", ()),
        },
        tags=Tags(
            labels={
                "ecsi": "Éducation à la citoyenneté et à la solidarité internationale",
                "ssi": "Semaine de la solidarité internationale",
                "ong": "ONG",
            },
            allow_other=True,
        ),
        rules=(
            Rule("ssi", any=("semaine de la solidarité internationale", "festisol"), line=20),
            Rule("ecsi", any=("ECSI",), all=("éducation", "citoyenneté"), line=24),
        ),
        sources=(
            Source(
                id="coordination-sud",
                url="https://www.coordinationsud.org/feed/",
                network="resacoop",
                scope="national",
                lang="fr",
                name="Coordination SUD",
                tags=("ong",),
                include=("Solidarité", "aide au développement"),
                exclude=("offre d'emploi",),
                line=29,
            ),
            Source(
                id="gdacs",
                url="https://www.gdacs.org/xml/rss.xml",
                scope="international",
                dedupe=False,
                line=40,
            ),
        ),
        fetch=FetchSettings(concurrency=8, per_host=2, timeout=5.0, deadline=120.5, max_bytes=1024),
        dedupe=DedupeSettings(window_days=2.0, threshold=0.8),
        digest=DigestSettings(title="Veille", locale="fr", templates=tmp_path / "templates"),
        email=EmailSettings(
            host="smtp.example.org",
            port=465,
            starttls=False,  # implied by ssl = true
            ssl=True,
            from_addr="Veille <veille@example.org>",
            to=("equipe@example.org",),
            username="veille",
        ),
    )


def test_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "# nothing yet\n")
    assert load_config(path) == Config(path=path)
    assert Config(path=path).email.starttls is True


def test_types_of_numbers(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[fetch]\ntimeout = 3\n[dedupe]\nthreshold = 1\n"))
    assert isinstance(config.fetch.timeout, float)
    assert isinstance(config.dedupe.threshold, float)


def test_relative_paths_resolve_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "[store]\npath = 'watch.db'\n[digest]\ntemplates = '../tpl'\n", "conf/a.toml")
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("conf/a.toml"))
    assert config.path == Path("conf/a.toml")
    assert config.store_path == tmp_path / "conf" / "watch.db"
    assert config.digest.templates == tmp_path / "conf" / ".." / "tpl"
    assert config.store_path.is_absolute()


def test_absolute_paths_are_kept(tmp_path: Path) -> None:
    db = tmp_path / "elsewhere" / "w.db"
    config = load_config(write(tmp_path, f"[store]\npath = '{db}'\n", "conf/a.toml"))
    assert config.store_path == db
    assert config.digest.templates is None


def test_no_store_table_means_no_store_path(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "[store]\n")).store_path is None
    assert load_config(write(tmp_path, "")).store_path is None


def test_sources_without_network_and_empty_members(tmp_path: Path) -> None:
    text = "[networks.x]\nmembers = []\n[[sources]]\nid = 'a.b_c-1'\nurl = 'http://a.org'\n"
    config = load_config(write(tmp_path, text))
    assert config.networks["x"].members == ()
    assert config.source("a.b_c-1") == Source(id="a.b_c-1", url="http://a.org", line=3)
    assert config.source("nope") is None


def test_email_to_as_a_list_and_starttls_default(tmp_path: Path) -> None:
    text = "[email]\nto = ['a@b.org', 'C <c@d.org>']\n"
    email = load_config(write(tmp_path, text)).email
    assert email.to == ("a@b.org", "C <c@d.org>")
    assert (email.starttls, email.ssl, email.port) == (True, False, 587)


def test_tags_accepts() -> None:
    closed = Tags(labels={"ong": "ONG"})
    opened = Tags(labels={"ong": "ONG"}, allow_other=True)
    assert closed.accepts("ong") and not closed.accepts("climat")
    assert opened.accepts("climat") and not opened.accepts("Not A Tag")


def test_network_of(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, NETWORKS))
    assert config.network_of("resa-1") == "resacoop"
    assert config.network_of("someone") is None


# --- The shipped sources.toml ---


def test_shipped_sources_toml_loads() -> None:
    config = load_config(SHIPPED)
    assert set(config.networks) == {"cerapcoop", "resacoop"}
    assert config.networks["cerapcoop"].name == "CERAPCOOP"
    assert config.networks["resacoop"].name == "RESACOOP"
    assert len(config.sources) >= 10
    assert {s.network for s in config.sources} == {"cerapcoop", "resacoop"}
    assert {s.scope for s in config.sources} == {"national", "international"}
    assert config.store_path == SHIPPED.parent / "watch.db"
    assert config.digest.title == "Veille mutualisée CERAPCOOP – RESACOOP"
    assert config.digest.locale == "fr_FR"
    assert list(config.tags.labels)[:2] == ["ecsi", "ssi"]
    for tag in ("apd", "cooperation-decentralisee", "humanitaire", "migrations", "climat"):
        assert tag in config.tags.labels
    assert len(config.rules) >= 12
    for rule in config.rules:
        assert rule.tag in config.tags.labels
    for source in config.sources:
        assert set(source.tags) <= set(config.tags.labels)
    assert config.email.host.endswith("example.org")


def test_shipped_unverified_sources_are_commented_out() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    ids = {s.id for s in load_config(SHIPPED).sources}
    for guessed in ("focus2030.org", "ritimo.org", "festivaldessolidarites.org", "grotius.fr"):
        line = next(x for x in text.splitlines() if guessed in x)
        assert line.startswith("#") and "unverified" in line
    assert not ids & {"focus-2030", "ritimo", "festisol", "grotius"}


# --- Any unknown key, anywhere, is refused on its own line ---

BASE = [
    ("", ()),
    ("[store]\npath = 'watch.db'\n", ("path",)),
    ("[networks.cerapcoop]\nname = 'CERAPCOOP'\nmembers = ['a', 'b']\n", ("name", "members")),
    ("[tags]\nong = 'ONG'\nallow_other = false\n", ("allow_other",)),
    ("[[rules]]\ntag = 'ong'\nany = ['ONG']\nall = []\n", ("tag", "any", "all")),
    (
        "[[sources]]\nid = 'a'\nurl = 'https://a.org/'\nnetwork = 'cerapcoop'\nscope = 'national'\n"
        "lang = 'fr'\nname = 'A'\ntags = ['ong']\ninclude = []\nexclude = []\ndedupe = true\n",
        ("id", "url", "network", "scope", "lang", "name", "tags", "include", "exclude", "dedupe"),
    ),
    (
        "[[sources]]\nid = 'b'\nurl = 'https://b.org/'\n",
        ("id", "url", "network", "scope", "lang", "name", "tags", "include", "exclude", "dedupe"),
    ),
    (
        "[fetch]\nconcurrency = 4\nper_host = 2\ntimeout = 3\ndeadline = 60\nmax_bytes = 4096\n",
        ("concurrency", "per_host", "timeout", "deadline", "max_bytes"),
    ),
    ("[dedupe]\nwindow_days = 3\nthreshold = 0.5\n", ("window_days", "threshold")),
    (
        "[digest]\ntitle = 'V'\nlocale = 'fr_FR'\ntemplates = 't'\n",
        ("title", "locale", "templates"),
    ),
    (
        "[email]\nhost = 'h'\nport = 25\nstarttls = false\nssl = false\nfrom = 'a@b.org'\n"
        "to = ['c@d.org']\nusername = 'u'\n",
        ("host", "port", "starttls", "ssl", "from", "to", "username", "password"),
    ),
]
TOP_LEVEL = ("store", "networks", "tags", "rules", "sources", "fetch", "dedupe", "digest", "email")


def test_base_is_valid(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "".join(block for block, _ in BASE)))
    assert [s.id for s in config.sources] == ["a", "b"]


@st.composite
def unknown_key_insertions(draw: st.DrawFn) -> tuple[str, int, str]:
    index = draw(st.integers(0, len(BASE) - 1))
    block, allowed = BASE[index]
    if block.startswith("[tags]"):
        key = draw(st.from_regex(r"[a-z][a-z0-9]{0,6}_[a-z0-9_]{0,6}", fullmatch=True))
    else:
        key = draw(st.from_regex(r"[a-z][a-z0-9_-]{0,15}", fullmatch=True))
    excluded = TOP_LEVEL if index == 0 else allowed
    if key in excluded or (block.startswith("[tags]") and TAG_PATTERN.fullmatch(key)):
        key = f"{key}_x"
    if draw(st.booleans()):
        key = f'"{key}"'
    value = draw(st.sampled_from(["1", "'x'", "true", "[1, 'a']", "{ a = 1 }", "1979-05-27"]))
    before = "".join(b for b, _ in BASE[:index])
    block_lines = block.splitlines(keepends=True)
    # After the header (or anywhere at the top), before or after any of the block's keys.
    at = draw(st.integers(0 if index == 0 else 1, len(block_lines)))
    text = before + "".join(block_lines[:at]) + f"{key} = {value}\n"
    text += "".join(block_lines[at:]) + "".join(b for b, _ in BASE[index + 1 :])
    line = before.count("\n") + at + 1
    return text, line, key.strip('"')


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(unknown_key_insertions())
def test_any_unknown_key_is_refused_on_its_line(
    tmp_path: Path, insertion: tuple[str, int, str]
) -> None:
    text, line, key = insertion
    message = refusal(tmp_path, text)
    quoted = re.escape(key)
    assert re.match(rf"{line}: unknown (key '{quoted}'|table \[{quoted}\])", message), message
