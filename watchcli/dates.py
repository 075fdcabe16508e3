"""Time as the store keeps it: aware UTC datetimes, written as ISO 8601 with an offset.

Every timestamp in the store is `iso(dt)`, so text order is time order.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from watchcli.errors import UsageError

_RELATIVE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(dt: datetime) -> str:
    """`2026-11-24T10:15:00+00:00`: the one way the store writes a time."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def parse_iso(text: str) -> datetime:
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """`7d`, `12h`, `2w` back from now, or a date `2026-11-01` (midnight UTC) or a full ISO time."""
    now = now or utcnow()
    match = _RELATIVE.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return (
            now
            - {
                "h": timedelta(hours=amount),
                "d": timedelta(days=amount),
                "w": timedelta(weeks=amount),
            }[unit]
        )
    try:
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip())
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        return parse_iso(text.strip())
    except ValueError:
        raise UsageError(
            f"cannot read the date {text!r}; use 7d, 12h, 2w or a date like 2026-11-01"
        ) from None


def week_bounds(spec: str, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """ISO week `this`, `last` or `2026-W48` as [Monday 00:00 UTC, next Monday 00:00 UTC)."""
    now = now or utcnow()
    spec = spec.strip()
    if spec in ("this", "last"):
        monday = (now - timedelta(days=now.weekday())).date()
        if spec == "last":
            monday -= timedelta(weeks=1)
    else:
        match = re.fullmatch(r"(\d{4})-?W(\d{1,2})", spec, flags=re.IGNORECASE)
        if not match:
            raise UsageError(f"cannot read the week {spec!r}; use this, last or 2026-W48")
        try:
            monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
            raise UsageError(f"there is no week {spec!r}") from None
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    return start, start + timedelta(weeks=1)
