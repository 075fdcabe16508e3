"""Time as the store keeps it: aware UTC datetimes, written as ISO 8601 with an offset.

Every timestamp in the store is `iso(dt)`, so text order is time order.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import cache

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


# --- Dates as pages write them ----------------------------------------------------------------

_ISO_RE = re.compile(
    r"(?<!\d)(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?(?!\d)",
    re.IGNORECASE,
)
_NUMERIC_RE = re.compile(r"(?<![\d/.-])(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?![\d/.-])")
_ORDINAL = r"(?:er|st|nd|rd|th|e)?"


@cache
def _month_names() -> tuple[dict[str, int], re.Pattern[str], re.Pattern[str]]:
    """Month names of French and English, wide and abbreviated, folded ("decembre", "dec",
    "fevr"), and the two patterns that find them: day month year, and month day, year."""
    from babel.dates import get_month_names

    from watchcli.text import fold

    names: dict[str, int] = {}
    for locale in ("fr", "en"):
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale).items():
                    names.setdefault(fold(name).rstrip("."), number)
    names.setdefault("sept", 9)  # "Sept. 3" in English, "sept." in French
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    day_first = re.compile(
        rf"(?<!\d)(\d{{1,2}}){_ORDINAL}\.?\s+({alternatives})\b\.?,?\s+(\d{{4}})(?!\d)"
    )
    month_first = re.compile(
        rf"\b({alternatives})\b\.?\s+(\d{{1,2}}){_ORDINAL},?\s+(\d{{4}})(?!\d)"
    )
    return names, day_first, month_first


def _day(year: int, month: int, day: int) -> datetime | None:
    if not 1970 <= year <= 2100:
        return None
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None


def read_page_date(text: str) -> datetime | None:
    """The first date written in `text`, as an aware UTC datetime; None when there is none.

    Reads what pages show: `<time datetime>` values and ISO dates (`2026-12-03`,
    `2026-12-03T10:00:00+01:00`), French and English dates (« mardi 3 décembre 2026 »,
    « 1er déc. 2026 », "December 3, 2026", "3rd Dec 2026"), and numeric dates day first as in
    French (`03/12/2026`, `3.12.26`; month first only when the day could not be a month:
    `12/31/2026`). A date without a time is midnight UTC. Never raises.
    """
    from watchcli.text import fold

    text = fold(text[:500])
    if not text:
        return None
    found: list[tuple[int, datetime]] = []
    if m := _ISO_RE.search(text):
        try:
            value = datetime.fromisoformat(m.group().upper().replace(" ", "T", 1))
        except ValueError:
            value = None
        if value is not None:
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
            if 1970 <= value.year <= 2100:
                found.append((m.start(), value))
    names, day_first, month_first = _month_names()
    if (m := day_first.search(text)) and (
        day := _day(int(m.group(3)), names[m.group(2)], int(m.group(1)))
    ):
        found.append((m.start(), day))
    if (m := month_first.search(text)) and (
        day := _day(int(m.group(3)), names[m.group(1)], int(m.group(2)))
    ):
        found.append((m.start(), day))
    if m := _NUMERIC_RE.search(text):
        first, second, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        year += 2000 if year < 100 else 0
        if second > 12 >= first:  # 12/31/2026: the month comes first
            first, second = second, first
        if day := _day(year, second, first):
            found.append((m.start(), day))
    return min(found, key=lambda f: f[0])[1] if found else None
