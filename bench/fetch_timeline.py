"""When does each stage of a cold fetch end? Which one the run waits for.

    python bench/fetch_timeline.py [--folder ../shared/corpus/feeds] [--runs 3]

Serves a folder of feed files from a separate process on loopback (no latency: what is left
is the fetch's own work), then runs `watchcli fetch` into a fresh store in a new process with
a mark around each stage: the imports, each request, each parse in the worker pool, each
source written. Prints, for the median run, the time from the start at which the first and
the last of each ended. The stage that ends last, well after the others, bounds the run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "feeds"

# Run in the child: wrap the stages, run the CLI, print the marks as JSON on stderr's last line.
CHILD = """
import json, sys, time
start = time.perf_counter()
marks = {}
def mark(stage):
    now = time.perf_counter() - start
    marks.setdefault(stage, [now, now])[1] = now
from watchcli import ingest, fetch
from watchcli.cli import main
mark("imports")
def wrap_async(owner, name, stage):
    original = getattr(owner, name)
    async def wrapped(*args, **kwargs):
        result = await original(*args, **kwargs)
        mark(stage)
        return result
    setattr(owner, name, wrapped)
wrap_async(fetch.Fetcher, "fetch", "answers")
wrap_async(ingest._ParsePool, "read", "parses")
write_one = ingest.FetchRun._write_one
def written(*args, **kwargs):
    report = write_one(*args, **kwargs)
    mark("writes")
    return report
ingest.FetchRun._write_one = written
sys.argv = ["watchcli", "fetch", "--quiet"]
try:
    main()
except SystemExit:
    pass
mark("exit")
print(json.dumps(marks), file=sys.stderr)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=CORPUS)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not args.folder.is_dir():
        print(f"no folder {args.folder}; nothing to measure")
        return
    with tempfile.TemporaryDirectory(prefix="watchcli-timeline-") as tmp:
        served = Path(tmp) / "served"
        served.mkdir()
        for path in sorted(args.folder.iterdir()):
            body = path.read_bytes()
            name = path.name
            if name.endswith(".gz"):
                body, name = gzip.decompress(body), name.removesuffix(".gz")
            (served / name).write_bytes(body)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
            cwd=served,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        config = Path(tmp) / "sources.toml"
        config.write_text(
            "".join(
                f'[[sources]]\nid = "f{n:03d}"\nurl = "http://127.0.0.1:{port}/{p.name}"\n\n'
                for n, p in enumerate(sorted(served.iterdir()))
            ),
            "utf-8",
        )
        runs = []
        try:
            for _ in range(args.runs):
                store = Path(tmp) / "watch.db"
                for leftover in Path(tmp).glob("watch.db*"):
                    leftover.unlink()
                done = subprocess.run(
                    [sys.executable, "-c", CHILD],
                    capture_output=True,
                    text=True,
                    env={**os.environ, "WATCHCLI_CONFIG": str(config), "WATCHCLI_DB": str(store)},
                    cwd=tmp,
                    check=False,
                )
                runs.append(json.loads(done.stderr.strip().splitlines()[-1]))
        finally:
            server.terminate()
            shutil.rmtree(served, ignore_errors=True)
    median = sorted(runs, key=lambda marks: marks["exit"][1])[len(runs) // 2]
    print(f"{args.folder}: {len(runs)} cold runs, the median one (seconds from the start)")
    print(f"{'stage':10} {'first':>7} {'last':>7}")
    for stage in ("imports", "answers", "parses", "writes", "exit"):
        first, last = median.get(stage, (float("nan"),) * 2)
        print(f"{stage:10} {first:7.2f} {last:7.2f}")
    walls = [marks["exit"][1] for marks in runs]
    print(f"wall: median {statistics.median(walls):.2f} s over {len(walls)} runs")


if __name__ == "__main__":
    main()
