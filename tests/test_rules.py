"""Keyword matching for rules and source filters: pure, table-driven."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchcli.config import Config, Rule, Source
from watchcli.models import Entry
from watchcli.rules import CompiledRule, Keywords, MatchText, Rules, words


def text(*fields: str) -> MatchText:
    return MatchText.of(*fields)


@pytest.mark.parametrize(
    ("keyword", "field", "expected"),
    [
        # accents and case
        ("solidarité", "SOLIDARITE internationale", True),
        ("solidarite", "la Solidarité", True),
        ("ÉCOLE", "une école rurale", True),
        ("œuvre", "OEUVRE commune", True),
        # elision: the apostrophe separates words, straight or typographic
        ("ECSI", "Les acteurs de l'ECSI se réunissent", True),
        ("ECSI", "Les acteurs de l’ECSI se réunissent", True),
        ("aide d'urgence", "une aide d’urgence pour le Sahel", True),
        ("Côte d'Ivoire", "en COTE D’IVOIRE", True),
        # whole words only
        ("ONG", "une longue attente", False),
        ("ONG", "les ONG françaises", True),
        ("APD", "l'APD baisse", True),
        ("Mali", "Somalie", False),
        ("Niger", "Nigeria", False),
        # punctuation around words
        ("festisol", "«Festisol» : le programme!", True),
        ("COP30", "À la COP30, les pays…", True),
        # phrases: consecutive words, punctuation and hyphens are word breaks
        ("semaine de la solidarité internationale", "La Semaine de la Solidarité Internat.", False),
        ("solidarité internationale", "La Semaine de la Solidarité Internationale", True),
        ("semaine de la solidarité internationale", "semaine de solidarité internationale", False),
        ("égalité femmes-hommes", "l'égalité femmes hommes", True),
        ("égalité femmes-hommes", "Égalité Femmes–Hommes", True),
        ("Burkina Faso", "au Burkina-Faso", True),
        ("Burkina Faso", "Burkina et Faso", False),
        # plural and singular are different words: not magic
        ("migrant", "des migrants", False),
        ("migrants", "un migrant", False),
        ("COP30", "la COP 30", False),
        # keywords with no word at all never match
        ("!!!", "!!! alerte !!!", False),
    ],
)
def test_a_keyword_matches_whole_folded_words(keyword: str, field: str, expected: bool) -> None:
    assert Keywords.compile([keyword]).any(text(field)) is expected


def test_a_phrase_never_spans_two_fields() -> None:
    assert not Keywords.compile(["aide humanitaire"]).any(text("Sahel : aide", "humanitaire"))
    assert Keywords.compile(["aide humanitaire"]).any(text("titre", "une aide humanitaire"))


def test_words_fold_and_split() -> None:
    assert words("L’ÉCSI, c'est « super » – vraiment") == (
        "l",
        "ecsi",
        "c",
        "est",
        "super",
        "vraiment",
    )
    assert words("snake_case") == ("snake", "case")


@pytest.mark.parametrize(
    ("any_", "all_", "fields", "expected"),
    [
        (["festisol"], [], ["Le Festisol 2026"], True),
        ([], ["coopération", "collectivités"], ["Coopération des collectivités"], True),
        ([], ["coopération", "collectivités"], ["Coopération internationale"], False),
        # both: one of any AND all of all
        (["ONG"], ["Afrique"], ["Les ONG en Afrique"], True),
        (["ONG"], ["Afrique"], ["Les ONG en Asie"], False),
        (["ONG"], ["Afrique"], ["Les associations en Afrique"], False),
        # `all` may be satisfied across fields, phrases each within one field
        ([], ["aide", "Sahel"], ["Aide alimentaire", "au Sahel"], True),
    ],
)
def test_rules_any_and_all(
    any_: list[str], all_: list[str], fields: list[str], expected: bool
) -> None:
    rule = CompiledRule.compile(Rule(tag="t", any=tuple(any_), all=tuple(all_)))
    assert rule.matches(text(*fields)) is expected


def entry(title: str, summary: str = "", categories: tuple[str, ...] = ()) -> Entry:
    return Entry(
        guid="g",
        url="https://example.org/1",
        link="https://example.org/1",
        title=title,
        summary=summary,
        published=datetime(2026, 11, 24, tzinfo=UTC),
        dated=True,
        categories=categories,
    )


CONFIG = Config(
    path=__import__("pathlib").Path("sources.toml"),
    rules=(
        Rule(tag="ssi", any=("festisol", "semaine de la solidarité internationale")),
        Rule(tag="ecsi", any=("ECSI", "éducation à la citoyenneté")),
        Rule(tag="afrique", any=("Afrique", "Sahel")),
    ),
)


def test_tags_for_an_entry_come_from_rules_and_its_source() -> None:
    rules = Rules.compile(CONFIG)
    source = Source("s", "https://s.example/feed", tags=("ong",))
    found = rules.tags_for(
        MatchText.of_entry(entry("Festisol : l'ECSI au programme", categories=("Sahel",))),
        source,
    )
    assert found == {"ssi", "ecsi", "afrique", "ong"}
    assert rules.tags_for(MatchText.of_entry(entry("Rien à voir")), source) == {"ong"}


@pytest.mark.parametrize(
    ("include", "exclude", "title", "kept"),
    [
        ((), (), "Tout passe", True),
        (("humanitaire", "ONG"), (), "Une ONG en action", True),
        (("humanitaire", "ONG"), (), "Le football ce week-end", False),
        ((), ("football", "people"), "Le Football ce week-end", False),
        ((), ("football",), "Footballeurs solidaires", True),
        # exclude wins over include
        (("ONG",), ("football",), "Une ONG et le football", False),
    ],
)
def test_source_filters(
    include: tuple[str, ...], exclude: tuple[str, ...], title: str, kept: bool
) -> None:
    source = Source("s", "https://s.example/feed", include=include, exclude=exclude)
    assert Rules.compile(CONFIG).keep(MatchText.of_entry(entry(title)), source) is kept


@given(st.text(max_size=40), st.text(max_size=80))
def test_a_keyword_found_in_a_text_is_found_in_any_case_and_accent_variant(
    keyword: str, noise: str
) -> None:
    compiled = Keywords.compile([keyword])
    if not compiled:
        return
    field = f"{noise} {keyword} {noise}"
    assert compiled.any(text(field))
    assert compiled.any(text(field.upper())) == compiled.any(text(field.lower()))
