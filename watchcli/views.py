"""Rich renderables for the terminal. Feed text only ever enters as `Text`, never as markup,
and goes through `clean_text` on the way, so no escape sequence or `[bold]` from a feed is
interpreted."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from rich.console import Group
from rich.table import Table
from rich.text import Text

from watchcli.dates import parse_iso
from watchcli.models import Entry, source_health
from watchcli.text import clean_text

HEALTH_STYLE = {"ok": "green", "failing": "red", "gone": "magenta", "never": "dim"}
STATUS_STYLE = {"new": "cyan", "selected": "green", "discarded": "dim"}


def safe(value: object) -> Text:
    """Any value as literal terminal text."""
    return Text(clean_text("" if value is None else str(value)))


def short_date(value: str | None) -> str:
    if not value:
        return ""
    return parse_iso(value).strftime("%Y-%m-%d %H:%M")


def items_table(
    items: Iterable[dict],
    *,
    title: str | None = None,
    width: int = 80,
    render_title: Callable[[dict], Text] | None = None,
) -> Table:
    """Items as rows; when they carry a `queue` rank (`list` for a member), a rule separates
    the member's queue (new items: theirs, their network's, unassigned) from the rest.
    `render_title` gives an item's title cell (`search` highlights its matches)."""
    table = Table(
        title=title, header_style="bold underline", box=None, padding=(0, 1), pad_edge=False
    )
    table.add_column("id", justify="right", style="bold", no_wrap=True)
    table.add_column("date", no_wrap=True)
    table.add_column("title", min_width=20, ratio=1, overflow="fold")
    # Narrow terminals keep the title readable: the side columns fold early.
    side = 14 if width < 100 else 24
    table.add_column("sources", max_width=side, overflow="fold")
    table.add_column("tags", max_width=side, overflow="fold")
    table.add_column("status", min_width=9, no_wrap=True)
    rows = list(items)
    if rows and "queue" in rows[0]:
        mine = sum(1 for item in rows if item["queue"] < 3)
        table.caption = f"{mine} new in your queue, then {len(rows) - mine} others (dimmed)"
    for n, item in enumerate(rows):
        status = Text(item["status"], style=STATUS_STYLE.get(item["status"], ""))
        status.append("\n")
        status.append_text(holder_text(item))
        following = rows[n + 1] if n + 1 < len(rows) else None
        queue_ends = (
            following is not None and item.get("queue", 3) < 3 and following.get("queue", 3) == 3
        )
        table.add_row(
            str(item["id"]),
            compact_date(item["published"]),
            render_title(item) if render_title else safe(item["title"]),
            safe(", ".join(item["sources"])),
            safe(", ".join(item["tags"])),
            status,
            end_section=queue_ends,
            style="dim" if item.get("queue", 0) == 3 else None,
        )
    return table


def holder_text(item: dict) -> Text:
    """`lea` (a member holds it), `resacoop` (left to a network, dim) or `unassigned`."""
    if item.get("assignee"):
        return safe(item["assignee"])
    if item.get("network"):
        text = safe(item["network"])
        text.stylize("dim")
        return text
    return Text("unassigned", style="dim italic")


def compact_date(value: str) -> str:
    """`28/11 09:15`: day first, as the French-speaking users read dates."""
    return parse_iso(value).strftime("%d/%m %H:%M")


def item_detail(item: dict) -> Group:
    head = Text()
    head.append(f"#{item['id']} ", style="bold")
    head.append_text(safe(item["title"]))
    head.stylize("bold")
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="dim")
    facts.add_column()
    facts.add_row("url", safe(item["url"]))
    facts.add_row("published", short_date(item["published"]))
    facts.add_row("first seen", short_date(item["first_seen"]))
    facts.add_row("status", safe(item["status"]))
    if item.get("handled_by"):
        facts.add_row("handled", safe(f"{item['handled_by']}, {short_date(item['handled_at'])}"))
    facts.add_row("assignee", safe(item["assignee"] or "—"))
    automatic = item["network"] and (item.get("assigned_by") or "watchcli") == "watchcli"
    facts.add_row(
        "network", safe((item["network"] or "—") + (" (from its sources)" if automatic else ""))
    )
    facts.add_row("tags", safe(", ".join(item["tags"]) or "—"))
    facts.add_row("scope / lang", safe(f"{item['scope'] or '—'} / {item['lang'] or '—'}"))
    parts: list = [head, facts]
    if item.get("summary"):
        parts += [Text(""), safe_multiline(item["summary"])]
    sightings = Table(title="sightings", title_justify="left", header_style="bold")
    for column in ("#", "source", "seen", "how", "score", "title / url"):
        sightings.add_column(column, overflow="fold")
    for sighting in item["sightings"]:
        label = safe(sighting["title"])
        label.append("\n")
        label.append_text(safe(sighting["url"] or sighting["guid"]))
        label.stylize(
            "dim", len(label.plain) - len(clean_text(sighting["url"] or sighting["guid"]))
        )
        why = how_matched(sighting)
        if why:
            label.append("\n")
            label.append_text(why)
        score = sighting.get("score")
        sightings.add_row(
            str(sighting["id"]),
            safe(sighting["source"]),
            short_date(sighting["seen"]),
            safe(sighting["how"]),
            "" if score is None else f"{score:.2f}",
            label,
        )
    parts += [Text(""), sightings]
    if item["notes"]:
        parts.append(Text("notes", style="bold"))
        for note in item["notes"]:
            line = Text(f"{short_date(note['at'])}  ", style="dim")
            line.append_text(safe(note["by"]))
            line.append(": ")
            line.append_text(safe(note["text"]))
            parts.append(line)
    if item["history"]:
        parts.append(Text("history", style="bold"))
        for change in item["history"]:
            line = Text(f"{short_date(change['at'])}  ", style="dim")
            line.append_text(safe(change["by"]))
            line.append(" ")
            line.append_text(safe(change["action"]))
            if change["detail"]:
                line.append(" ")
                line.append_text(safe(change["detail"]))
            parts.append(line)
    return Group(*parts)


def how_matched(sighting: dict) -> Text | None:
    """Why a sighting is on its item: the sighting it matched, or the hand that moved it."""
    matched = sighting.get("matched")
    line = Text(style="italic")
    if sighting["how"] in ("near", "url", "guid") and matched:
        line.append(f"{sighting['how']} match of #{matched['sighting']} ({matched['source']}")
        if sighting["how"] == "near" and sighting.get("score") is not None:
            line.append(f", score {sighting['score']:.2f}")
        line.append("): ")
        line.append_text(safe(matched["title"]))
        if sighting["how"] == "near" and sighting.get("features"):
            from watchcli import neardup  # the matcher, loaded only to explain a near match

            line.append("\n" + neardup.explain(sighting["features"]), style="dim")
    elif sighting.get("moved_from") is not None:
        verb = "split off" if sighting["how"] == "split" else "merged by hand from"
        line.append(f"{verb} #{sighting['moved_from']} (see history)")
    else:
        return None
    return line


def safe_multiline(text: str) -> Text:
    return Text("\n\n".join(clean_text(p) for p in text.split("\n\n")))


def sources_table(rows: Iterable[dict]) -> Table:
    table = Table(header_style="bold")
    for column in ("id", "network", "health", "status", "last ok", "fails", "items", "error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        health = health_of(row)
        error = row["last_error"] or (f"feed problem: {row['problem']}" if row["problem"] else "")
        table.add_row(
            safe(row["id"]),
            safe(row["network"] or "—"),
            Text(health, style=HEALTH_STYLE[health]),
            "" if row["last_status"] is None else str(row["last_status"]),
            short_date(row["last_ok"]),
            str(row["failures"] or ""),
            str(row["items"]),
            safe(error),
        )
    return table


def health_of(row: dict) -> str:
    return source_health(
        gone=bool(row["gone"]), failures=row["failures"], last_attempt=row["last_attempt"]
    )


def stats_view(report: dict) -> Group:
    """`watchcli stats` for people: the window, the figures, then who handled what."""
    if report["week"]:
        start = parse_iso(report["since"])
        last = parse_iso(report["until"]) - timedelta(days=1)
        heading = f"Week {report['week']} ({start:%d/%m} – {last:%d/%m/%Y})"
    else:
        heading = f"Since {short_date(report['since'])}"
    facts = Table.grid(padding=(0, 2))
    facts.add_column(justify="right", style="bold")
    facts.add_column()
    facts.add_row(str(report["fetched"]), "items fetched (first seen)")
    facts.add_row(str(report["merged"]), "duplicates merged into an existing item")
    facts.add_row(
        str(report["handled"]),
        f"items handled: {report['selected']} selected, {report['discarded']} discarded",
    )
    facts.add_row(
        str(report["shared_handled"]),
        "handled once for both networks: stories their sources both carried "
        f"({report['shared']} such stories fetched)",
    )
    facts.add_row(
        str(report["open"]),
        f"still new among them ({report['unassigned_open']} unassigned)",
    )
    networks = Table(title="per network", title_justify="left", header_style="bold")
    for column in ("network", "selected", "discarded", "handled", "still new"):
        networks.add_column(column, justify="left" if column == "network" else "right")
    for row in report["networks"]:
        networks.add_row(
            safe(row["name"]),
            str(row["selected"]),
            str(row["discarded"]),
            str(row["handled"]),
            str(row["open"]),
        )
    analysts = Table(title="per analyst", title_justify="left", header_style="bold")
    for column in ("analyst", "network", "selected", "discarded", "handled"):
        analysts.add_column(column, justify="left" if column in ("analyst", "network") else "right")
    for row in report["analysts"]:
        analysts.add_row(
            safe(row["analyst"]),
            safe(row["network"] or "—"),
            str(row["selected"]),
            str(row["discarded"]),
            str(row["handled"]),
        )
    health = report["sources"]
    line = Text(f"sources: {health['total']} — ")
    for n, state in enumerate(("ok", "failing", "gone", "never")):
        line.append(", " if n else "")
        line.append(f"{health[state]} {state}", style=HEALTH_STYLE[state] if health[state] else "")
    if health["failing_ids"]:
        line.append(" (")
        line.append_text(safe(", ".join(health["failing_ids"])))
        line.append("; see `watchcli sources list`)")
    return Group(Text(heading, style="bold"), facts, Text(""), networks, analysts, line)


def preview_table(entries: Iterable[tuple[Entry, tuple[str, ...]]]) -> Table:
    """The entries `sources check --source` found, as a fetch would store them."""
    table = Table(header_style="bold underline", box=None, padding=(0, 1), pad_edge=False)
    table.add_column("date", no_wrap=True)
    table.add_column("title", min_width=20, ratio=2, overflow="fold")
    table.add_column("link", ratio=1, overflow="fold")
    table.add_column("tags", overflow="fold")
    for entry, tags in entries:
        date = Text(entry.published.strftime("%Y-%m-%d"))
        if not entry.dated:
            date = Text("first seen", style="dim")
        table.add_row(date, safe(entry.title), safe(entry.url or entry.link), safe(", ".join(tags)))
    return table


def highlighted(value: str, spans: Callable[[str], list[tuple[int, int]]]) -> Text:
    """Feed text as literal `Text`, the parts `spans` finds in it styled: styles are spans
    over the cleaned text, so no markup from the feed is ever interpreted."""
    text = safe(value)
    for start, end in spans(text.plain):
        text.stylize("bold reverse", start, end)
    return text


def search_hit(item: dict, spans: Callable[[str], list[tuple[int, int]]], width: int = 90) -> Text:
    """A search result's title, its matches highlighted; when the title has none, a dim line
    of the summary around its first match says why the item was found."""
    title = highlighted(item["title"], spans)
    if spans(title.plain) or not item.get("summary"):
        return title
    summary = safe(item["summary"])
    found = spans(summary.plain)
    if not found:
        return title
    start = max(0, found[0][0] - width // 3)
    excerpt = summary[start : start + width]
    excerpt.stylize("dim")
    for a, b in found:
        if b > start and a < start + width:
            excerpt.stylize("bold reverse", max(a - start, 0), min(b - start, width))
    title.append("\n…" if start else "\n")
    title.append_text(excerpt)
    if start + width < len(summary):
        title.append("…")
    return title
