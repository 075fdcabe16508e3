"""`watchcli triage`: the full-screen triage screen (README, "The triage screen").

A Textual app over the same services as the CLI: every key calls `triage.Triage`, `merging`
or `services`, each change written at once in its own short transaction, as the commands do.
`create_app` is the one factory, used by `cli.py` and by the tests.

Feed text is hostile: it only ever reaches the screen as `rich.text.Text` built from
`clean_text`, never as markup (a DataTable or a Static would read a plain `str` as markup).
"""

from __future__ import annotations

import gettext
import os
import sqlite3
import sys
import webbrowser
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from watchcli import services
from watchcli.config import SCOPES, Config
from watchcli.dates import utcnow
from watchcli.errors import WatchError
from watchcli.i18n import translation
from watchcli.merging import merge_items, split_sighting
from watchcli.models import Status
from watchcli.store import Store
from watchcli.text import clean_text
from watchcli.triage import Actor, Result, Target, Triage, require_member
from watchcli.tui_dialogs import Help, Picker, Prompt
from watchcli.views import compact_date, safe, safe_multiline, short_date

# Seconds between two automatic reloads of the queue: what another analyst or a running
# fetch changed shows without a key.
REFRESH_SECONDS = 30.0

# The list's columns and their widths: 80 columns with the table's padding and scrollbar.
COLUMNS = ("mark", "date", "title", "tags", "holder")
WIDTHS = (2, 11, 33, 9, 9)

STATUS_MARK = {"new": " ", "selected": "✓", "discarded": "✗"}


def keys_help(_: Callable[[str], str]) -> list[tuple[str, str]]:
    """The keys and what they do, for `?` and the README's table."""
    return [
        ("j/k ↑/↓", _("move")),
        ("J/K", _("scroll the preview")),
        ("s", _("select")),
        ("d", _("discard")),
        ("r", _("reopen")),
        ("t", _("tag (or untag) from the vocabulary")),
        ("a", _("assign to a network or a member")),
        ("c", _("claim")),
        ("n", _("note")),
        ("space", _("mark or unmark")),
        ("m", _("merge the marked items")),
        ("x", _("split a sighting off")),
        ("o", _("show the URL, open a browser")),
        ("/", _("search titles, summaries and notes")),
        ("f", _("filter by tag, status, network or scope")),
        ("esc", _("back to the queue")),
        ("u", _("undo the last action")),
        ("R", _("refresh")),
        ("q", _("quit")),
    ]


def status_label(_: Callable[[str], str], status: str) -> str:
    labels = {"new": _("new"), "selected": _("selected"), "discarded": _("discarded")}
    return labels.get(status, status)


@dataclass
class Undo:
    """How to take back one action: what it was, and the services calls that reverse it."""

    label: str
    run: Callable[[], list[Result]]


class TriageApp(App[None]):
    """The queue, the preview of the item under the cursor, and one key per action."""

    TITLE = "watchcli triage"
    CSS = """
    #header { height: 1; background: $primary-background; }
    #queue { height: 10; }
    #preview { height: 1fr; border-top: solid $primary; padding: 0 1; }
    #message { height: 1; background: $boost; }
    #keys { height: 1; background: $primary-background; }
    Picker, Prompt, Help { align: center middle; }
    #dialog {
        width: 72; max-width: 100%; height: auto; max-height: 22;
        border: round $primary; background: $surface; padding: 0 1;
    }
    #choices { height: auto; max-height: 14; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "down", show=False),
        Binding("k", "up", show=False),
        Binding("J", "scroll_preview(1)", show=False),
        Binding("K", "scroll_preview(-1)", show=False),
        Binding("s", "status('selected')", show=False),
        Binding("d", "status('discarded')", show=False),
        Binding("r", "status('new')", show=False),
        Binding("t", "tag", show=False),
        Binding("a", "assign", show=False),
        Binding("c", "claim", show=False),
        Binding("n", "note", show=False),
        Binding("space", "mark", show=False),
        Binding("m", "merge", show=False),
        Binding("x", "split", show=False),
        Binding("o", "open", show=False),
        Binding("slash", "search", show=False),
        Binding("f", "filter", show=False),
        Binding("escape", "back", show=False),
        Binding("u", "undo", show=False),
        Binding("R", "refresh", show=False),
        Binding("q", "quit", show=False),
        Binding("question_mark", "help", show=False),
    ]

    def __init__(
        self,
        store: Store,
        config: Config,
        actor: Actor,
        *,
        tr: gettext.NullTranslations,
        clock: Callable[[], datetime] = utcnow,
        refresh_seconds: float = REFRESH_SECONDS,
        open_browser: Callable[[str], object] | None = None,
        debug: bool = False,
    ) -> None:
        super().__init__()
        self.show_tracebacks = debug
        self.store = store
        self.config = config
        self.actor = actor
        self.triage = Triage(store, actor, clock=clock)
        self.clock = clock
        self._ = tr.gettext
        self.refresh_seconds = refresh_seconds
        self.open_browser = open_browser
        self.view = services.View()
        self.items: list[dict] = []
        self.more_matches = False  # the search matched more than the items it looked through
        self.marked: set[int] = set()
        self.drawn: dict[int, tuple] = {}  # what each line shows, to redraw only changes
        self.kept: dict[int, int] = {}  # items acted on here: the rank they were listed with
        self.undos: list[Undo] = []
        self.message = ""  # the last line said under the preview
        self.failure: str | None = None  # an unexpected error that ended the screen

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        _ = self._
        yield Static(id="header")
        table: DataTable = DataTable(id="queue", cursor_type="row", zebra_stripes=False)
        labels = {"mark": " ", "date": _("date"), "title": _("title")}
        labels |= {"tags": _("tags"), "holder": _("holder")}
        for key, width in zip(COLUMNS, WIDTHS, strict=True):
            table.add_column(labels[key], width=width, key=key)
        yield table
        with VerticalScroll(id="preview"):
            yield Static(id="detail")
        yield Static(id="message")
        yield Static(id="keys")

    def on_mount(self) -> None:
        self.reload()
        self.query_one(DataTable).focus()
        if self.refresh_seconds:
            self.set_interval(self.refresh_seconds, self.reload)

    def on_unmount(self) -> None:
        self.store.close()

    # --- reading the store ----------------------------------------------------------------

    def reload(self) -> None:
        """Read the rows again (another analyst, a running fetch), keeping the cursor on the
        same item where it still is. When the rows are the same items in the same order (after
        an action here), only the lines that changed are redrawn: rebuilding a table of
        thousands of rows takes a visible moment."""
        current = self.current_id()
        queue = services.triage_queue(
            self.store, (self.actor.name, self.actor.network), self.view, keep=self.kept
        )
        same_rows = [item["id"] for item in queue.items] == [item["id"] for item in self.items]
        self.items = queue.items
        self.more_matches = queue.more_matches
        ids = {item["id"] for item in self.items}
        self.marked &= ids
        table = self.query_one(DataTable)
        if same_rows:
            for item in self.items:
                if self.drawn.get(item["id"]) != self._drawn_as(item):
                    self._draw(item)
        else:
            row = table.cursor_row
            table.clear()
            self.drawn.clear()
            for item in self.items:
                table.add_row(*self._cells(item), key=str(item["id"]))
                self.drawn[item["id"]] = self._drawn_as(item)
            if current in ids:
                row = next(n for n, item in enumerate(self.items) if item["id"] == current)
            if self.items:
                table.move_cursor(row=max(0, min(row, len(self.items) - 1)))
        self._header(queue.counts)
        self._keys_line()
        self.show_preview()

    def _drawn_as(self, item: dict) -> tuple:
        return (
            item["id"] in self.marked,
            item["status"],
            item["published"],
            item["title"],
            tuple(item["tags"]),
            item["assignee"],
            item["network"],
        )

    def _draw(self, item: dict) -> None:
        """Redraw the line of one item."""
        table = self.query_one(DataTable)
        for column, cell in zip(COLUMNS, self._cells(item), strict=True):
            table.update_cell(str(item["id"]), column, cell)
        self.drawn[item["id"]] = self._drawn_as(item)

    def _cells(self, item: dict) -> list[Text]:
        mark = Text("*" if item["id"] in self.marked else " ", style="bold yellow")
        mark.append(STATUS_MARK.get(item["status"], "?"))
        dim = "dim" if item["status"] != "new" else ""
        return [
            mark,
            Text(compact_date(item["published"]), style=dim),
            Text(clean_text(item["title"]), style=dim, overflow="ellipsis", no_wrap=True),
            Text(clean_text(",".join(item["tags"])), overflow="ellipsis", no_wrap=True),
            Text(clean_text(item["assignee"] or item["network"] or "—"), no_wrap=True),
        ]

    def _header(self, counts: dict[int, int]) -> None:
        _ = self._
        network = self.config.networks[self.actor.network].name
        line = Text(" " + _("Queue:") + " ", style="bold")
        yours, unassigned = _("yours"), _("unassigned")
        line.append(
            f"{counts[services.HELD]} {yours} · {counts[services.NETWORK]} {network} · "
            f"{counts[services.UNASSIGNED]} {unassigned}"
        )
        if not self.view.is_queue:
            line.append(f"  [{self._view_label()}: {len(self.items)}]", style="bold")
        self.query_one("#header", Static).update(line)

    def _view_label(self) -> str:
        _ = self._
        parts = []
        if self.view.search:
            parts.append(f"/{self.view.search}")
        for name, value in (
            ("tag", self.view.tag),
            ("status", self.view.status),
            ("network", self.view.network),
            ("scope", self.view.scope),
        ):
            if value:
                parts.append(f"{name}:{value}")
        return clean_text(" ".join(parts)) or _("queue")

    def _keys_line(self) -> None:
        """Who is acting (always whole), then as many keys as the width leaves room for:
        `?` lists them all."""
        _ = self._
        who = f"{self.actor.name} ({self.config.networks[self.actor.network].name})"
        marked = _("{n} marked").format(n=len(self.marked)) + " · " if self.marked else ""
        keys = [
            ("?", _("help")),
            ("s", _("select")),
            ("d", _("discard")),
            ("c", _("claim")),
            ("t", _("tag")),
            ("u", _("undo")),
            ("q", _("quit")),
        ]
        width = (self.size.width or 80) - 1
        room = width - len(marked + who) - 2
        while keys and sum(len(k) + len(w) + 2 for k, w in keys) > room:
            keys.pop(-2 if len(keys) > 2 else -1)  # q and ? go last
        line = Text(" ")
        for key, what in keys:
            line.append(key, style="bold reverse")
            line.append(f" {what} ")
        line.append(Text((marked + who).rjust(width - len(line.plain)), style="bold"))
        self.query_one("#keys", Static).update(line)

    def current_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not self.items or table.cursor_row >= len(self.items):
            return None
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        return int(key) if key is not None else None

    def current(self) -> dict | None:
        current = self.current_id()
        return next((item for item in self.items if item["id"] == current), None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_preview()

    def show_preview(self) -> None:
        detail = self.query_one("#detail", Static)
        item_id = self.current_id()
        if item_id is None:
            detail.update(Text(self._("Nothing to triage here. R reloads, f filters."), "dim"))
            return
        try:
            item = self.store.get_item(item_id)
        except WatchError as error:
            detail.update(Text(clean_text(str(error))))
            return
        detail.update(self.preview(item))

    def preview(self, item: dict) -> RenderableType:
        """The item: title, state, summary, every sighting with its source, notes, history."""
        _ = self._
        head = Text(f"#{item['id']} ", style="bold")
        head.append_text(safe(item["title"]))
        head.stylize("bold")
        state = Text(style="dim")
        state.append(f"{short_date(item['published'])} · {status_label(_, item['status'])}")
        holder = item["assignee"] or item["network"]
        state.append(" · " + _("held by") + " " if item["assignee"] else " · ")
        state.append_text(safe(holder or _("unassigned")))
        if item["tags"]:
            state.append(" · ")
            state.append_text(safe(", ".join(item["tags"])))
        parts: list[RenderableType] = [head, state]
        if item.get("summary"):
            parts.append(safe_multiline(item["summary"]))
        parts.append(Text(_("Sightings"), style="bold"))
        for sighting in item["sightings"]:
            line = Text(f"#{sighting['id']} ", style="dim")
            line.append_text(safe(sighting["source"]))
            line.append(f" {short_date(sighting['seen'])} ", style="dim")
            line.append_text(safe(sighting["url"] or sighting["guid"]))
            parts.append(line)
        if item["notes"]:
            parts.append(Text(_("Notes"), style="bold"))
            for note in item["notes"]:
                line = safe(note["by"])
                line.append(": ")
                line.append_text(safe(note["text"]))
                parts.append(line)
        if item["history"]:
            parts.append(Text(_("History"), style="bold"))
            for change in item["history"]:
                line = Text(f"{short_date(change['at'])} ", style="dim")
                line.append_text(safe(f"{change['by']} {change['action']} {change['detail']}"))
                parts.append(line)
        return Group(*parts)

    def say(self, text: str, *, error: bool = False) -> None:
        self.message = clean_text(text)
        self.query_one("#message", Static).update(
            Text(" " + clean_text(text), style="bold red" if error else "", no_wrap=True)
        )

    # --- acting -----------------------------------------------------------------------------

    def targets(self) -> list[int]:
        """The marked items, in list order, else the one under the cursor."""
        if self.marked:
            return [item["id"] for item in self.items if item["id"] in self.marked]
        current = self.current_id()
        return [current] if current is not None else []

    def rows_of(self, ids: Iterable[int]) -> list[dict]:
        wanted = set(ids)
        return [item for item in self.items if item["id"] in wanted]

    def apply(self, ids: Sequence[int], act: Callable[[], list[Result]], undo: Undo | None) -> None:
        """Run one action through the services, say how it went, remember how to undo it."""
        try:
            results = act()
        except WatchError as error:
            self.say(str(error), error=True)
            return
        except sqlite3.OperationalError as error:
            self.say(f"store error: {error}", error=True)
            return
        for item in self.rows_of(ids):
            self.kept.setdefault(item["id"], item["queue"])
        failed = [r for r in results if not r.ok]
        done = [r for r in results if r.ok]
        if failed:
            self.say("; ".join(r.message for r in failed), error=True)
        else:
            self.say("; ".join(r.message for r in done))
        if undo is not None and done:
            self.undos.append(undo)
        self.marked.clear()
        self.reload()

    def action_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def action_scroll_preview(self, lines: int) -> None:
        self.query_one("#preview", VerticalScroll).scroll_relative(y=lines * 3, animate=False)

    def action_status(self, status: str) -> None:
        ids = self.targets()
        if not ids:
            return
        before = {item["id"]: item["status"] for item in self.rows_of(ids)}

        def back() -> list[Result]:
            results: list[Result] = []
            for old in dict.fromkeys(before.values()):
                results += self.triage.set_status(
                    [i for i, s in before.items() if s == old], Status(old)
                )
            return results

        self.apply(ids, lambda: self.triage.set_status(ids, Status(status)), Undo(status, back))

    def action_claim(self) -> None:
        ids = self.targets()
        if not ids:
            return
        before = {item["id"]: (item["network"], item["assignee"]) for item in self.rows_of(ids)}
        self.apply(
            ids, lambda: self.triage.claim(ids, force=False), Undo("claim", self._reassign(before))
        )

    def _reassign(
        self, before: dict[int, tuple[str | None, str | None]]
    ) -> Callable[[], list[Result]]:
        def back() -> list[Result]:
            results: list[Result] = []
            for item_id, (network, assignee) in before.items():
                if network is None:
                    results += self.triage.unassign([item_id])
                else:
                    results += self.triage.assign([item_id], Target(network, assignee))
            return results

        return back

    def action_tag(self) -> None:
        ids = self.targets()
        if not ids:
            return
        _ = self._
        options = list(self.config.tags.labels.items())
        have = {t for item in self.rows_of(ids) for t in item["tags"]}
        options += [(t, "") for t in sorted(have) if t not in self.config.tags.labels]

        def picked(tag: str | None) -> None:
            if not tag:
                return
            rows = self.rows_of(ids)
            if rows and all(tag in item["tags"] for item in rows):
                self.apply(
                    ids,
                    lambda: self.triage.untag(ids, (tag,)),
                    Undo("untag", lambda: self.triage.tag(ids, (tag,))),
                )
            else:
                added = [item["id"] for item in rows if tag not in item["tags"]]
                self.apply(
                    ids,
                    lambda: self.triage.tag(ids, (tag,)),
                    Undo("tag", lambda: self.triage.untag(added, (tag,))),
                )

        def typed(query: str) -> tuple[str, str] | None:
            tag = query.strip().lower()
            if self.config.tags.allow_other and self.config.tags.accepts(tag):
                return tag, _("new tag")
            return None

        self.push_screen(
            Picker(
                _("Tag (again to untag)"),
                options,
                _("type to narrow, Enter picks"),
                typed=typed,
            ),
            picked,
        )

    def action_assign(self) -> None:
        ids = self.targets()
        if not ids:
            return
        _ = self._
        options = [("-", _("nobody (unassign)"))]
        for network in self.config.networks.values():
            options.append((network.id, network.name))
            options += [(member, network.name) for member in network.members]
        before = {item["id"]: (item["network"], item["assignee"]) for item in self.rows_of(ids)}

        def picked(who: str | None) -> None:
            if not who:
                return
            if who == "-":
                act = lambda: self.triage.unassign(ids)  # noqa: E731
            else:
                network = self.config.network_of(who)
                target = Target(who) if who in self.config.networks else Target(network or "", who)
                act = lambda: self.triage.assign(ids, target)  # noqa: E731
            self.apply(ids, act, Undo("assign", self._reassign(before)))

        self.push_screen(Picker(_("Assign to"), options, _("type to narrow, Enter picks")), picked)

    def action_note(self) -> None:
        current = self.current_id()
        if current is None:
            return

        def written(text: str | None) -> None:
            if text and text.strip():
                self.apply([current], lambda: self.triage.note(current, text), None)

        self.push_screen(Prompt(self._("Note on #{id}").format(id=current)), written)

    def action_mark(self) -> None:
        item = self.current()
        if item is None:
            return
        self.marked ^= {item["id"]}
        self._draw(item)
        self._keys_line()
        self.query_one(DataTable).action_cursor_down()

    def action_merge(self) -> None:
        _ = self._
        ids = self.targets()
        if len(ids) < 2:
            self.say(_("Mark two items or more with space, then m merges them."), error=True)
            return
        current = self.current_id()
        keep = current if current in ids else ids[0]
        order = [keep, *(i for i in ids if i != keep)]
        others = ", ".join(f"#{i}" for i in order[1:])
        question = _("Merge {others} into #{keep}? It cannot be undone.").format(
            others=others, keep=keep
        )

        def confirmed(answer: str | None) -> None:
            if answer != "yes":
                return

            def act() -> list[Result]:
                result = merge_items(self.store, order, by=self.actor.name, now=self.clock())
                text = f"merged {others} into #{result.keep} ({result.sightings} sightings moved)"
                return [Result(keep, True, text)]

            self.apply(order, act, None)

        self.push_screen(
            Picker(question, [("yes", _("merge")), ("no", _("cancel"))], _("Enter picks")),
            confirmed,
        )

    def action_split(self) -> None:
        _ = self._
        current = self.current_id()
        if current is None:
            return
        try:
            item = self.store.get_item(current)
        except WatchError as error:  # merged into another item meanwhile
            self.say(str(error), error=True)
            return
        if len(item["sightings"]) < 2:
            self.say(_("This item has one sighting: nothing to split."), error=True)
            return
        options = [
            (str(s["id"]), clean_text(f"{s['source']}: {s['title']}")) for s in item["sightings"]
        ]

        def picked(sighting: str | None) -> None:
            if not sighting:
                return

            def act() -> list[Result]:
                new_id = split_sighting(
                    self.store,
                    self.config,
                    current,
                    int(sighting),
                    by=self.actor.name,
                    now=self.clock(),
                )
                self.kept.setdefault(new_id, services.OTHERS)
                return [Result(current, True, f"sighting #{sighting} is now item #{new_id}")]

            self.apply([current], act, None)

        self.push_screen(Picker(_("Split which sighting off?"), options, ""), picked)

    def action_open(self) -> None:
        item = self.current()
        if item is None:
            return
        url = clean_text(item["url"])
        self.copy_to_clipboard(url)
        opened = self.open_browser(url) if self.open_browser else False
        self.say(url + ("" if opened else "  (" + self._("copied") + ")"))

    def action_search(self) -> None:
        _ = self._

        def searched(text: str | None) -> None:
            if text is None:
                return
            self.set_view(replace(self.view, search=text.strip()))
            if text.strip() and services.triage_search(text) is None:
                self.say(
                    _("Nothing to search for: give a word (-word only leaves out)"), error=True
                )
            elif self.more_matches:
                said = _("Over {n} matches: only the newest {n} looked through; add a word")
                self.say(said.format(n=services.MATCH_LIMIT))

        self.push_screen(Prompt(self._("Search (accents ignored)"), self.view.search), searched)

    def action_filter(self) -> None:
        _ = self._
        options = [("queue", _("my queue (no filter)"))]
        options += [(f"status:{s.value}", status_label(_, s.value)) for s in Status]
        options += [(f"tag:{tag}", label) for tag, label in self.config.tags.labels.items()]
        options += [(f"network:{n.id}", n.name) for n in self.config.networks.values()]
        options += [(f"scope:{scope}", "") for scope in SCOPES]

        def picked(choice: str | None) -> None:
            if not choice:
                return
            if choice == "queue":
                self.set_view(services.View())
                return
            name, value = choice.split(":", 1)
            fields = {
                "tag": self.view.tag,
                "status": self.view.status,
                "network": self.view.network,
                "scope": self.view.scope,
                name: value,
            }
            self.set_view(services.View(**fields, search=self.view.search))

        self.push_screen(Picker(_("Filter"), options, _("type to narrow, Enter picks")), picked)

    def set_view(self, view: services.View) -> None:
        self.view = view
        self.marked.clear()
        self.reload()
        self.query_one(DataTable).move_cursor(row=0)

    def action_back(self) -> None:
        if self.marked:
            self.marked.clear()
            self.reload()
        elif not self.view.is_queue:
            self.set_view(services.View())

    def action_undo(self) -> None:
        _ = self._
        if not self.undos:
            self.say(_("Nothing to undo."), error=True)
            return
        undo = self.undos.pop()
        try:
            results = undo.run()
        except WatchError as error:
            self.say(str(error), error=True)
            return
        self.say(_("Undone:") + " " + "; ".join(r.message for r in results))
        self.reload()

    def action_refresh(self) -> None:
        # The timer keeps what was acted on here in place; R shows the queue as it now is.
        self.kept.clear()
        self.reload()
        self.say(self._("Reloaded."))

    def action_help(self) -> None:
        _ = self._
        self.push_screen(
            Help(
                _("Keys"),
                keys_help(_),
                _("Actions apply to the marked items when some are marked."),
            )
        )

    def _handle_exception(self, error: Exception) -> None:
        # Textual's hook for an exception nothing caught: a bug. It ends the screen with one
        # line on stderr, said by `cli.py`; the traceback only with --debug.
        if self.show_tracebacks:
            super()._handle_exception(error)
            return
        self.failure = f"{type(error).__name__}: {error}"
        self.exit(return_code=1)


def browser_opener() -> Callable[[str], bool] | None:
    """Opens a URL in a graphical browser when this session has one; None over plain SSH,
    where a text browser would take over the terminal."""
    graphical = sys.platform in ("darwin", "win32") or any(
        os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY")
    )
    return webbrowser.open if graphical else None


def create_app(
    config: Config,
    store_path: Path,
    user: str,
    *,
    clock: Callable[[], datetime] = utcnow,
    languages: Sequence[str] | None = None,
    refresh_seconds: float = REFRESH_SECONDS,
    open_browser: Callable[[str], object] | None = None,
    debug: bool = False,
) -> TriageApp:
    """The triage screen of `user` on the store at `store_path`: the one factory of the CLI
    and the tests. IdentityError (exit 2) before anything opens when `user` is no member."""
    actor = require_member(config, user)
    store = Store.open(store_path)
    store.sync_sources(config.sources)
    return TriageApp(
        store,
        config,
        actor,
        tr=translation(languages),
        clock=clock,
        refresh_seconds=refresh_seconds,
        open_browser=open_browser,
        debug=debug,
    )
