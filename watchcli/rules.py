"""Keyword matching for `[[rules]]` (tags) and source `include`/`exclude` filters. Pure.

Text and keywords go through the same two steps, so they always agree:

1. `fold` (accents, case, apostrophes and dashes unified): "l’ÉCSI" → "l'ecsi";
2. split into words at anything that is not a letter or a digit: "l'ecsi" → ["l", "ecsi"],
   "femmes-hommes" → ["femmes", "hommes"].

A keyword matches when its words appear consecutively in one field of the entry (title, summary,
or one category): whole words only, so "ONG" does not match "longue", and a phrase never spans
two fields. Elision is handled by step 2 ("ECSI" matches "l'ECSI"). Nothing else is magic:
plural and singular are different words ("migrant" does not match "migrants"), and so are
"COP30" and "COP 30"; list every form you want.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from watchcli.config import Config, Rule, Source
from watchcli.models import Entry
from watchcli.text import fold

_WORD = re.compile(r"[^\W_]+")
_FIELD_BREAK = " | "  # "|" is never part of a word, so no phrase matches across it


def words(text: str) -> tuple[str, ...]:
    """The folded words of `text`: `words("L’ÉCSI, c'est…") == ("l", "ecsi", "c", "est")`."""
    return tuple(_WORD.findall(fold(text)))


@dataclass(frozen=True)
class MatchText:
    """An entry's text prepared once for every keyword test."""

    words: frozenset[str]
    joined: str  # " w1 w2 | w3 w4 ": fields separated, padded for whole-phrase search

    @classmethod
    def of(cls, *fields: str) -> MatchText:
        split = [words(f) for f in fields if f]
        return cls(
            words=frozenset(w for ws in split for w in ws),
            joined=" " + _FIELD_BREAK.join(" ".join(ws) for ws in split) + " ",
        )

    @classmethod
    def of_entry(cls, entry: Entry) -> MatchText:
        return cls.of(entry.title, entry.summary, *entry.categories)


# The text of an entry nothing reads (see `Rules.reads_text`).
NO_WORDS = MatchText.of()


@dataclass(frozen=True)
class Keywords:
    """A list of words or phrases, compiled; a keyword with no word at all never matches."""

    single: frozenset[str] = frozenset()
    phrases: tuple[str, ...] = ()  # " w1 w2 " for keywords of two words or more
    count: int = 0  # how many usable keywords, for `all`

    @classmethod
    def compile(cls, keywords: Iterable[str]) -> Keywords:
        single: set[str] = set()
        phrases: list[str] = []
        for keyword in keywords:
            ws = words(keyword)
            if len(ws) == 1:
                single.add(ws[0])
            elif ws:
                phrases.append(" " + " ".join(ws) + " ")
        return cls(frozenset(single), tuple(dict.fromkeys(phrases)), len(single) + len(phrases))

    def __bool__(self) -> bool:
        return self.count > 0

    def any(self, text: MatchText) -> bool:
        return not self.single.isdisjoint(text.words) or any(p in text.joined for p in self.phrases)

    def all(self, text: MatchText) -> bool:
        return self.single <= text.words and all(p in text.joined for p in self.phrases)


@dataclass(frozen=True)
class CompiledRule:
    tag: str
    any: Keywords
    all: Keywords

    @classmethod
    def compile(cls, rule: Rule) -> CompiledRule:
        return cls(rule.tag, Keywords.compile(rule.any), Keywords.compile(rule.all))

    def matches(self, text: MatchText) -> bool:
        if not self.any and not self.all:
            return False
        return (not self.any or self.any.any(text)) and (not self.all or self.all.all(text))


@dataclass(frozen=True)
class SourceFilter:
    include: Keywords
    exclude: Keywords

    def keep(self, text: MatchText) -> bool:
        """Kept when it has one of `include` (if any are given) and none of `exclude`."""
        if self.include and not self.include.any(text):
            return False
        return not (self.exclude and self.exclude.any(text))


@dataclass
class Rules:
    """Everything that happens to an entry at fetch because of `sources.toml`: whether it is
    kept, and which tags it brings. Compiled once per fetch run."""

    rules: tuple[CompiledRule, ...]
    _filters: dict[str, SourceFilter] = field(default_factory=dict)

    @classmethod
    def compile(cls, config: Config) -> Rules:
        return cls(tuple(CompiledRule.compile(r) for r in config.rules))

    def reads_text(self, source: Source) -> bool:
        """Whether an entry of `source` is read for words: a rule, or a filter of its own.
        When not, `NO_WORDS` stands for its text and gives the same answers."""
        return bool(self.rules or source.include or source.exclude)

    def matching_tags(self, text: MatchText) -> set[str]:
        return {rule.tag for rule in self.rules if rule.matches(text)}

    def tags_for(self, text: MatchText, source: Source) -> set[str]:
        """The tags of the rules that match, and those of the source."""
        return self.matching_tags(text) | set(source.tags)

    def keep(self, text: MatchText, source: Source) -> bool:
        found = self._filters.get(source.id)
        if found is None:
            found = SourceFilter(Keywords.compile(source.include), Keywords.compile(source.exclude))
            self._filters[source.id] = found
        return found.keep(text)
