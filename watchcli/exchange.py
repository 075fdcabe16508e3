"""`watchcli export` and `watchcli import`: one store's items as a file another store merges.

Two networks without a shared server swap a file each week and converge (README, "Moving and
keeping data"). The formats:

- `jsonl`: a header line `{"format": "watchcli-export", "version": 1, ...}`, one item per
  line, and an end line `{"end": {"items": N}}`;
- `csv`: a header row naming the columns (the item's, then `sightings`, `tags`, `notes` and
  `history` as JSON), one item per row, and an end row `#end,N`.

The end line is what tells a whole file from a truncated one. A file is checked to its end
before anything is imported, and imported in one transaction: a malformed or truncated file
is refused with its line number and the store is left as it was.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from watchcli.dates import iso, parse_iso
from watchcli.errors import UsageError
from watchcli.store import Store
from watchcli.store_exchange import (
    HISTORY_COLUMNS,
    ITEM_COLUMNS,
    NOTE_COLUMNS,
    SIGHTING_COLUMNS,
    TAG_COLUMNS,
    ExchangeStore,
    ImportReport,
)

FORMAT = "watchcli-export"
VERSION = 1
FORMATS = ("jsonl", "csv")
LISTS = ("sightings", "tags", "notes", "history")
CSV_COLUMNS = (*ITEM_COLUMNS, *LISTS)
CSV_END = "#end"

csv.field_size_limit(sys.maxsize if sys.maxsize < 2**31 else 2**31 - 1)

# What each field of a record must be: its types, and whether it is a time (ISO 8601).
_STR, _OPT = (str,), (str, type(None))
_ITEM: dict[str, tuple[tuple[type, ...], bool]] = {
    "id": ((int,), False),
    "url": (_STR, False),
    "title": (_STR, False),
    "summary": (_STR, False),
    "author": (_STR, False),
    "published": (_STR, True),
    "first_seen": (_STR, True),
    "updated": (_STR, True),
    "lang": (_OPT, False),
    "scope": (_OPT, False),
    "status": (_STR, False),
    "assignee": (_OPT, False),
    "network": (_OPT, False),
    "assigned_by": (_OPT, False),
    "handled_by": (_OPT, False),
    "handled_at": (_OPT, True),
}
_SIGHTING = {
    "source": (_STR, False),
    "guid": (_STR, False),
    "url": (_STR, False),
    "link": (_STR, False),
    "title": (_STR, False),
    "content_hash": (_STR, False),
    "published": (_OPT, True),
    "seen": (_STR, True),
    "updated": (_OPT, True),
    "how": (_STR, False),
    "score": ((int, float, type(None)), False),
    "lede": (_STR, False),
}
_LINES = {
    "tags": {c: (_STR, c == "at") for c in TAG_COLUMNS},
    "notes": {c: (_STR, c == "at") for c in NOTE_COLUMNS},
    "history": {c: (_STR, c == "at") for c in HISTORY_COLUMNS},
}
assert tuple(_SIGHTING) == SIGHTING_COLUMNS and tuple(_ITEM) == ITEM_COLUMNS
_Spec = list[tuple[str, tuple[type, ...], bool]]
_ITEM_SPEC: _Spec = [(k, types, time) for k, (types, time) in _ITEM.items()]
_SIGHTING_SPEC: _Spec = [(k, types, time) for k, (types, time) in _SIGHTING.items()]
_LINES_SPEC: dict[str, _Spec] = {
    name: [(k, types, time) for k, (types, time) in spec.items()] for name, spec in _LINES.items()
}


class BadFileError(UsageError):
    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}; nothing was imported")


# --- export ------------------------------------------------------------------------------------


def export_items(
    store: Store, fmt: str, *, since: datetime | None, now: datetime, output: Path | None
) -> int:
    """Write the items (all, or those new or changed since `since`); returns how many. To a
    file, whole or not at all; else to stdout."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; use jsonl or csv")
    if output is None:
        return _write(store, fmt, since, now, sys.stdout)
    folder = output.resolve().parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {output}: folder {folder} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=".export-", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            count = _write(store, fmt, since, now, stream)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


def _write(store: Store, fmt: str, since: datetime | None, now: datetime, stream: IO[str]) -> int:
    records = ExchangeStore(store.db).export_records(since)
    count = 0
    # One read transaction: the file is one moment of the store, even while a fetch writes.
    store.db.execute("BEGIN")
    try:
        if fmt == "jsonl":
            header = {"format": FORMAT, "version": VERSION, "exported": iso(now)}
            if since:
                header["since"] = iso(since)
            stream.write(json.dumps(header) + "\n")
            for record in records:
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
            stream.write(json.dumps({"end": {"items": count}}) + "\n")
        else:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(CSV_COLUMNS)
            for record in records:
                writer.writerow(
                    [record[c] for c in ITEM_COLUMNS]
                    + [json.dumps(record[c], ensure_ascii=False) for c in LISTS]
                )
                count += 1
            writer.writerow([CSV_END, count])
    finally:
        store.db.execute("COMMIT")
    return count


# --- import ------------------------------------------------------------------------------------


def import_file(store: Store, path: Path, *, now: datetime) -> ImportReport:
    """Check the whole file, then merge it in one transaction (see store_exchange)."""
    count = sum(1 for _ in read_records(path))  # refuses a bad file before touching the store
    exchange = ExchangeStore(store.db)
    with store.write():
        # Read again, checked already: a file changed in between fails here, and rolls back.
        report = exchange.import_records(read_records(path, check=False))
        assert report.items == count
        # A new item comes with its own state; one that gained another network's sighting
        # may become shared, as at fetch.
        for item_id in report.grown:
            store.apply_automatic_assignment(item_id, now=now, record=False)
        for item_id in exchange.items_to_index(report.changed, now=now):
            store.near.reindex(item_id)
    return report


def read_records(path: Path, *, check: bool = True) -> Iterator[dict]:
    """The records of an export file, checked (unless `check` is False: a second reading of
    a file checked already); BadFileError at the first problem."""
    try:
        with path.open("rb") as probe:
            start = probe.read(1)
        stream = path.open(encoding="utf-8", newline="")
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    with stream:
        try:
            if start == b"{":
                yield from _read_jsonl(path, stream, check)
            else:
                yield from _read_csv(path, stream, check)
        except UnicodeDecodeError:
            raise BadFileError(path, 0, "not UTF-8 text") from None


def _read_jsonl(path: Path, stream: IO[str], check: bool) -> Iterator[dict]:
    count = 0
    number = 0
    ended = False
    for number, line in enumerate(stream, start=1):
        if ended:
            raise BadFileError(path, number, "text after the end line")
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise BadFileError(path, number, f"not JSON ({error.msg})") from None
        if number == 1:
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise BadFileError(path, 1, "not a watchcli export (no header line)")
            if data.get("version") != VERSION:
                raise BadFileError(path, 1, f"export version {data.get('version')!r} unknown")
            continue
        if isinstance(data, dict) and set(data) == {"end"}:
            _check_end(
                path,
                number,
                data["end"].get("items") if isinstance(data["end"], dict) else None,
                count,
            )
            ended = True
            continue
        yield _checked(path, number, data) if check else data
        count += 1
    if not ended:
        raise BadFileError(path, number, "the file ends before its end line (truncated?)")


def _read_csv(path: Path, stream: IO[str], check: bool) -> Iterator[dict]:
    reader = csv.reader(stream)
    try:
        header = next(reader, None)
        if header is None or tuple(header) != CSV_COLUMNS:
            raise BadFileError(path, 1, "not a watchcli export (its header row differs)")
        count = 0
        ended = False
        for row in reader:
            if ended:
                raise BadFileError(path, reader.line_num, "rows after the end row")
            if row and row[0] == CSV_END:
                _check_end(path, reader.line_num, row[1] if len(row) == 2 else None, count)
                ended = True
                continue
            if len(row) != len(CSV_COLUMNS):
                raise BadFileError(
                    path, reader.line_num, f"{len(row)} fields, not {len(CSV_COLUMNS)}"
                )
            record: dict[str, Any] = dict(zip(CSV_COLUMNS, row, strict=True))
            for key in LISTS:
                try:
                    record[key] = json.loads(record[key])
                except json.JSONDecodeError:
                    raise BadFileError(path, reader.line_num, f"{key} is not JSON") from None
            record["id"] = int(record["id"]) if record["id"].isdigit() else record["id"]
            for key, (types, _) in _ITEM.items():
                if type(None) in types and record[key] == "":
                    record[key] = None
            yield _checked(path, reader.line_num, record) if check else record
            count += 1
    except csv.Error as error:
        raise BadFileError(path, reader.line_num, f"bad CSV ({error})") from None
    if not ended:
        raise BadFileError(path, reader.line_num, "the file ends before its end row (truncated?)")


def _check_end(path: Path, number: int, said: object, count: int) -> None:
    if str(said) != str(count):
        raise BadFileError(path, number, f"the end line says {said} items, the file has {count}")


def _fields(path: Path, number: int, value: object, spec: _Spec, what: str) -> None:
    if not isinstance(value, dict):
        raise BadFileError(path, number, f"{what} is not an object")
    for key, types, is_time in spec:
        try:
            field = value[key]
        except KeyError:
            missing = ", ".join(k for k, _, _ in spec if k not in value)
            raise BadFileError(path, number, f"{what} lacks {missing}") from None
        if type(field) not in types:
            raise BadFileError(path, number, f"{what}: {key} has the wrong type")
        if is_time and field is not None:
            try:
                parse_iso(field)
            except ValueError:
                raise BadFileError(path, number, f"{what}: {key} is not a date") from None


def _checked(path: Path, number: int, data: object) -> dict:
    _fields(path, number, data, _ITEM_SPEC, "item")
    assert isinstance(data, dict)
    if data["status"] not in ("new", "selected", "discarded"):
        raise BadFileError(path, number, f"item: unknown status {data['status']!r}")
    for key in LISTS:
        if type(data.get(key)) is not list:
            raise BadFileError(path, number, f"item: {key} is not a list")
    if not data["sightings"]:
        raise BadFileError(path, number, "item: no sightings")
    for sighting in data["sightings"]:
        _fields(path, number, sighting, _SIGHTING_SPEC, "sighting")
    for key, spec in _LINES_SPEC.items():
        for line in data[key]:
            _fields(path, number, line, spec, key)
    return data
