"""What a user types to `watchcli search`, as a safe FTS5 query, and where it matches a text.

Pure: no I/O. The syntax (README, "Finding items again") is small on purpose:

- words: every one must match, accents and case aside (`solidarite` finds « Solidarité »);
- `"a phrase"`: these words, in this order (an unclosed quote runs to the end);
- `-word`, `-"a phrase"`: leave out the items that have it;
- `word*`: any word starting so (`solidar*`); as typed in the triage screen, the last word is
  one already (`parse_query(…, typing=True)`), unless it is in quotes.

Nothing the user types reaches FTS5 as syntax: every word becomes a quoted string, and FTS5's
operators (`AND`, `OR`, `NEAR`, `:`, `^`, parentheses) are words like any other. So no input
raises an FTS syntax error; an input with no word to look for gives `None`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

# A word as SQLite's unicode61 tokenizer sees it: letters and digits (Unicode categories L*,
# N*; also Co), everything else separates.
_TOKEN = re.compile(r"[^\W_]+")
_TERM = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


@dataclass(frozen=True)
class Term:
    """One thing to look for: its folded words, in order."""

    words: tuple[str, ...]
    prefix: bool = False  # the last word is a prefix (`solidar*`)
    exclude: bool = False


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...]

    @property
    def wanted(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.exclude)

    def fts(self) -> str | None:
        """The FTS5 MATCH expression, or None when there is nothing to look for."""
        wanted = [_fts_term(t) for t in self.wanted]
        if not wanted:
            return None
        expression = " AND ".join(wanted)
        excluded = [_fts_term(t) for t in self.terms if t.exclude]
        if excluded:
            expression = f"({expression}) NOT ({' OR '.join(excluded)})"
        return expression


def fold_word(word: str) -> str:
    """A word as the index holds it (`remove_diacritics 2`, lower case)."""
    decomposed = unicodedata.normalize("NFD", word.casefold())
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


def words(text: str) -> tuple[str, ...]:
    return tuple(fold_word(m.group()) for m in _TOKEN.finditer(text))


TYPED_PREFIX = 3  # letters from which the last word of a search as typed is a prefix


def parse_query(text: str, *, typing: bool = False) -> Query:
    """The user's words as terms; never raises. `typing`: the words of a search typed as one
    looks (the triage screen), whose last word may be unfinished: it is a prefix, as if it
    ended with `*` (`solidar` finds « Solidarité »), unless it is in quotes or shorter than
    TYPED_PREFIX letters (`UE` is a word; `a*` would be half the index, 160 ms at a million
    items)."""
    terms = []
    quoted = False
    for match in _TERM.finditer(text.replace("\x00", " ")):
        phrase_minus, phrase, word_minus, word = match.groups()
        raw = phrase if phrase is not None else word
        exclude = bool(phrase_minus if phrase is not None else word_minus)
        prefix = phrase is None and raw.endswith("*")
        found = words(raw)
        if found:
            terms.append(Term(found, prefix=prefix, exclude=exclude))
            quoted = phrase is not None
    if typing and terms and not quoted and len(terms[-1].words[-1]) >= TYPED_PREFIX:
        terms[-1] = replace(terms[-1], prefix=True)
    return Query(tuple(terms))


def _fts_term(term: Term) -> str:
    quoted = '"' + " ".join(term.words).replace('"', '""') + '"'
    return quoted + " *" if term.prefix else quoted


def match_spans(text: str, query: Query) -> list[tuple[int, int]]:
    """Where the wanted terms occur in `text`: (start, end) offsets, sorted, not overlapping.

    The same folding as the index, word by word, so what is highlighted is what was found.
    """
    tokens = [(m.start(), m.end(), fold_word(m.group())) for m in _TOKEN.finditer(text)]
    spans: list[tuple[int, int]] = []
    for term in query.wanted:
        n = len(term.words)
        for i in range(len(tokens) - n + 1):
            window = tokens[i : i + n]
            if all(
                _word_matches(tok[2], word, prefix=term.prefix and k == n - 1)
                for k, (tok, word) in enumerate(zip(window, term.words, strict=True))
            ):
                spans.append((window[0][0], window[-1][1]))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _word_matches(token: str, word: str, *, prefix: bool) -> bool:
    return token.startswith(word) if prefix else token == word
