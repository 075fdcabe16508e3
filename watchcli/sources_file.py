"""Adding sources (and tags) to sources.toml without disturbing a byte of what is there.

The new `[[sources]]` tables and `[tags]` entries are rendered by tomlkit (so every string is
quoted and escaped as TOML wants) and inserted as text: the sources right after the body of the
last `[[sources]]` table, the tags after the last entry of `[tags]`. Everything else — comments,
blank lines, commented-out sources, key order — stays as written. (tomlkit's own append would
put the new table after the comments that introduce the next table.)

The new file is validated as a whole (`load_config`) before it replaces the old one, atomically:
a file that would not load is never written.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path

import tomlkit

from watchcli.config import ID_PATTERN, TAG_PATTERN, Config, load_config


def slug(text: str, *, pattern: re.Pattern[str] = ID_PATTERN, limit: int = 40) -> str:
    """`Coordination SUD – Actualités` → `coordination-sud-actualites` ("" when nothing is left)."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    ascii_text = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    words = words[:limit].rstrip("-")
    return words if pattern.fullmatch(words) else ""


def unique_id(wanted: str, taken: set[str]) -> str:
    if wanted not in taken:
        return wanted
    n = 2
    while f"{wanted}-{n}" in taken:
        n += 1
    return f"{wanted}-{n}"


def append_to_config(path: Path, sources: list[dict], tags: dict[str, str]) -> Config:
    """Add `sources` (each a dict of [[sources]] keys) and `tags` (id → label) to the file at
    `path`; returns the configuration it now holds. ConfigError, and the file untouched, if
    the result would not load."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    inserts: list[tuple[int, str]] = []
    if tags:
        rendered = tomlkit.dumps(dict(tags))
        end = _body_end(lines, "tags")
        if end is None:
            inserts.append((len(lines), "\n[tags]\n" + rendered))
        else:
            inserts.append((end, rendered))
    if sources:
        rendered = "".join("\n" + tomlkit.dumps({"sources": [s]}) for s in sources)
        end = _body_end(lines, "sources", array=True)
        inserts.append((len(lines) if end is None else end, rendered))
    for at, chunk in sorted(inserts, key=lambda pair: -pair[0]):
        lines.insert(at, chunk)
    new_text = "".join(lines)
    handle, temporary = tempfile.mkstemp(prefix=".sources-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(new_text)
        load_config(Path(temporary))
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return load_config(path)


def _body_end(lines: list[str], name: str, *, array: bool = False) -> int | None:
    """The index of the line after the last key of the last `[name]` (or `[[name]]`) table:
    its trailing comments and blank lines belong to what follows."""
    header = f"[[{name}]]" if array else f"[{name}]"
    starts = [i for i, line in enumerate(lines) if line.strip().split("#")[0].strip() == header]
    if not starts:
        return None
    end = starts[-1] + 1
    depth = 0
    for i in range(starts[-1] + 1, len(lines)):
        stripped = lines[i].strip()
        if depth == 0 and (not stripped or stripped.startswith("#")):
            # A blank or comment line: the body may go on after it (a comment inside a table).
            continue
        if depth == 0 and stripped.startswith("["):  # the next table's header
            break
        depth += _bracket_depth(stripped)
        end = i + 1
    return end


def _bracket_depth(line: str) -> int:
    """How many arrays a line opens minus closes, outside strings and comments."""
    depth = 0
    quote = ""
    escaped = False
    for ch in line:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
    return depth


def tag_id(label: str) -> str:
    return slug(label, pattern=TAG_PATTERN)
