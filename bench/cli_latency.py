"""How long a person waits for a command: watchcli against sqlite3's own start on the same query.

    python bench/cli_latency.py [--size 100000] [--runs 15] [--keep /tmp/scale]

Builds (or, with --keep, reuses) a store of SIZE items as bench/dedupe_scale.py grows them,
then times whole processes, in turns, each RUNS times: `watchcli --help`; `watchcli list
--limit 50` against `sqlite3` running the same newest-first query; `watchcli show ID` against
`sqlite3` reading that item and its sightings. Prints medians and the ratios; the baselines are
the floor a command in any language pays (a process, a store opened, a query answered).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dedupe_scale

LIST_SQL = (
    "SELECT id, title, published, status, assignee FROM items "
    "ORDER BY published DESC, id DESC LIMIT 50;"
)
SHOW_SQL = (
    "SELECT * FROM items WHERE id = {id}; SELECT * FROM sightings WHERE item_id = {id}; "
    "SELECT * FROM history WHERE item_id = {id};"
)


def config_for(folder: Path, db: Path) -> Path:
    lines = [f'[store]\npath = "{db}"\n']
    for k in range(dedupe_scale.SOURCES):
        lines.append(f'[[sources]]\nid = "s{k}"\nurl = "https://s{k}.example.org/feed"\n')
    path = folder / "sources.toml"
    path.write_text("\n".join(lines), "utf-8")
    return path


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True)
    elapsed = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed: {done.stderr.decode()[-300:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", type=Path, help="keep the built store here, and reuse it")
    args = parser.parse_args()
    if not shutil.which("sqlite3"):
        sys.exit("sqlite3 not found (apt-get install sqlite3): it is the baseline")

    folder = Path(tempfile.mkdtemp(prefix="cli-latency-"))
    try:
        base = (args.keep or folder) / f"latency-plain-{args.size}.db"
        if not base.exists():
            base.parent.mkdir(parents=True, exist_ok=True)
            print(f"building a store of {args.size} items …", flush=True)
            dedupe_scale.build(base, "plain", args.size, 200)
        env = {**os.environ, "WATCHCLI_CONFIG": str(config_for(folder, base))}
        env.pop("WATCHCLI_DB", None)
        script = str(Path(sys.executable).with_name("watchcli"))
        item = args.size // 2
        cases = {
            "watchcli --help": [script, "--help"],
            "python -c pass": [sys.executable, "-c", "pass"],
            "watchcli list --limit 50": [script, "list", "--limit", "50"],
            "sqlite3, the same query": ["sqlite3", str(base), LIST_SQL],
            f"watchcli show {item}": [script, "show", str(item)],
            "sqlite3, the item's rows": ["sqlite3", str(base), SHOW_SQL.format(id=item)],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, command in cases.items():
                times[name].append(timed(command, env))
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    median = {name: statistics.median(values) * 1000 for name, values in times.items()}
    print(f"{args.size} items, median of {args.runs} runs taken in turns (ms)")
    names = list(cases)
    for ours, floor in zip(names[::2], names[1::2], strict=True):
        print(
            f"  {ours:28} {median[ours]:7.1f}   {floor:26} {median[floor]:6.1f}   "
            f"×{median[ours] / median[floor]:.1f}"
        )


if __name__ == "__main__":
    main()
