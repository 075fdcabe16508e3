"""The command line: parse options, call one service, render, map errors to exit codes.

stdout carries data (tables, `--json`, digests); stderr carries diagnostics and progress.
Errors become one line on stderr in `main()`, the only place that knows exit codes.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from watchcli import __version__
from watchcli.errors import (
    EXIT_FAILED,
    FetchFailedError,
    FetchLockedError,
    UsageError,
    WatchError,
)
from watchcli.models import ItemFilter, Outcome, Status

if TYPE_CHECKING:  # imported where they are used: `--help` and small commands start faster
    from watchcli.config import Config
    from watchcli.store import Store
    from watchcli.triage import Result, Triage

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,  # help texts name TOML tables like [store]: never markup
    add_completion=True,
    help="A shared news watch: fetch feeds into one store, merge the same story, triage "
    "together, send a weekly digest.",
)
sources_app = typer.Typer(no_args_is_help=True, help="The configured sources and their health.")
app.add_typer(sources_app, name="sources")

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)


@dataclass
class Settings:
    """Global options, resolved once per invocation (SPEC §2)."""

    config_path: Path
    config_given: bool
    db: Path | None
    user: str
    debug: bool
    _config: Config | None = field(default=None, repr=False)

    def config(self) -> Config:
        from watchcli.config import load_config

        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def optional_config(self) -> Config | None:
        """The configuration when there is one; an explicit --config must exist."""
        if not self.config_given and not self.config_path.exists():
            return None
        return self.config()

    def store_path(self) -> Path:
        if self.db is not None:
            return self.db
        config = self.optional_config()
        if config and config.store_path:
            return config.store_path
        return Path("watch.db")

    def open_store(self) -> Store:
        from watchcli.store import Store

        return Store.open(self.store_path())


def _settings(ctx: typer.Context) -> Settings:
    return ctx.ensure_object(Settings)  # type: ignore[no-any-return]


def _version(value: bool) -> None:
    if value:
        out.print(f"watchcli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="PATH",
            envvar="WATCHCLI_CONFIG",
            help="sources.toml to use.",
            show_default="./sources.toml",
        ),
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            metavar="PATH",
            envvar="WATCHCLI_DB",
            help="The store. Default: [store].path of the config, else ./watch.db.",
        ),
    ] = None,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="NAME",
            envvar="WATCHCLI_USER",
            help="Who is acting. Default: login name.",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Tracebacks and an HTTP trace.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    from watchcli import services

    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    if config is None and db is not None and services.demo_config_path(db).exists():
        config = services.demo_config_path(db)  # a demo store names its own configuration
    ctx.obj = Settings(
        config_path=config or Path("sources.toml"),
        config_given=config is not None,
        db=db,
        user=as_user or _login_name(),
        debug=debug,
    )


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# --- store and fetch -------------------------------------------------------------------------


@app.command()
def init(ctx: typer.Context) -> None:
    """Create or upgrade the store; safe to run again."""
    settings = _settings(ctx)
    config = settings.optional_config()
    with settings.open_store() as store:
        if config:
            store.sync_sources(config.sources)
        versions = store.schema_version()
    out.print(f"store ready: {store.path} (schema {versions[-1]})")


@app.command()
def fetch(
    ctx: typer.Context,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", metavar="ID", help="Only this source (repeatable)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only failures.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run summary as JSON.")] = False,
    concurrency: Annotated[
        int | None, typer.Option(metavar="N", min=1, max=256, help="Requests at once (default 32).")
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            metavar="SECONDS", min=0.1, help="Connect/read timeout in seconds (default 20)."
        ),
    ] = None,
) -> None:
    """Fetch every source, merge what was seen before, store the rest."""
    from filelock import FileLock, Timeout

    from watchcli.store import Store

    settings = _settings(ctx)
    config = settings.config()
    store_path = settings.store_path()
    lock = FileLock(str(store_path) + ".fetch.lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise FetchLockedError(
            f"another fetch is running on {store_path} (lock {lock.lock_file}); try again later"
        ) from None
    try:
        with Store.open(store_path) as store:
            summary = _run_fetch(
                store,
                config,
                tuple(source or ()),
                concurrency,
                timeout,
                settings.debug,
                show_progress=not quiet and not as_json and err.is_terminal,
            )
    finally:
        lock.release()
    if as_json:
        print_json(summary.as_json())
    for error in summary.errors:
        say_error(f"{error['source']}: {error['error']}")
    if not quiet and not as_json:
        out.print(
            f"{summary.sources} sources: {summary.ok} fetched, {summary.not_modified} unchanged, "
            f"{summary.failed} failed, {summary.skipped} skipped · {summary.new_items} new items, "
            f"{summary.new_sightings} merged sightings, {summary.updated} updated"
            + (f", {summary.filtered} filtered out" if summary.filtered else ""),
            markup=False,
        )
    if summary.failed:
        raise typer.Exit(EXIT_FAILED)


def _run_fetch(
    store: Store,
    config: Config,
    only: tuple[str, ...],
    concurrency: int | None,
    timeout: float | None,
    debug: bool,
    *,
    show_progress: bool,
):
    # Imported here: the fetch machinery (httpx, feedparser) would slow every other command.
    from watchcli.ingest import FetchRun, SourceReport
    from watchcli.text import clean_text

    if not show_progress:
        run = FetchRun(
            store, config, only=only, concurrency=concurrency, timeout=timeout, debug=debug
        )
        return run.run()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("fetching"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
    ) as progress:
        total = len([s for s in config.sources if not only or s.id in only])
        task = progress.add_task("", total=total)

        def advance(report: SourceReport) -> None:
            label = (
                report.source_id
                if report.outcome is not Outcome.FAILED
                else (f"{report.source_id} failed")
            )
            progress.update(task, advance=1, description=clean_text(label))

        run = FetchRun(
            store,
            config,
            only=only,
            concurrency=concurrency,
            timeout=timeout,
            debug=debug,
            on_report=advance,
        )
        return run.run()


# --- reading ---------------------------------------------------------------------------------


SinceOption = Annotated[
    str | None,
    typer.Option(metavar="WHEN", help="First seen since: 7d, 12h or a date like 2026-11-01."),
]
WeekOption = Annotated[
    str | None,
    typer.Option(metavar="WEEK", help="First seen in the ISO week: this, last or 2026-W48."),
]
# The filters of `list`, which `search` takes too.
SourceFilter = Annotated[
    list[str] | None, typer.Option(metavar="ID", help="Seen through this source.")
]
TagFilter = Annotated[
    list[str] | None,
    typer.Option("--tag", "-t", metavar="TAG", help="With this tag (repeatable: all)."),
]
StatusFilter = Annotated[Status | None, typer.Option(help="new, selected or discarded.")]
NetworkFilter = Annotated[
    str | None, typer.Option(metavar="NETWORK", help="Assigned to this network.")
]
AssigneeFilter = Annotated[str | None, typer.Option(metavar="MEMBER", help="Held by this member.")]
UnassignedFilter = Annotated[
    bool, typer.Option("--unassigned", help="Assigned to no network and no member.")
]
MineFilter = Annotated[bool, typer.Option("--mine", help="Held by me (--as).")]
LimitOption = Annotated[int, typer.Option(metavar="N", min=0, help="At most this many (0: all).")]
ItemsJson = Annotated[bool, typer.Option("--json", help="An array of items as JSON.")]


@app.command("list")
def list_items(
    ctx: typer.Context,
    since: SinceOption = None,
    week: WeekOption = None,
    source: SourceFilter = None,
    tag: TagFilter = None,
    status: StatusFilter = None,
    network: NetworkFilter = None,
    assignee: AssigneeFilter = None,
    unassigned: UnassignedFilter = False,
    mine: MineFilter = False,
    limit: LimitOption = 50,
    as_json: ItemsJson = False,
) -> None:
    """Items, newest first; for a member, their queue first.

    Without --status, --network, --assignee, --unassigned or --mine, a member sees the new
    items of their queue first (those they hold, their network's, unassigned), then the rest.
    --since and --week look at when an item was first seen. --json is always newest first.
    """
    from watchcli import services
    from watchcli.views import items_table

    settings = _settings(ctx)
    item_filter = _item_filter(
        settings,
        since=since,
        week=week,
        source=source,
        tag=tag,
        status=status,
        network=network,
        assignee=assignee,
        unassigned=unassigned,
        mine=mine,
        limit=limit,
    )
    plain = not as_json and services.is_plain(item_filter)
    config = settings.optional_config() if plain else None
    with settings.open_store() as store:
        items = services.list_items(
            store, item_filter, config=config, user=settings.user, queue_first=not as_json
        )
    if as_json:
        print_json(items)
    elif items:
        queue_of = services.queue_owner(config, settings.user) if "queue" in items[0] else None
        title = f"{settings.user} ({queue_of[1]}): your queue first" if queue_of else None
        out.print(items_table(items, title=title, width=out.width))
    else:
        say_error("no items match; run `watchcli fetch` or widen the filters")


@app.command()
def show(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: Annotated[bool, typer.Option("--json", help="The item as JSON.")] = False,
) -> None:
    """One item: text, every sighting, tags, status, notes, history."""
    from watchcli.views import item_detail

    with _settings(ctx).open_store() as store:
        item = store.get_item(item_id)
    if as_json:
        print_json(item)
    else:
        out.print(item_detail(item))


# --- working together ------------------------------------------------------------------------
# Each command checks who acts and its options first (exit 2), then does every id it can: one
# line per id, on stdout when done, on stderr when not (exit 1 if any failed).

ItemIds = Annotated[list[int], typer.Argument(metavar="ID...", help="Item ids (see `list`).")]
TagOption = Annotated[
    list[str],
    typer.Option(
        "--tag", "-t", metavar="TAG", help="A tag id (repeatable, or a,b).", show_default=False
    ),
]


def _triage(ctx: typer.Context, act: Callable[[Triage, Config], list[Result]]) -> None:
    from watchcli.triage import Triage, require_member

    settings = _settings(ctx)
    config = settings.config()
    actor = require_member(config, settings.user)
    with settings.open_store() as store:
        results = act(Triage(store, actor), config)
    for result in results:
        if result.ok:
            say(result.message)
        else:
            say_error(f"watchcli: {result.message}")
    if not all(result.ok for result in results):
        raise typer.Exit(EXIT_FAILED)


@app.command()
def tag(ctx: typer.Context, item_ids: ItemIds, tags: TagOption) -> None:
    """Add tags to items (ids from [tags], or any when allow_other = true)."""
    from watchcli.triage import parse_tags

    _triage(ctx, lambda t, c: t.tag(item_ids, parse_tags(c, tags, known_only=True)))


@app.command()
def untag(ctx: typer.Context, item_ids: ItemIds, tags: TagOption) -> None:
    """Remove tags from items; fetch never adds them back."""
    from watchcli.triage import parse_tags

    _triage(ctx, lambda t, c: t.untag(item_ids, parse_tags(c, tags, known_only=False)))


@app.command()
def assign(
    ctx: typer.Context,
    item_ids: ItemIds,
    to: Annotated[str, typer.Option("--to", metavar="WHO", help="A network id or a member name.")],
) -> None:
    """Assign items to a network, or to a member (and their network)."""
    from watchcli.triage import resolve_target

    _triage(ctx, lambda t, c: t.assign(item_ids, resolve_target(c, to)))


@app.command()
def unassign(ctx: typer.Context, item_ids: ItemIds) -> None:
    """Assign items to nobody: free for whoever claims them."""
    _triage(ctx, lambda t, c: t.unassign(item_ids))


@app.command()
def claim(
    ctx: typer.Context,
    item_ids: ItemIds,
    force: Annotated[
        bool, typer.Option("--force", help="Take items another member holds (recorded).")
    ] = False,
) -> None:
    """Take items for myself; refused when another member holds one, unless --force."""
    _triage(ctx, lambda t, c: t.claim(item_ids, force=force))


@app.command()
def select(ctx: typer.Context, item_ids: ItemIds) -> None:
    """Mark items selected (for the digest)."""
    _triage(ctx, lambda t, c: t.set_status(item_ids, Status.SELECTED))


@app.command()
def discard(ctx: typer.Context, item_ids: ItemIds) -> None:
    """Mark items discarded."""
    _triage(ctx, lambda t, c: t.set_status(item_ids, Status.DISCARDED))


@app.command()
def reopen(ctx: typer.Context, item_ids: ItemIds) -> None:
    """Put items back to new."""
    _triage(ctx, lambda t, c: t.set_status(item_ids, Status.NEW))


@app.command()
def note(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(metavar="ID")],
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The note (quote it).")],
) -> None:
    """Attach a note to an item (shown in `show` and in the digest)."""
    _triage(ctx, lambda t, c: t.note(item_id, text))


@app.command()
def stats(
    ctx: typer.Context,
    week: Annotated[
        str | None,
        typer.Option(metavar="WEEK", help="The ISO week: this (default), last or 2026-W48."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(metavar="WHEN", help="Instead of a week: since 7d or a date, until now."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The figures as JSON.")] = False,
) -> None:
    """The mutualisation figures: fetched, merged, handled per network and analyst, sources."""
    from watchcli import services
    from watchcli.dates import parse_since
    from watchcli.stats import Window
    from watchcli.views import stats_view

    if week and since:
        raise UsageError("pass --week or --since, not both")
    window = Window.since(parse_since(since)) if since else Window.of_week(week or "this")
    settings = _settings(ctx)
    config = settings.config()
    with settings.open_store() as store:
        report = services.stats_report(store, config, window)
    if as_json:
        print_json(report)
    else:
        out.print(stats_view(report))


@app.command()
def triage(ctx: typer.Context) -> None:
    """Full-screen keyboard triage: your queue, a preview, one key per action (? for help)."""
    from watchcli.tui import browser_opener, create_app

    settings = _settings(ctx)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("triage is a full-screen app: run it in a terminal")
    screen = create_app(
        settings.config(),
        settings.store_path(),
        settings.user,
        open_browser=browser_opener(),
        debug=settings.debug,
    )
    screen.run()
    if screen.failure:
        raise WatchError(
            f"unexpected error: {screen.failure} — this is a bug; rerun with --debug for the "
            "traceback and report it"
        )


# --- fixing the deduplication by hand --------------------------------------------------------


@app.command()
def merge(
    ctx: typer.Context,
    item_ids: Annotated[list[int], typer.Argument(metavar="ID ID...", show_default=False)],
) -> None:
    """Merge items into the first ID: every sighting of the others moves to it."""
    from watchcli.dates import utcnow
    from watchcli.merging import merge_items
    from watchcli.triage import require_member

    settings = _settings(ctx)
    actor = require_member(settings.config(), settings.user)
    with settings.open_store() as store:
        result = merge_items(store, item_ids, by=actor.name, now=utcnow())
    merged = ", ".join(f"#{i}" for i in result.merged)
    out.print(
        f"merged {merged} into #{result.keep} ({result.sightings} sightings moved)",
        markup=False,
    )


@app.command()
def split(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(metavar="ID")],
    sighting: Annotated[
        int, typer.Option("--sighting", help="The sighting (# in `show`) to make its own item.")
    ],
) -> None:
    """Make one sighting of an item an item of its own; it never merges back."""
    from watchcli.dates import utcnow
    from watchcli.merging import split_sighting
    from watchcli.triage import require_member

    settings = _settings(ctx)
    config = settings.config()
    actor = require_member(config, settings.user)
    with settings.open_store() as store:
        new_id = split_sighting(store, config, item_id, sighting, by=actor.name, now=utcnow())
    out.print(f"sighting #{sighting} of #{item_id} is now item #{new_id}", markup=False)


# --- sources ---------------------------------------------------------------------------------


@sources_app.command("list")
def sources_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Sources with health as JSON.")] = False,
) -> None:
    """Configured sources with their health."""
    from watchcli import services
    from watchcli.views import sources_table

    settings = _settings(ctx)
    config = settings.config()
    with settings.open_store() as store:
        rows = services.sources_report(store, config)
    if as_json:
        print_json([services.source_json(row) for row in rows])
    else:
        out.print(sources_table(rows))


@sources_app.command("check")
def sources_check(
    ctx: typer.Context,
    source: Annotated[
        str | None,
        typer.Option(
            "--source", metavar="ID", help="Also fetch it and print the entries it would store."
        ),
    ] = None,
) -> None:
    """Validate sources.toml (exit 2 with file:line on any error)."""
    settings = _settings(ctx)
    config = settings.config()
    out.print(
        f"{settings.config_path}: ok — {len(config.sources)} sources, {len(config.networks)} "
        f"networks, {len(config.tags.labels)} tags, {len(config.rules)} rules",
        markup=False,
    )
    if source is not None:
        _preview(config, source, settings.debug)


def _preview(config: Config, source_id: str, debug: bool) -> None:
    from watchcli.preview import preview_source
    from watchcli.views import preview_table

    preview = preview_source(config, source_id, debug=debug)
    if preview.error:
        raise FetchFailedError(f"{source_id}: {preview.error}")
    out.print(preview_table(preview.entries))
    assert preview.content is not None
    filtered = f", {len(preview.filtered)} filtered out" if preview.filtered else ""
    say(f"{source_id}: {len(preview.entries)} entries would be stored{filtered}")
    if preview.content.problem:
        say_error(f"{source_id}: {preview.content.problem}")


# --- digest ----------------------------------------------------------------------------------


class DigestFormat(StrEnum):
    markdown = "markdown"
    html = "html"
    text = "text"
    json = "json"
    email = "email"


@app.command()
def digest(
    ctx: typer.Context,
    week: Annotated[
        str | None,
        typer.Option(metavar="WEEK", help="this, last or 2026-W48.", show_default="last"),
    ] = None,
    since: Annotated[
        str | None, typer.Option(metavar="WHEN", help="Instead of a week: 7d, 2026-11-01…")
    ] = None,
    until: Annotated[
        str | None, typer.Option(metavar="WHEN", help="End of --since, excluded (default: now).")
    ] = None,
    network: Annotated[
        str | None, typer.Option(metavar="NETWORK", help="Only the items of this network (its id).")
    ] = None,
    all_items: Annotated[
        bool, typer.Option("--all", help="Every item not discarded, not only the selected.")
    ] = False,
    fmt: Annotated[DigestFormat, typer.Option("--format", help="Output format.")] = (
        DigestFormat.markdown
    ),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to FILE.")
    ] = None,
    send: Annotated[bool, typer.Option("--send", help="Send it by email ([email] table).")] = False,
    to: Annotated[
        list[str] | None,
        typer.Option("--to", metavar="ADDR", help="Recipient instead of [email].to (repeatable)."),
    ] = None,
) -> None:
    """The weekly digest of the selected items, printed, written or sent by email."""
    from watchcli import publish
    from watchcli.dates import utcnow

    settings = _settings(ctx)
    # Anybody may read: without a sources.toml, tags show as ids and analysts without network.
    config = settings.optional_config() or Config(path=settings.config_path)
    now = utcnow()
    request = publish.digest_request(
        config,
        week=week,
        since=since,
        until=until,
        network=network,
        include_all=all_items,
        now=now,
    )
    if send and fmt not in (DigestFormat.markdown, DigestFormat.email):
        raise UsageError("--send sends the email (text and HTML); leave out --format")
    with settings.open_store() as store:
        result = publish.compose_digest(store, config, request, now=now)
    if send:
        password = os.environ.get(publish.PASSWORD_ENV) or None
        line = publish.send_digest(
            result, config, to=to or (), password=password, now=now, copy=output
        )
        out.print(line, markup=False, soft_wrap=True)
        return
    data = publish.render_output(result, fmt.value, config, to=to or (), now=now)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        publish.write_output(data, output)


# --- demo ------------------------------------------------------------------------------------


@app.command()
def demo(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option("--db", metavar="PATH", help="Keep the demo store here (default: temporary)."),
    ] = None,
) -> None:
    """Offline showcase: serve bundled sample feeds on loopback, fetch them, show the inbox."""
    from watchcli.demo import run_demo

    run_demo(out, err, db=db or _settings(ctx).db)


# --- finding and moving data: search, export, import, backup, upkeep ------------------------
# (README, "Finding items again" and "Moving and keeping data"): each command calls one service.


def _item_filter(
    settings: Settings,
    *,
    since: str | None,
    week: str | None,
    source: list[str] | None,
    tag: list[str] | None,
    status: Status | None,
    network: str | None,
    assignee: str | None,
    unassigned: bool,
    mine: bool,
    limit: int,
) -> ItemFilter:
    """The filters of `list` and `search`, read the same way. The configuration is read only
    to check a --network: reading a store never depends on it."""
    from watchcli.dates import parse_since, week_bounds

    if network and (config := settings.optional_config()) and network not in config.networks:
        known = ", ".join(config.networks) or "none"
        raise UsageError(f"unknown network {network!r}; known: {known}")
    if mine and assignee and assignee != settings.user:
        raise UsageError("--mine and --assignee name different people; pass one of them")
    seen_since, seen_until = week_bounds(week) if week else (None, None)
    if since:
        seen_since = max(filter(None, (seen_since, parse_since(since))))
    return ItemFilter(
        first_seen_since=seen_since,
        first_seen_until=seen_until,
        sources=tuple(source or ()),
        tags=tuple(t.strip().lower() for t in tag or ()),
        status=status.value if status else None,
        network=network,
        assignee=settings.user if mine else assignee,
        unassigned=unassigned,
        limit=limit or None,
    )


@app.command()
def search(
    ctx: typer.Context,
    words: Annotated[
        list[str],
        typer.Argument(
            metavar="QUERY...",
            help='Words; "a phrase"; -word leaves out (after --, or quoted); word*.',
            show_default=False,
        ),
    ],
    since: SinceOption = None,
    week: WeekOption = None,
    source: SourceFilter = None,
    tag: TagFilter = None,
    status: StatusFilter = None,
    network: NetworkFilter = None,
    assignee: AssigneeFilter = None,
    unassigned: UnassignedFilter = False,
    mine: MineFilter = False,
    limit: LimitOption = 50,
    as_json: ItemsJson = False,
) -> None:
    """Find items by the words of their title, summary and notes, accents and case aside.

    Best match first (bm25), then newest. Takes the filters of `list`.
    """
    from watchcli.search import match_spans
    from watchcli.searching import search_items
    from watchcli.views import items_table, search_hit

    settings = _settings(ctx)
    query = " ".join(words)
    item_filter = _item_filter(
        settings,
        since=since,
        week=week,
        source=source,
        tag=tag,
        status=status,
        network=network,
        assignee=assignee,
        unassigned=unassigned,
        mine=mine,
        limit=limit,
    )
    with settings.open_store() as store:
        parsed, items = search_items(store, query, item_filter)
    if as_json:
        print_json(
            [{k: v for k, v in item.items() if k not in ("summary", "rank")} for item in items]
        )
    elif items:
        out.print(
            items_table(
                items,
                width=out.width,
                render_title=lambda item: search_hit(item, lambda t: match_spans(t, parsed)),
            )
        )
    else:
        say_error(f"no items match {query!r}; try fewer words or widen the filters")


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


@app.command()
def export(
    ctx: typer.Context,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="jsonl or csv.")] = (
        ExportFormat.jsonl
    ),
    since: Annotated[
        str | None,
        typer.Option(metavar="WHEN", help="Only items new or changed since: 7d or 2026-11-01."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to FILE.")
    ] = None,
) -> None:
    """Items with their sightings, tags, status, holder, notes and history, for `import`."""
    from watchcli.dates import parse_since, utcnow
    from watchcli.exchange import export_items

    with _settings(ctx).open_store() as store:
        count = export_items(
            store,
            fmt.value,
            since=parse_since(since) if since else None,
            now=utcnow(),
            output=output,
        )
    if output is not None:
        say(f"exported {count} items to {output}")


@app.command("import")
def import_items(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A file of `watchcli export`.")],
) -> None:
    """Merge another store's export: the same file twice changes nothing."""
    from watchcli.dates import utcnow
    from watchcli.exchange import import_file
    from watchcli.triage import require_member

    settings = _settings(ctx)
    config = settings.optional_config()
    if config and config.networks:
        require_member(config, settings.user)
    with settings.open_store() as store:
        if config:
            store.sync_sources(config.sources)
        report = import_file(store, file, now=utcnow())
    unchanged = report.items - report.new_items - report.updated_items
    say(
        f"imported {file}: {report.items} items ({report.new_items} new, "
        f"{report.updated_items} updated, {unchanged} unchanged); added {report.sightings} "
        f"sightings, {report.tags} tags, {report.notes} notes, {report.history} history lines"
    )


@app.command()
def backup(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="PATH", help="A file, or a folder.")],
) -> None:
    """A consistent, compact copy of the live store, even while a fetch runs."""
    from watchcli.dates import utcnow
    from watchcli.upkeep import backup_store

    with _settings(ctx).open_store() as store:
        done = backup_store(store, path, now=utcnow())
    say(f"backed up {done.items} items to {done.path} ({_mib(done.size)}, integrity ok)")


@app.command()
def maintain(
    ctx: typer.Context,
    no_vacuum: Annotated[
        bool, typer.Option("--no-vacuum", help="Prune and measure, but do not compact.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
) -> None:
    """Prune discarded items older than [store].keep_days, compact, and report the size."""
    from filelock import FileLock, Timeout

    from watchcli.dates import utcnow
    from watchcli.store import Store
    from watchcli.upkeep import maintain_store

    settings = _settings(ctx)
    config = settings.optional_config()
    keep_days = config.keep_days if config else None
    store_path = settings.store_path()
    # VACUUM holds the store for as long as it rewrites it: longer, on a large store, than a
    # fetch waits for a lock. So no fetch meanwhile (cron's next one runs after), as fetch does.
    lock = FileLock(str(store_path) + ".fetch.lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise FetchLockedError(
            f"a fetch is running on {store_path} (lock {lock.lock_file}); try again later"
        ) from None
    try:
        with Store.open(store_path) as store:
            report = maintain_store(store, keep_days=keep_days, now=utcnow(), vacuum=not no_vacuum)
    finally:
        lock.release()
    if as_json:
        print_json(
            {
                "pruned": report.pruned,
                "keep_days": report.keep_days,
                "size_before": report.size_before,
                "size": report.size,
                "items": report.items,
                "per_10k_items": report.per_10k_items,
                "space": [{"name": n, "type": t, "bytes": b} for n, t, b in report.space],
            }
        )
        return
    if keep_days is None:
        say("no [store].keep_days: nothing pruned")
    else:
        say(f"pruned {report.pruned} discarded items older than {keep_days} days")
    say(
        f"{settings.store_path()}: {_mib(report.size)} (was {_mib(report.size_before)}), "
        f"{report.items} items, {_mib(report.per_10k_items)} per 10k items"
    )
    for name, kind, size in report.space[:12]:
        say(f"  {_mib(size):>10}  {kind:<5}  {name}")


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


# --- adding sources (README, "Adding sources") ----------------------------------------------


@sources_app.command("add")
def sources_add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(metavar="URL", help="A feed, or a page that links one.")],
    network: Annotated[
        str | None, typer.Option(metavar="NETWORK", help="The network that curates it.")
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", "-t", metavar="TAG", help="Added to its items (repeatable)."),
    ] = None,
) -> None:
    """Add a feed to sources.toml (comments kept); finds the feed of an HTML page."""
    from watchcli.sources_admin import NoFeed, add_source

    settings = _settings(ctx)
    try:
        added = add_source(
            settings.config(), url, network=network, tags=list(tag or ()), debug=settings.debug
        )
    except NoFeed as no_feed:
        sys.stdout.write(no_feed.skeleton + "\n")  # plain text: it holds the page's words
        raise
    found = f" (found on {added.discovered_from})" if added.discovered_from else ""
    say(
        f"added source '{added.id}': {added.url}{found} — {added.title or 'untitled'}, "
        f"{added.entries} entries now"
    )


@sources_app.command("import-opml")
def sources_import_opml(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="An OPML 1 or 2 file.")],
    network: Annotated[
        str | None, typer.Option(metavar="NETWORK", help="The network that curates them.")
    ] = None,
) -> None:
    """Add the feeds of an OPML file; folders and categories become tags."""
    from watchcli.sources_admin import import_opml

    report = import_opml(_settings(ctx).config(), file, network=network)
    for url, why in report.duplicates:
        say_error(f"skipped {url}: {why}")
    for url, problem in report.invalid:
        say_error(f"skipped {url}: invalid URL ({problem})")
    for source_id, url in report.added:
        say(f"added source '{source_id}': {url}")
    tags = f", {len(report.new_tags)} new tags" if report.new_tags else ""
    say(
        f"{file}: {len(report.added)} sources added{tags}; {len(report.duplicates)} duplicates "
        f"and {len(report.invalid)} invalid URLs skipped"
    )


@sources_app.command("export-opml")
def sources_export_opml(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to FILE.")
    ] = None,
) -> None:
    """The configured sources as OPML 2.0, their tags as categories."""
    from watchcli.dates import utcnow
    from watchcli.sources_admin import export_opml

    data = export_opml(_settings(ctx).config(), now=utcnow())
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)


# --- entry point -----------------------------------------------------------------------------


def main() -> None:
    debug = "--debug" in sys.argv[1:] or os.environ.get("WATCHCLI_DEBUG") == "1"
    try:
        # Typer handles usage errors (exit 2), --help and typer.Exit itself and exits; our own
        # errors and bugs come out here.
        app()
    except WatchError as error:
        _fail(str(error), error.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except sqlite3.OperationalError as error:
        if debug:
            raise
        _fail(f"store error: {error}", EXIT_FAILED)
    except Exception as error:
        if debug:
            raise
        _fail(
            f"unexpected error: {type(error).__name__}: {error} — this is a bug; rerun with "
            "--debug for the traceback and report it",
            EXIT_FAILED,
        )


def _fail(message: str, code: int) -> None:
    say_error(f"watchcli: {message}")
    sys.exit(code)


def say(line: str) -> None:
    """One line of result on stdout, never interpreted."""
    from watchcli.text import clean_text

    sys.stdout.write(clean_text(line) + "\n")


def say_error(line: str) -> None:
    """One diagnostic line on stderr: never wrapped, never styled, never interpreted."""
    from watchcli.text import clean_text

    sys.stderr.write(clean_text(line) + "\n")
