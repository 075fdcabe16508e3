"""`watchcli stats`: the mutualisation figures of a window, as one JSON-ready document. Pure.

The store counts (`Store.figures`, `Store.open_items`, `Store.sources_health`); this module
maps analysts to their networks through the configuration and shapes the document whose
fields the README documents. Windows: items count in the window they were first *seen* in
(`fetched`, `shared`, `open`), handling in the window it happened in (`handled_at`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from watchcli.config import Config
from watchcli.dates import iso, utcnow, week_bounds
from watchcli.models import source_health

HEALTH = ("ok", "failing", "gone", "never")


@dataclass(frozen=True)
class Window:
    """[start, end): an ISO week, or from a date until now."""

    start: datetime
    end: datetime
    week: str | None = None  # "2026-W48" when the window is a week

    @classmethod
    def of_week(cls, spec: str, *, now: datetime | None = None) -> Window:
        start, end = week_bounds(spec, now=now)
        year, number, _ = start.isocalendar()
        return cls(start, end, f"{year}-W{number:02d}")

    @classmethod
    def since(cls, start: datetime, *, now: datetime | None = None) -> Window:
        return cls(start, (now or utcnow()) + timedelta(seconds=1))


def build_stats(
    config: Config,
    window: Window,
    *,
    figures: dict,
    open_items: list[dict],
    health: list[dict],
) -> dict:
    """The `stats --json` document (fields in the README)."""
    analysts: dict[str, dict] = {
        member: _counts(analyst=member, network=network.id)
        for network in config.networks.values()
        for member in network.members
    }
    for row in figures["handled"]:
        name = row["analyst"]
        if name not in analysts:  # a former member: their work still counts
            analysts[name] = _counts(analyst=name, network=config.network_of(name))
        analysts[name][row["status"]] += row["items"]
        analysts[name]["handled"] += row["items"]

    networks = {
        n.id: {"id": n.id, "name": n.name, **_counts(), "open": 0} for n in config.networks.values()
    }
    for person in analysts.values():
        if person["network"] in networks:
            for key in ("selected", "discarded", "handled"):
                networks[person["network"]][key] += person[key]

    unassigned_open = 0
    for row in open_items:
        if row["network"] in networks:
            networks[row["network"]]["open"] += row["items"]
        else:
            unassigned_open += row["items"]

    sources = {"total": len(health), **dict.fromkeys(HEALTH, 0), "failing_ids": []}
    for row in health:
        state = source_health(
            gone=bool(row["gone"]), failures=row["failures"], last_attempt=row["last_attempt"]
        )
        sources[state] += 1
        if state == "failing":
            sources["failing_ids"].append(row["id"])

    selected = sum(a["selected"] for a in analysts.values())
    discarded = sum(a["discarded"] for a in analysts.values())
    return {
        "week": window.week,
        "since": iso(window.start),
        "until": iso(window.end),
        "fetched": figures["fetched"],
        "merged": figures["merged"],
        "shared": figures["shared"],
        "shared_handled": figures["shared_handled"],
        "handled": selected + discarded,
        "selected": selected,
        "discarded": discarded,
        "open": sum(row["items"] for row in open_items),
        "unassigned_open": unassigned_open,
        "networks": list(networks.values()),
        "analysts": list(analysts.values()),
        "sources": sources,
    }


def _counts(**keys: object) -> dict:
    return {**keys, "selected": 0, "discarded": 0, "handled": 0}
