"""A worker process for tests/test_concurrency.py: runs watchcli commands as one analyst would,
one after the other, each through the console script's `main()` (its own configuration load,
store connection, transactions and exit code), without paying Python's start-up every time.

    python -m tests.concurrency_worker PLAN.json

PLAN: {"config": path, "user": name, "sync": folder, "steps": [...]} where a step is either
    {"run": [args...]}                       run one command
    {"wait": name}                           touch SYNC/name.USER.ready, wait for SYNC/name.go
    {"split": network}                       take and handle new items until none is left
Prints one JSON document: the list of commands run, with exit code, stdout, stderr, seconds.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from pathlib import Path

from watchcli import cli


def run(args: list[str]) -> dict:
    stdout, stderr = io.StringIO(), io.StringIO()
    sys.argv = ["watchcli", *args]
    wall = time.time()
    started = time.perf_counter()
    code: int | str | None = 0
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            cli.main()
    except SystemExit as exit_:
        code = exit_.code
    return {
        "args": args,
        "code": code or 0,
        "stdout": stdout.getvalue(),
        "stderr": stderr.getvalue(),
        "seconds": time.perf_counter() - started,
        "started": wall,
    }


def wait(sync: Path, name: str, user: str) -> None:
    (sync / f"{name}.{user}.ready").touch()
    go = sync / f"{name}.go"
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"{user}: nobody released {name}")
        time.sleep(0.0005)


def split(network: str, done: list[dict]) -> None:
    """Handle the week's inbox as a member would: list what is free for me (my network's or
    unassigned), claim a few, select or discard those I got; until nothing is left."""
    while True:
        listing = run(["list", "--json", "--status", "new", "--limit", "0"])
        done.append(listing)
        free = [
            item["id"]
            for item in json.loads(listing["stdout"])
            if item["assignee"] is None and item["network"] in (network, None)
        ]
        if not free:
            return
        claimed = run(["claim", *map(str, free[:3])])
        done.append(claimed)
        won = [int(line.split()[0][1:]) for line in claimed["stdout"].splitlines()]
        for item_id in won:
            done.append(run(["select" if item_id % 3 == 0 else "discard", str(item_id)]))


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text("utf-8"))
    os.environ["WATCHCLI_CONFIG"] = plan["config"]
    os.environ["WATCHCLI_USER"] = plan["user"]
    os.environ.pop("WATCHCLI_DB", None)
    sync = Path(plan["sync"])
    done: list[dict] = []
    for step in plan["steps"]:
        if "run" in step:
            done.append(run(step["run"]))
        elif "wait" in step:
            wait(sync, step["wait"], plan["user"])
        else:
            split(step["split"], done)
    sys.stdout = sys.__stdout__
    print(json.dumps(done))


if __name__ == "__main__":
    main()
