"""The pure near-duplicate stage (watchcli/neardup.py): what a text is cut into, what a word
weighs, the facts that forbid a match, the fitted decision, and the templated feeds a reader
expects to stay apart (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.templates import CITIES, COUNTRIES, HAZARDS, LEVELS, MISSIONS, alert, job_offer
from watchcli import neardup
from watchcli.neardup import MatchText, Weights, decide, match_text, number_conflict


def same(a: tuple[str, str], b: tuple[str, str], weights: Weights | None = None) -> bool:
    verdict = decide(match_text(*a), match_text(*b), weights or Weights())
    return verdict.reason is None and verdict.probability >= neardup.MODEL.threshold


# --- what a text is cut into ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("VIDEO. Séisme au Maroc", "Séisme au Maroc"),
        ("L'ENQUÊTE DU 20H - Le directeur du FBI", "Le directeur du FBI"),
        ("Séisme au Maroc : 800 morts | franceinfo", "Séisme au Maroc : 800 morts"),
        # A dash that is part of the title stays.
        (
            "Haiti: Hurricane Paulette - Flash Update No. 1",
            "Haiti: Hurricane Paulette - Flash Update No. 1",
        ),
    ],
)
def test_kickers_and_signatures_are_dropped(title: str, expected: str) -> None:
    assert neardup.strip_kicker(title) == expected


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Soudan : plus de 2 000 civils tués", {"2000"}),
        ("Sudan: more than 2,000 civilians killed", {"2000"}),
        ("1,5 million de déplacés", {"1.5"}),
        ("AstraZeneca pays $4.1bn", {"4.1"}),
        ("BlackBerry loses $965M", {"965"}),
        ("Outrage after 6-year-old girl attacked", {"6"}),
        ("COP30 de Belém", {"cop30"}),
        ("Flash Update No. 2", {"2"}),
        ("Budget 2027 : 700 millions", {"y2027", "700"}),
        ("Météo : prévisions du vendredi 10 janvier", {"d0110"}),
        ("Sorties du week-end des 11 et 12 janvier", {"d0111", "d0112"}),
        ("Earthquake in Indonesia 21/02/2024", {"d0221", "y2024"}),
        ("Fed meets on May 3rd", {"d0503"}),
        ("Succès 3-1 face à Grenoble", {"3", "1"}),
        ("Saison 2019-2020", {"y2019", "y2020"}),
    ],
)
def test_numbers_codes_and_dates_are_written_one_way(text: str, numbers: set[str]) -> None:
    assert match_text(text, "").numbers == numbers


def test_folding_ignores_accents_case_and_punctuation() -> None:
    a = match_text("Haïti : l'ÉTÉ des déplacés, selon l'OIM !", "")
    b = match_text("haiti   l’ete des deplaces selon l oim", "")
    assert a.title == b.title


@pytest.mark.parametrize(
    "words",
    [
        ("raises", "raised", "raising", "raise"),
        ("arrêtés", "arrêtée", "arrêter", "arrêté"),
        ("sorties", "sortie"),
        ("cities", "city"),
        ("investis", "investissement"),
    ],
)
def test_light_stems_meet_across_inflections(words: tuple[str, ...]) -> None:
    assert len({match_text(w, "").words for w in words}) == 1


@pytest.mark.parametrize(
    ("title", "names"),
    [
        ("Suspension d'Acted au Niger : l'inquiétude des ONG", {"Acted", "Niger", "ONG"}),
        ("Comment un anti-Trump s'est retrouvé à la tête du FBI", {"Trump", "FBI"}),
        ("Merwane Benlazar répond à la polémique", {"Merwane", "Benlazar"}),
        ("Pamiers. Les grands travaux continuent", {"Pamiers"}),  # "Les" opens a sentence
        ("Le Canada pense que l'avion a été abattu", {"Canada"}),
        ("Iran Seizes Oil Tanker in Strait of Hormuz, U.S. Navy Says", set()),  # Title Case
    ],
)
def test_names_are_capitalised_words_that_do_not_open_a_sentence(
    title: str, names: set[str]
) -> None:
    assert match_text(title, "").names == {match_text(n, "").words[0] for n in names}


def test_a_match_text_survives_the_store() -> None:
    text = match_text("Pamiers. Séisme au Maroc : 800 morts", "Le Haut Atlas, vendredi 10 mars.")
    assert MatchText.decode(text.encode()) == text


# --- what a word weighs -------------------------------------------------------------------------


def test_a_new_store_knows_function_words_from_the_prior() -> None:
    weights = Weights()
    assert weights("de") < weights("soudan") / 3
    assert weights("kordofan") == pytest.approx(weights.top)  # never seen: the most


def test_a_word_the_store_is_full_of_weighs_little_in_any_language() -> None:
    weights = Weights()
    before = weights("emploi")
    for _ in range(200):
        weights.add({"emploi", "offr"})
    weights.add({"kordofan"})
    assert weights("emploi") < before / 3
    assert weights("kordofan") > 2 * weights("emploi")


def test_a_date_weighs_nothing() -> None:
    assert Weights()("d0110") == 0.0


# --- facts that forbid a match ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "conflict"),
    [
        ({"2000"}, {"3000"}, True),
        ({"2000"}, {"2000", "y2026"}, False),  # one side adds a year: no conflict
        ({"y2026"}, {"38", "40000"}, False),  # years only meet years
        ({"y2026"}, {"y2027"}, True),
        ({"cop29"}, {"cop30"}, True),
        ({"d0110"}, {"d0111"}, True),
        (set(), {"5"}, False),
    ],
)
def test_number_conflicts(a: set[str], b: set[str], conflict: bool) -> None:
    assert number_conflict(frozenset(a), frozenset(b)) is conflict


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        (
            "Soudan : plus de 2 000 morts au Kordofan",
            "Soudan : plus de 3 000 morts au Kordofan",
            "numbers",
        ),
        ("Météo Caen : prévisions du vendredi", "Météo Paris : prévisions du vendredi", "name"),
        ("Orange flood alert in India", "Orange flood alert in Bangladesh", "name"),
        (
            "Offre d'emploi : chargé·e de mission plaidoyer (CDI, Lyon)",
            "Offre d'emploi : chargé·e de mission communication (CDI, Lyon)",
            "key word",
        ),
        ("Laval. Les bons plans pour sortir", "Loudéac. Nos bons plans pour sortir", "name"),
        (
            "Pamiers. Les grands travaux continuent",
            "Grands sites : les travaux continuent",
            "",
        ),
    ],
)
def test_a_different_fact_in_the_same_place_forbids_a_match(a: str, b: str, reason: str) -> None:
    verdict = decide(match_text(a, ""), match_text(b, ""), Weights(), same_source=True)
    assert verdict.reason is not None and reason in verdict.reason


def test_an_item_is_coherent_only_when_no_representative_refuses_the_entry() -> None:
    threshold = 0.9
    yes, weak, no = (neardup.Verdict(p, r) for p, r in ((0.95, None), (0.3, None), (0.0, "x")))
    assert neardup.coherent([yes, neardup.Verdict(0.85)], threshold)
    assert not neardup.coherent([yes, weak], threshold)
    assert not neardup.coherent([yes, no], threshold)


# --- the decision -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "Soudan : plus de 2 000 civils tués au Kordofan depuis octobre, selon l'ONU",
            "Soudan : plus de 2 000 civils tués au Kordofan depuis octobre, les ONG demandent un "
            "accès humanitaire",
        ),
        (
            "Le suspect de l'attaque devant la préfecture de police de Paris a été mis en examen",
            "Paris : le suspect de l’attaque devant la préfecture de police mis en examen",
        ),
        (
            "Le maire RN de Fréjus, David Racheline, jugé pour prise illégale d'intérêts",
            "Le maire RN de Fréjus, David Rachline, jugé pour prise illégale d'intérêts",
        ),
        ("Séisme au Maroc : au moins 800 morts", "VIDEO. Séisme au Maroc : au moins 800 morts"),
    ],
)
def test_rewritten_titles_of_one_story_match(a: str, b: str) -> None:
    assert same((a, ""), (b, ""))


@pytest.mark.parametrize("title", ["Direct", "Vidéo", "Revue de presse", "Weekly newsletter"])
def test_a_generic_title_needs_its_summaries_to_agree(title: str) -> None:
    assert not same((title, "Le Soudan face au choléra."), (title, "La Fed maintient ses taux."))


def test_show_explains_what_weighed_most() -> None:
    a = match_text("Séisme au Maroc : au moins 800 morts", "Le Haut Atlas a tremblé.")
    b = match_text("Maroc : au moins 800 morts dans un séisme", "Le Haut Atlas a tremblé.")
    verdict = decide(a, b, Weights(), hours_apart=2)
    assert verdict.features is not None
    explained = neardup.explain(verdict.features.as_dict())
    assert explained.startswith("+ ") and explained.count(",") <= 3


@given(st.text(max_size=80), st.text(max_size=200), st.floats(0, 100))
def test_the_decision_is_symmetric_and_bounded(title: str, summary: str, hours: float) -> None:
    a, b = match_text(title, summary), match_text(summary[:60], title)
    weights = Weights.of_texts([a, b])
    ab = decide(a, b, weights, hours_apart=hours)
    ba = decide(b, a, weights, hours_apart=hours)
    assert ab.probability == pytest.approx(ba.probability)
    assert ab.reason == ba.reason
    if ab.features is not None:
        assert all(0.0 <= v <= 1.0 for v in ab.features.values)


@given(st.text(min_size=1, max_size=120))
def test_a_text_that_says_what_happened_is_never_refused_against_itself(title: str) -> None:
    text = match_text(title, title)
    verdict = decide(text, text, Weights())
    assert verdict.reason is None or not text.content


def test_titles_that_share_only_who_and_where_are_refused() -> None:
    verdict = decide(
        match_text("Épidémie de choléra à Kaolack : 92 morts", ""),
        match_text("Festival de chorales à Kaolack : 92 groupes", ""),
        Weights(),
    )
    assert verdict.reason is not None


# --- templated content: what a reader expects -----------------------------------------------------

# Two vocabularies with no word in common (and none in the prior's commonest words).
FIRST = [
    "épidémie",
    "choléra",
    "vaccination",
    "hôpital",
    "malnutrition",
    "dispensaire",
    "médecins",
    "soins",
]
SECOND = ["festival", "concert", "chorale", "exposition", "théâtre", "cinéma", "danse", "musée"]
PLACES = ["Grenoble", "Kaolack", "Gao", "Tombouctou", "Lyon", "Dakar"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(FIRST), min_size=2, max_size=5, unique=True),
    st.lists(st.sampled_from(SECOND), min_size=2, max_size=5, unique=True),
    st.sampled_from(PLACES),
    st.integers(2, 5000),
    st.booleans(),
)
def test_titles_sharing_only_a_place_and_a_number_never_merge(
    first: list[str], second: list[str], place: str, number: int, same_source: bool
) -> None:
    a = match_text(f"{' '.join(first).capitalize()} à {place} : {number}", "")
    b = match_text(f"{' '.join(second).capitalize()} à {place} : {number}", "")
    for weights in (Weights(), Weights.of_texts([a, b])):
        verdict = decide(a, b, weights, same_source=same_source)
        assert verdict.reason is not None or verdict.probability < neardup.MODEL.threshold


TEMPLATE = "Le conseil départemental de {} lance un appel à projets pour la {} des jeunes"
WORDS = ["formation", "mobilité", "santé", "citoyenneté", "insertion", "culture", "solidarité"]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(CITIES), st.sampled_from(WORDS), st.sampled_from(WORDS))
def test_a_feed_saying_its_sentence_with_one_word_changed_tells_another_story(
    city: str, word: str, other: str
) -> None:
    a = match_text(TEMPLATE.format(city, word), "")
    b = match_text(TEMPLATE.format(city, other), "")
    verdict = decide(a, b, Weights(), same_source=True)
    matched = verdict.reason is None and verdict.probability >= neardup.MODEL.threshold
    assert matched is (word == other)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(HAZARDS),
    st.sampled_from(LEVELS),
    st.lists(st.sampled_from(COUNTRIES), min_size=2, max_size=2, unique=True),
    st.integers(45, 79),
    st.integers(45, 79),
)
def test_alerts_for_other_countries_or_magnitudes_are_other_events(
    hazard: str, level: str, countries: list[str], magnitude: int, other_magnitude: int
) -> None:
    cases = [
        (alert(hazard, level, countries[0]), alert(hazard, level, countries[1])),
        (
            alert(hazard, level, countries[0], magnitude / 10),
            alert(hazard, level, countries[0], other_magnitude / 10),
        ),
    ]
    for (a, b), expected in zip(cases, (False, magnitude == other_magnitude), strict=True):
        verdict = decide(
            match_text(a.title, a.summary),
            match_text(b.title, b.summary),
            Weights(),
            same_source=True,
        )
        matched = verdict.reason is None and verdict.probability >= neardup.MODEL.threshold
        assert matched is expected, (a.title, b.title, verdict)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(MISSIONS), min_size=2, max_size=2, unique=True),
    st.sampled_from(CITIES),
    st.booleans(),
)
def test_job_offers_for_other_missions_are_other_offers(
    missions: list[str], city: str, same_source: bool
) -> None:
    a, b = (job_offer(mission, city) for mission in missions)
    verdict = decide(
        match_text(a.title, a.summary),
        match_text(b.title, b.summary),
        Weights(),
        same_source=same_source,
    )
    assert verdict.reason is not None or verdict.probability < neardup.MODEL.threshold


def _lede_names_word_by_word(text: str) -> frozenset[str]:
    """`neardup._lede_names` as it was first written: every word's capitals looked at."""
    names: set[str] = set()
    end = 0
    for m in neardup._WORD_RE.finditer(text):
        between, end = text[end : m.start()], m.end()
        if m.group()[0].isdigit() or m.start() == 0 or neardup._SENTENCE_END_RE.search(between):
            continue
        for part in neardup._capitalised_parts(m.group()):
            names.update(t for t in neardup._tokens(part) if not neardup._is_number(t))
    return frozenset(names)


_LEDE_PIECES = st.sampled_from(
    (
        *(
            "Brian ",
            "Driscoll ",
            "CPME ",
            "l'ONU ",
            "d'Acted ",
            "anti-Trump ",
            "iPhone ",
            "États-Unis ",
        ),
        *("le ", "séisme ", "a ", "frappé ", "2 000 ", "COP30 ", "ǅemal ", "ß ", "東京 ", "x "),
        *(". ", ": ", "« ", "» ", "… ", "\n", "; ", "? ", ", ", " - ", "'", "’"),
    )
)


@given(st.lists(_LEDE_PIECES, max_size=40).map("".join) | st.text(max_size=80))
def test_lede_names_skips_words_without_capitals_and_finds_the_same(text: str) -> None:
    assert neardup._lede_names(text) == _lede_names_word_by_word(text)


# --- the ceiling that spares most verdicts ------------------------------------------------------

VOCABULARY = [*FIRST, *SECOND, *PLACES, *CITIES, *WORDS, "2024", "800"]
sentences = st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=8).map(" ".join)


@given(
    sentences,
    sentences,
    sentences,
    sentences,
    st.booleans(),
    st.booleans(),
    st.floats(0, 200),
    st.integers(0, 300),
)
def test_no_verdict_is_above_the_ceiling(
    title_a: str,
    summary_a: str,
    title_b: str,
    summary_b: str,
    same_text: bool,
    same_source: bool,
    hours: float,
    crowd: int,
) -> None:
    """The fetch skips the verdict of a pair whose ceiling is below the bar: no verdict may
    be higher than its ceiling, whatever the words weigh (a store full of them or not)."""
    a = match_text(title_a, summary_a)
    b = a if same_text else match_text(title_b, summary_b)
    weights = Weights.of_texts([a, b] + [match_text(" ".join(VOCABULARY), "")] * crowd)
    apart = dict(same_source=same_source, hours_apart=hours)
    verdict = decide(a, b, weights, **apart)
    assert verdict.probability <= neardup.ceiling(a, b, weights, **apart)
