"""Rich renderables for the terminal. Feed text only ever enters as `Text`, never as markup,
and goes through `clean_text` on the way, so no escape sequence or `[bold]` from a feed is
interpreted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from watchcli.dates import parse_iso
from watchcli.models import source_health
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


def items_table(items: Iterable[dict], *, title: str | None = None) -> Table:
    table = Table(title=title, show_lines=False, header_style="bold", box=box.SIMPLE_HEAD)
    table.add_column("id", justify="right", style="bold", no_wrap=True)
    table.add_column("date", no_wrap=True)
    table.add_column("title", ratio=3, min_width=30, overflow="fold")
    table.add_column("sources", ratio=1, overflow="fold")
    table.add_column("tags", ratio=1, overflow="fold")
    table.add_column("status", no_wrap=True)
    for item in items:
        holder = item.get("assignee") or item.get("network") or ""
        status = Text(item["status"], style=STATUS_STYLE.get(item["status"], ""))
        if holder:
            status.append("\n")
            status.append_text(safe(holder))
        table.add_row(
            str(item["id"]),
            compact_date(item["published"]),
            safe(item["title"]),
            safe(", ".join(item["sources"])),
            safe(", ".join(item["tags"])),
            status,
        )
    return table


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
    facts.add_row("assignee", safe(item["assignee"] or "—"))
    facts.add_row("network", safe(item["network"] or "—"))
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


def age(value: str, now: datetime) -> str:
    seconds = (now - parse_iso(value)).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return "now"
