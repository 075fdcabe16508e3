"""watchcli against the fetchers users would pick instead, newsboat and sfeed, in one run.

    python bench/peers.py                          # 200 feeds × 50 entries, 20–200 ms
    python bench/peers.py --feeds 500 --entries 50 # the big farm
    python bench/peers.py --folder ../shared/corpus/feeds --latency 0,0
    python bench/peers.py --tools watchcli --runs 1 --profile /tmp/prof  # py-spy, whole tree

A loopback feed farm runs in its own process: N feeds of M entries, RSS 2.0 and Atom in turn,
French titles recombined from word lists (`bench/templates.py`) with HTML summaries; each
answer delayed by a latency drawn between two bounds; ETag, Last-Modified and 304; gzip when
asked; counters of requests, conditional requests, 304s and peak open connections. `--folder`
serves a folder of real feed files instead (each file one feed).

Each tool runs three phases on a fresh store: cold, an unchanged re-fetch, then a re-fetch
after 10 % of the feeds gained 1–3 entries (generated farm only). Per tool and phase: wall
time, CPU (user + system of the whole process tree: this process is made a child subreaper,
so every descendant, orphans included, is reaped here and counted), peak memory of the tree
polled every 10 ms (the sum of its processes' RSS, and of their PSS, which counts a page that
a fork server shares with its workers once; watchcli's peak by process is printed too), the
entries in the tool's own store (so a tool that silently failed is caught), the requests it
made, how many were conditional and how many got a 304. Rounds take the tools in turns;
medians are printed, then watchcli's ratio to the fastest peer.

A missing peer (`apt-get install newsboat sfeed`) is skipped with a note.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import email.utils
import gzip
import hashlib
import json
import multiprocessing
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from templates import recombined_feeds

PORT = 18977
CONTROL = f"http://127.0.0.1:{PORT}"
TOOLS = ("watchcli", "newsboat", "sfeed")
PHASES = ("cold", "unchanged", "changed")
CHANGED_SHARE = 0.10


# --- the farm ---------------------------------------------------------------------------------


@dataclass
class Farm:
    """What the farm serves: generated feeds (with their versions), or a folder's files."""

    feeds: int
    entries: int
    latency: tuple[float, float]
    gzip: bool
    folder: Path | None = None
    files: list[Path] = field(default_factory=list)
    extra: dict[int, int] = field(default_factory=dict)  # feed → entries added since reset
    counters: dict[str, int] = field(default_factory=dict)
    cache: dict[tuple[int, int, bool], bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.folder:
            self.files = sorted(p for p in self.folder.iterdir() if p.is_file())
            self.feeds = len(self.files)
            self.stories = []
        else:
            self.stories = recombined_feeds(self.feeds, self.entries + 3, codes=False)
        self.reset()

    def reset(self) -> None:
        self.extra = {}
        self.counters = dict(requests=0, conditional=0, not_modified=0, peak_connections=0)
        self.open = 0

    def grow(self, seed: int) -> int:
        rng = random.Random(seed)
        chosen = rng.sample(range(self.feeds), max(1, round(self.feeds * CHANGED_SHARE)))
        for n in chosen:
            self.extra[n] = rng.randint(1, 3)
        return sum(self.extra.values())

    def version(self, n: int) -> int:
        return self.extra.get(n, 0)

    def validators(self, n: int) -> tuple[str, str]:
        if self.folder:
            data = self.files[n].read_bytes()
            stamp = datetime(2026, 11, 1, tzinfo=UTC)
            return f'"{hashlib.sha1(data).hexdigest()[:16]}"', email.utils.format_datetime(
                stamp, usegmt=True
            )
        stamp = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=self.version(n))
        return f'"f{n}-v{self.version(n)}"', email.utils.format_datetime(stamp, usegmt=True)

    def body(self, n: int, gzipped: bool) -> bytes:
        key = (n, self.version(n), gzipped)
        if key not in self.cache:
            raw = self.files[n].read_bytes() if self.folder else self._render(n)
            self.cache[key] = gzip.compress(raw, 6) if gzipped else raw
        return self.cache[key]

    def _render(self, n: int) -> bytes:
        """Feed n: its M entries, plus those it gained, newest first; RSS or Atom in turn."""
        count = self.entries + self.version(n)
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        entries = []
        for i in reversed(range(count)):
            story = self.stories[n][i]
            when = now - timedelta(hours=(count - i) * 2, minutes=n % 60)
            link = f"https://site{n % 37}.example.org/actualites/{n}-{i}"
            summary = (
                f"<p>{escape(story.summary)} <strong>Inscriptions ouvertes</strong>.</p>"
                f'<p><a href="{link}">Lire la suite</a></p>'
            )
            entries.append((story.title, link, f"farm-{n}-{i}", when, summary))
        if n % 2:
            items = "".join(
                f'<entry><title>{escape(t)}</title><link href="{escape(u)}"/><id>{g}</id>'
                f"<updated>{w.isoformat()}</updated>"
                f'<summary type="html">{escape(s)}</summary></entry>'
                for t, u, g, w, s in entries
            )
            return (
                '<?xml version="1.0" encoding="utf-8"?>'
                '<feed xmlns="http://www.w3.org/2005/Atom">'
                f"<title>Flux {n}</title><id>urn:farm:{n}</id>"
                f"<updated>{now.isoformat()}</updated>{items}</feed>"
            ).encode()
        items = "".join(
            f"<item><title>{escape(t)}</title><link>{escape(u)}</link>"
            f'<guid isPermaLink="false">{g}</guid>'
            f"<pubDate>{email.utils.format_datetime(w)}</pubDate>"
            f"<description>{escape(s)}</description></item>"
            for t, u, g, w, s in entries
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Flux {n}</title><link>https://site{n % 37}.example.org/</link>"
            f"<description>Flux de test {n}</description>{items}</channel></rss>"
        ).encode()


def serve(farm: Farm, hosts: int, ready: multiprocessing.synchronize.Event) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        farm.open += 1
        farm.counters["peak_connections"] = max(farm.counters["peak_connections"], farm.open)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                status, extra, body = await answer(path, headers)
                head_out = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *extra]
                writer.write(("\r\n".join(head_out) + "\r\n\r\n").encode() + body)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            farm.open -= 1
            writer.close()

    async def answer(path: str, headers: dict[str, str]) -> tuple[str, list[str], bytes]:
        if path.startswith("/_"):
            return control(path)
        counters = farm.counters
        counters["requests"] += 1
        low, high = farm.latency
        await asyncio.sleep(random.uniform(low, high))
        try:
            n = int(path.rsplit("/", 1)[-1].split(".")[0])
            if not 0 <= n < farm.feeds:
                raise ValueError
        except ValueError:
            return "404 Not Found", [], b"no such feed"
        etag, modified = farm.validators(n)
        asked_etag = headers.get("if-none-match")
        asked_since = headers.get("if-modified-since")
        if asked_etag or asked_since:
            counters["conditional"] += 1
            if (asked_etag and asked_etag == etag) or (
                not asked_etag and asked_since and _not_before(asked_since, modified)
            ):
                counters["not_modified"] += 1
                return "304 Not Modified", [f"ETag: {etag}", f"Last-Modified: {modified}"], b""
        gzipped = farm.gzip and "gzip" in headers.get("accept-encoding", "")
        extra = [
            "Content-Type: application/xml; charset=utf-8",
            f"ETag: {etag}",
            f"Last-Modified: {modified}",
        ]
        if gzipped:
            extra.append("Content-Encoding: gzip")
        return "200 OK", extra, farm.body(n, gzipped)

    def control(path: str) -> tuple[str, list[str], bytes]:
        verb, _, argument = path[2:].partition("?")
        if verb == "reset":
            farm.reset()
        elif verb == "grow":
            return "200 OK", [], str(farm.grow(int(argument or 0))).encode()
        return "200 OK", ["Content-Type: application/json"], json.dumps(farm.counters).encode()

    async def main() -> None:
        servers = [
            await asyncio.start_server(handle, f"127.0.0.{h}", PORT, backlog=1024)
            for h in range(1, hosts + 1)
        ]
        ready.set()
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(main())


def _not_before(asked: str, modified: str) -> bool:
    try:
        return email.utils.parsedate_to_datetime(asked) >= email.utils.parsedate_to_datetime(
            modified
        )
    except (TypeError, ValueError):
        return False


def control(verb: str) -> str:
    with urllib.request.urlopen(f"{CONTROL}/_{verb}", timeout=10) as answer:
        return answer.read().decode()


# --- measuring a process tree -----------------------------------------------------------------


def become_subreaper() -> None:
    """Orphaned descendants (a fork server, its workers) are reparented to this process, so
    that reaping them here counts their CPU in RUSAGE_CHILDREN."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def _session_memory(session: int) -> tuple[int, int, dict[str, int]]:
    """Resident bytes of every process of a session: the sum of their RSS, the sum of their
    PSS (shared pages divided among the processes sharing them: a worker forked from a
    server counts only its own pages), and the RSS of each process by its role."""
    total = pss = 0
    found: dict[int, tuple[int, list[bytes], int]] = {}  # pid: parent, argv, rss
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[3]) != session:  # field 6 of stat: the session id
                continue
            rss = int(fields[21]) * resource.getpagesize()  # field 24: rss in pages
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        total += rss
        pss += next(
            (
                int(line.split()[1]) * 1024
                for line in rollup.splitlines()
                if line.startswith("Pss:")
            ),
            0,
        )
        found[int(pid)] = (int(fields[1]), argv, rss)  # field 4: the parent
    each = {
        f"{_role(argv, found.get(parent, (0, [], 0))[1])} {pid}": rss
        for pid, (parent, argv, rss) in found.items()
    }
    return total, pss, each


def _role(argv: list[bytes], parent_argv: list[bytes]) -> str:
    """A process's part in a run: the tool, the fork server, a worker forked from it (which
    has the server's command line), or multiprocessing's resource tracker."""

    def line(words: list[bytes]) -> str:
        return b" ".join(words).decode(errors="replace")

    if "forkserver import main" in line(argv):
        return "worker" if "forkserver import main" in line(parent_argv) else "fork server"
    if "resource_tracker" in line(argv):
        return "resource tracker"
    if "multiprocessing" in line(argv):
        return "worker"
    return Path(argv[0].decode(errors="replace")).name or "?"


@dataclass
class Measure:
    wall: float
    cpu: float
    rss: int
    code: int
    stderr: str
    pss: int = 0
    by_process: dict[str, int] = field(default_factory=dict)  # peak RSS of each process


def measure(command: list[str], *, cwd: Path, env: dict[str, str]) -> Measure:
    """Run `command` in its own session; wall, CPU and peak memory of its whole tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    peak = peak_pss = 0
    by_process: dict[str, int] = {}
    while process.poll() is None:
        rss, pss, each = _session_memory(process.pid)
        peak, peak_pss = max(peak, rss), max(peak_pss, pss)
        for name, value in each.items():
            by_process[name] = max(by_process.get(name, 0), value)
        time.sleep(0.01)
    wall = time.perf_counter() - started
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    # Reap the orphans of the tree (a fork server and its workers end after their parent).
    deadline = time.monotonic() + 10
    while _session_memory(process.pid)[0] and time.monotonic() < deadline:
        _reap()
        time.sleep(0.01)
    _reap()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measure(wall, cpu, peak, process.returncode, stderr.strip()[-300:], peak_pss, by_process)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# --- the tools --------------------------------------------------------------------------------


def feed_urls(farm: Farm, hosts: int) -> list[str]:
    return [f"http://127.0.0.{n % hosts + 1}:{PORT}/feeds/{n}.xml" for n in range(farm.feeds)]


class Tool:
    name = ""

    def __init__(self, folder: Path, urls: list[str], jobs: int, per_host: int | None) -> None:
        self.folder = folder
        self.urls = urls
        self.jobs = jobs
        self.per_host = per_host
        folder.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "HOME": str(folder), "XDG_CONFIG_HOME": str(folder / ".config")}
        self.env["XDG_DATA_HOME"] = str(folder / ".local")
        self.write_config()

    def write_config(self) -> None: ...

    def command(self) -> list[str]: ...

    def stored(self) -> int: ...


class Watchcli(Tool):
    name = "watchcli"

    def write_config(self) -> None:
        lines = ['[store]\npath = "watch.db"\n']
        if self.per_host:
            lines.append(f"[fetch]\nper_host = {self.per_host}\n")
        for n, url in enumerate(self.urls):
            lines.append(f'[[sources]]\nid = "f{n:04d}"\nurl = "{url}"\n')
        (self.folder / "sources.toml").write_text("\n".join(lines), "utf-8")
        self.env["WATCHCLI_CONFIG"] = str(self.folder / "sources.toml")

    def command(self) -> list[str]:
        script = Path(sys.executable).with_name("watchcli")
        return [str(script), "fetch", "--quiet"]

    def stored(self) -> int:
        return _count(self.folder / "watch.db", "SELECT count(*) FROM sightings")


class Baseline(Watchcli):
    """Another watchcli (`--baseline`: the `watchcli` script of another checkout's venv)."""

    name = "baseline"
    script = ""

    def command(self) -> list[str]:
        return [self.script, "fetch", "--quiet"]


class Newsboat(Tool):
    name = "newsboat"

    def write_config(self) -> None:
        (self.folder / "urls").write_text("\n".join(self.urls) + "\n", "utf-8")
        (self.folder / "config").write_text(
            f"reload-threads {self.jobs}\nshow-read-feeds yes\nmax-items 0\n", "utf-8"
        )

    def command(self) -> list[str]:
        f = self.folder
        return ["newsboat", "-x", "reload", "-u", f"{f}/urls", "-c", f"{f}/cache.db",
                "-C", f"{f}/config"]  # fmt: skip

    def stored(self) -> int:
        return _count(self.folder / "cache.db", "SELECT count(*) FROM rss_item")


class Sfeed(Tool):
    name = "sfeed"

    def write_config(self) -> None:
        feeds = "\n".join(f'\tfeed "f{n:04d}" "{url}"' for n, url in enumerate(self.urls))
        (self.folder / "sfeedrc").write_text(
            f'sfeedpath="{self.folder}/feeds"\nmaxjobs={self.jobs}\nfeeds() {{\n{feeds}\n}}\n',
            "utf-8",
        )

    def command(self) -> list[str]:
        return ["sfeed_update", str(self.folder / "sfeedrc")]

    def stored(self) -> int:
        folder = self.folder / "feeds"
        if not folder.exists():
            return 0
        return sum(len(p.read_bytes().splitlines()) for p in folder.iterdir() if p.is_file())


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchone()[0]


def available(name: str) -> str | None:
    """Why a peer cannot run here, or None."""
    binary = {"watchcli": None, "baseline": None, "newsboat": "newsboat", "sfeed": "sfeed_update"}[
        name
    ]
    if binary and not shutil.which(binary):
        return f"{binary} not found (apt-get install {name})"
    return None


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Row:
    tool: str
    phase: str
    measure: Measure
    stored: int
    expected: int
    counters: dict[str, int]


def run_tool(
    cls: type[Tool],
    folder: Path,
    urls: list[str],
    jobs: int,
    farm: Farm,
    seed: int,
    per_host: int | None = None,
    profile: Path | None = None,
) -> list[Row]:
    control("reset")
    tool = cls(folder, urls, jobs, per_host)
    expected = farm.feeds * farm.entries if not farm.folder else 0
    rows = []
    for phase in PHASES:
        if phase == "changed":
            if farm.folder:
                break
            expected += int(control(f"grow?{seed}"))
        before = json.loads(control("stats"))
        command = tool.command()
        if profile and cls is Watchcli:
            # Sampled stacks of every process of the tree, folded (flamegraph.pl reads them);
            # the times of a profiled run include py-spy's own and are not comparable.
            out = profile / f"{cls.name}-{phase}.folded"
            spy = Path(sys.executable).with_name("py-spy")
            command = [str(spy), "record", "--subprocesses", "--rate", "250",
                       "--format", "raw", "--output", str(out), "--", *command]  # fmt: skip
        result = measure(command, cwd=folder, env=tool.env)
        after = json.loads(control("stats"))
        counters = {k: after[k] - before[k] for k in ("requests", "conditional", "not_modified")}
        counters["peak_connections"] = after["peak_connections"]
        rows.append(Row(cls.name, phase, result, tool.stored(), expected, counters))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--latency", default="0.02,0.2", help="seconds: LOW,HIGH")
    parser.add_argument("--hosts", type=int, default=1, help="loopback hosts to spread over")
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--folder", type=Path, help="serve these feed files instead")
    parser.add_argument("--jobs", type=int, default=8, help="newsboat threads, sfeed jobs")
    parser.add_argument("--per-host", type=int, help="watchcli's [fetch] per_host (default 4)")
    parser.add_argument(
        "--baseline",
        help="another watchcli script to run as the tool 'baseline', e.g. "
        "an older checkout's .venv/bin/watchcli",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--keep", type=Path, help="keep the tools' folders here")
    parser.add_argument("--profile", type=Path, help="py-spy watchcli's runs into this folder")
    args = parser.parse_args()

    low, high = (float(x) for x in args.latency.split(","))
    farm = Farm(args.feeds, args.entries, (low, high), args.gzip, args.folder)
    ready = multiprocessing.get_context("fork").Event()
    server = multiprocessing.get_context("fork").Process(
        target=serve, args=(farm, args.hosts, ready), daemon=True
    )
    server.start()
    if not ready.wait(60):
        sys.exit("the farm did not start")
    become_subreaper()

    classes = {"watchcli": Watchcli, "newsboat": Newsboat, "sfeed": Sfeed, "baseline": Baseline}
    if args.baseline:
        Baseline.script = args.baseline
        args.tools += ",baseline"
    tools = []
    for name in args.tools.split(","):
        why = available(name)
        if why:
            print(f"note: {name} skipped: {why}")
        else:
            tools.append(classes[name])
    what = (
        f"{args.folder} ({farm.feeds} files)"
        if args.folder
        else (f"{farm.feeds} feeds × {farm.entries} entries")
    )
    print(
        f"farm: {what}, latency {low * 1000:.0f}–{high * 1000:.0f} ms, {args.hosts} host(s), "
        f"gzip {'on' if args.gzip else 'off'}; {args.runs} round(s), tools in turns; "
        f"{os.cpu_count()} cores"
    )
    urls = feed_urls(farm, args.hosts)
    results: dict[tuple[str, str], list[Row]] = {}
    root = args.keep or Path(tempfile.mkdtemp(prefix="peers-"))
    try:
        for round_ in range(args.runs):
            for cls in tools:
                folder = root / f"{cls.name}-{round_}"
                shutil.rmtree(folder, ignore_errors=True)
                if args.profile:
                    args.profile.mkdir(parents=True, exist_ok=True)
                rows = run_tool(
                    cls, folder, urls, args.jobs, farm, round_, args.per_host, args.profile
                )
                for row in rows:
                    results.setdefault((row.tool, row.phase), []).append(row)
    finally:
        server.terminate()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    report(results, tools)


def report(results: dict[tuple[str, str], list[Row]], tools: list[type[Tool]]) -> None:
    print()
    print(f"{'tool':9} {'phase':9} {'wall s':>7} {'cpu s':>7} {'RSS MiB':>8} {'PSS MiB':>8} "
          f"{'stored':>7} {'requests':>8} {'cond.':>6} {'304':>5} {'peak conn':>9}  "
          "check")  # fmt: skip
    medians: dict[tuple[str, str], tuple[float, float]] = {}
    for cls in tools:
        for phase in PHASES:
            rows = results.get((cls.name, phase))
            if not rows:
                continue
            wall = statistics.median(r.measure.wall for r in rows)
            cpu = statistics.median(r.measure.cpu for r in rows)
            rss = statistics.median(r.measure.rss for r in rows) / 2**20
            pss = statistics.median(r.measure.pss for r in rows) / 2**20
            last = rows[-1]
            medians[cls.name, phase] = (wall, cpu)
            check = "ok"
            if last.expected and last.stored < last.expected:
                check = f"MISSING {last.expected - last.stored}"
            if last.measure.code:
                check += f" (exit {last.measure.code}: {last.measure.stderr[:80]!r})"
            c = last.counters
            print(
                f"{cls.name:9} {phase:9} {wall:7.2f} {cpu:7.2f} {rss:8.1f} {pss:8.1f} "
                f"{last.stored:7d} {c['requests']:8d} {c['conditional']:6d} {c['not_modified']:5d} "
                f"{c['peak_connections']:9d}  {check}"
            )
    peers = [cls.name for cls in tools if cls.name not in ("watchcli", "baseline")]
    for phase in PHASES:
        if ("watchcli", phase) in medians and ("baseline", phase) in medians:
            (wall, cpu), (base_wall, base_cpu) = (
                medians["watchcli", phase],
                medians["baseline", phase],
            )
            print(
                f"{phase:9} watchcli / baseline: wall ×{wall / base_wall:.2f}, "
                f"cpu ×{cpu / max(base_cpu, 1e-3):.2f}"
            )
    cold = results.get(("watchcli", "cold"))
    if cold:
        peaks = cold[-1].measure.by_process
        shown = ", ".join(
            f"{name.rsplit(' ', 1)[0]} {rss / 2**20:.0f}" for name, rss in peaks.items()
        )
        print(f"watchcli cold, peak RSS by process (MiB, last round): {shown}")
    if cold and cold[-1].stored:
        cpu = statistics.median(r.measure.cpu for r in cold)
        print(f"watchcli cold CPU per stored entry: {cpu / cold[-1].stored * 1000:.2f} ms")
    if "watchcli" not in {cls.name for cls in tools} or not peers:
        return
    print()
    for phase in PHASES:
        if ("watchcli", phase) not in medians:
            continue
        ours = medians["watchcli", phase]
        theirs = [(medians[p, phase], p) for p in peers if (p, phase) in medians]
        if not theirs:
            continue
        (best_wall, _), wall_peer = min(theirs, key=lambda t: t[0][0])
        (_, best_cpu), cpu_peer = min(theirs, key=lambda t: t[0][1])
        print(
            f"{phase:9} watchcli / fastest peer: wall ×{ours[0] / best_wall:.2f} ({wall_peer}), "
            f"cpu ×{ours[1] / max(best_cpu, 1e-3):.2f} ({cpu_peer})"
        )


if __name__ == "__main__":
    main()
