"""The pure near-duplicate rules (watchcli/neardup.py): normalisation, the index keys, and
each trap of the issue with its own test."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchcli import neardup
from watchcli.neardup import band_keys, match_text, number_conflict, strip_outlet, verify


def same(a: tuple[str, str], b: tuple[str, str]) -> bool:
    verdict = verify(match_text(*a), match_text(*b))
    return verdict.reason is None and verdict.score >= neardup.DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Séisme au Maroc : 800 morts - Le Monde", "Séisme au Maroc : 800 morts"),
        ("Séisme au Maroc : 800 morts | franceinfo", "Séisme au Maroc : 800 morts"),
        ("Séisme au Maroc : 800 morts – RFI", "Séisme au Maroc : 800 morts"),
        ("VIDEO. Séisme au Maroc", "Séisme au Maroc"),
        ("L'ENQUÊTE DU 20H - Le directeur du FBI", "Le directeur du FBI"),
        # A dash that is part of the title stays.
        (
            "Haiti: Hurricane Paulette - Flash Update No. 1",
            "Haiti: Hurricane Paulette - Flash Update No. 1",
        ),
    ],
)
def test_outlet_suffixes_and_kickers_are_dropped(title: str, expected: str) -> None:
    assert strip_outlet(title) == expected


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Soudan : plus de 2 000 civils tués", {"2000"}),
        ("Sudan: more than 2,000 civilians killed", {"2000"}),
        ("1,5 million de déplacés", {"1.5"}),
        ("COP30 de Belém", {"30"}),
        ("le procès de quatre bénévoles", {"4"}),
        ("Flash Update No. 2", {"2"}),
        ("Budget 2027 : 700 millions", {"y2027", "700"}),
    ],
)
def test_numbers_are_kept_in_one_spelling(text: str, numbers: set[str]) -> None:
    assert match_text(text, "").numbers == numbers


def test_folding_ignores_accents_case_and_punctuation() -> None:
    a = match_text("Haïti : l'ÉTÉ des déplacés, selon l'OIM !", "")
    b = match_text("haiti   l’ete des deplaces selon l oim", "")
    assert a.title == b.title


@pytest.mark.parametrize(
    ("a", "b", "conflict"),
    [
        ({"2000"}, {"3000"}, True),
        ({"2000"}, {"2000", "y2026"}, False),  # one side adds a year: no conflict
        ({"y2026"}, {"38", "40000"}, False),  # years only meet years
        ({"y2026"}, {"y2027"}, True),
        (set(), {"5"}, False),
    ],
)
def test_number_conflicts(a: set[str], b: set[str], conflict: bool) -> None:
    assert number_conflict(frozenset(a), frozenset(b)) is conflict


# --- the traps of the issue -----------------------------------------------------------------


def test_different_numbers_are_different_facts() -> None:
    assert not same(
        ("Soudan : plus de 2 000 morts au Kordofan", ""),
        ("Soudan : plus de 3 000 morts au Kordofan", ""),
    )
    assert not same(
        ("COP29 : la finance pour l'adaptation au cœur des négociations", ""),
        ("COP30 : la finance pour l'adaptation au cœur des négociations", ""),
    )


@pytest.mark.parametrize("title", ["Fed", "Direct", "Vidéo", "Live", "Revue de presse"])
def test_short_or_generic_titles_do_not_glue_unrelated_items(title: str) -> None:
    assert not same((title, "Le Soudan face au choléra."), (title, "La Fed maintient ses taux."))
    assert not same((title, ""), (title, ""))


def test_journee_mondiale_titles_need_their_summaries_to_agree() -> None:
    title = "Journée mondiale de l'eau"
    assert not same(
        (title, "Le Secrétaire général de l'ONU appelle à protéger les glaciers."),
        (title, "Le pS-Eau publie un guide pour les collectivités engagées dans l'accès à l'eau."),
    )
    lede = "Le Secrétaire général de l'ONU appelle à protéger les glaciers de la planète."
    assert same((title, lede), (title, lede))


def test_template_alert_titles_differ_by_place_date_and_numbers() -> None:
    india = "On 02/04/2026, a flood event started in India. The flood caused 12 deaths."
    bangladesh = india.replace("India", "Bangladesh")
    assert not same(
        ("Orange flood alert in India", india), ("Orange flood alert in Bangladesh", bangladesh)
    )
    assert not same(
        ("Orange flood alert in India", india),
        ("Orange flood alert in India", india.replace("02/04", "09/04").replace("12", "4")),
    )
    assert not same(
        ("Green earthquake alert (Magnitude 5.1M, Depth:10km) in Indonesia 03/04/2026", ""),
        ("Green earthquake alert (Magnitude 4.8M, Depth:35km) in Indonesia 04/04/2026", ""),
    )
    assert not same(
        ("Zambia declares drought a national disaster", ""),
        ("Zimbabwe declares drought a national disaster", ""),
    )
    assert same(("Orange flood alert in India", india), ("Orange flood alert in India", india))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "Délit de solidarité : le procès de sept militants s'ouvre à Gap",
            "Délit de solidarité : les sept militants de Gap relaxés",
        ),
        ("Trial opens of aid workers accused of smuggling", "Aid workers acquitted of smuggling"),
        (
            "Meurtre de Louise : un couple placé en garde à vue",
            "Meurtre de Louise : la garde à vue du couple a été levée",
        ),
        (
            "COP31 : ouverture des négociations à Antalya",
            "COP31 : clôture des négociations à Antalya",
        ),
        # A decision and its reversal: the reversal names the cut only as its past.
        (
            "Budget : le gouvernement supprime 200 millions d'euros d'aide au développement",
            "Le gouvernement renonce à supprimer 200 millions d'euros d'aide au développement",
        ),
        (
            "Cancers pédiatriques : 15 millions d'euros ôtés du budget de la recherche",
            "Cancers pédiatriques : les 15 millions d'euros ôtés du budget vont être réinjectés",
        ),
        ("Iran seizes oil tanker in Strait of Hormuz", "Iran releases seized oil tanker"),
    ],
)
def test_a_later_development_is_a_different_story(a: str, b: str) -> None:
    verdict = verify(match_text(a, ""), match_text(b, ""))
    assert verdict.reason == "different stages of the event"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "Soudan : plus de 2 000 civils tués au Kordofan depuis octobre, selon l'ONU",
            "Soudan : plus de 2 000 civils tués au Kordofan depuis octobre, les ONG demandent un "
            "accès humanitaire",
        ),
        (
            "L'AFD lance un appel à projets de 2 millions d'euros pour l'ECSI",
            "Appel à projets ECSI : 2 millions d'euros de l'AFD pour les associations",
        ),
        (
            "Le suspect de l'attaque devant la préfecture de police de Paris a été mis en examen",
            "Paris : le suspect de l’attaque devant la préfecture de police mis en examen"
            " - Le Figaro",
        ),
        (
            "UE : 60 millions d'euros d'aide humanitaire pour le Liban",
            "L'Union européenne annonce 60 millions d'euros d'aide humanitaire pour le Liban",
        ),
    ],
)
def test_rewritten_titles_of_one_story_match(a: str, b: str) -> None:
    assert same((a, ""), (b, ""))


def test_an_explainer_is_not_the_report_it_explains() -> None:
    report = "Afghanistan : un séisme de magnitude 6,3 frappe la région d'Hérat"
    explainer = "Séisme en Afghanistan : ce que l'on sait du séisme de magnitude 6,3 à Hérat"
    verdict = verify(match_text(report, ""), match_text(explainer, ""))
    assert verdict.reason == "an explainer and a report"
    assert same((explainer, ""), (explainer.replace("ce que l'on sait", "ce qu'on sait"), ""))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "L'IA au service de votre garde-robe",
            "L'intelligence artificielle au service de la mode",
        ),
        ("AI Act: what changes", "Artificial intelligence act: what changes"),
        ("UE : 60 millions pour le Liban", "L'Union européenne annonce 60 millions pour le Liban"),
        ("L'ONU alerte", "Les Nations unies alertent"),
        ("UN warns", "United Nations warns"),
        ("WHO warns of cholera", "World Health Organization warns of cholera"),
        ("UNHCR report", "UN refugee agency report"),
        ("Les ONG dénoncent", "Les organisations non gouvernementales dénoncent"),
    ],
)
def test_an_acronym_and_its_expansion_are_one_token(a: str, b: str) -> None:
    assert match_text(a, "").title & match_text(b, "").title


def test_an_acronym_that_is_also_a_word_counts_only_in_capitals() -> None:
    assert "ia" not in match_text("J'ai vu la mer", "").title
    assert "oms" not in match_text("Who is next?", "").title
    assert "ia" in match_text("AI summit opens", "").title


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "IA : Mistral lève 600 millions d'euros auprès d'investisseurs européens",
            "Intelligence artificielle : les Vingt-Sept adoptent définitivement l'AI Act",
        ),
        (
            "UE : les Vingt-Sept adoptent un 17e paquet de sanctions contre la Russie",
            "L'Union européenne adopte le pacte sur la migration et l'asile",
        ),
        (
            "WHO warns of cholera surge in Sudan as rainy season begins",
            "World Health Organization ends mpox global health emergency",
        ),
    ],
)
def test_an_acronym_does_not_glue_two_stories_of_one_institution(a: str, b: str) -> None:
    assert not same((a, ""), (b, ""))


def test_light_stems_meet_across_plural_and_derivation_but_numbers_stay_whole() -> None:
    a = match_text("109 milliards d'euros vont être investis", "")
    b = match_text("109 milliards d'euros d'investissement", "")
    assert {"investi", "109"} <= a.title & b.title
    assert match_text("2 000 enquêteurs", "").numbers == {"2000"}


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Suspension d'Acted au Niger : l'inquiétude des ONG", "acted"),
        ("Comment un anti-Trump s'est retrouvé à la tête du FBI", "trump"),
        ("Merwane Benlazar répond à la polémique par un sketch", "benlaza"),
    ],
)
def test_names_are_found_through_elision_hyphens_and_a_leading_first_name(
    title: str, name: str
) -> None:
    assert name in match_text(title, "").names


def test_who_says_it_is_not_what_it_is_about() -> None:
    # "selon l'ONU" and "les ONG demandent" attribute; they do not name two different subjects.
    text = match_text("Soudan : 2 000 civils tués au Kordofan, selon l'ONU", "")
    assert "onu" not in text.names
    assert "ong" not in match_text("Soudan : les ONG demandent un accès humanitaire", "").names


def test_a_misspelt_name_is_still_the_same_name() -> None:
    verdict = verify(
        match_text(
            "Le maire RN de Fréjus, David Racheline, jugé pour prise illégale d'intérêts", ""
        ),
        match_text(
            "Le maire RN de Fréjus, David Rachline, jugé pour prise illégale d'intérêts", ""
        ),
    )
    assert verdict.reason is None and verdict.score > 0.8


# --- the index ------------------------------------------------------------------------------


def test_band_keys_are_stable_positive_63_bit_integers() -> None:
    keys = band_keys(match_text("Séisme au Maroc : au moins 800 morts", "Le bilan s'alourdit."))
    assert keys == band_keys(
        match_text("Séisme au Maroc : au moins 800 morts", "Le bilan s'alourdit.")
    )
    assert 0 < len(keys) <= neardup.BANDS
    assert all(0 <= k < 2**63 for k in keys)


def test_near_identical_titles_share_a_band_and_a_too_short_text_gets_none() -> None:
    a = band_keys(match_text("Séisme au Maroc : au moins 800 morts selon un nouveau bilan", ""))
    b = band_keys(match_text("Séisme au Maroc : au moins 800 morts, selon le nouveau bilan", ""))
    assert set(a) & set(b)
    assert band_keys(match_text("Fed", "")) == ()


@given(st.text(max_size=80), st.text(max_size=200))
def test_verify_is_symmetric_and_bounded(title: str, summary: str) -> None:
    a = match_text(title, summary)
    b = match_text(summary[:60], title)
    ab, ba = verify(a, b), verify(b, a)
    assert ab.score == pytest.approx(ba.score)
    assert (ab.reason is None) == (ba.reason is None)
    assert 0.0 <= ab.score <= 1.0


@given(st.text(max_size=120))
def test_a_text_always_matches_itself_unless_too_short(title: str) -> None:
    text = match_text(title, title)
    verdict = verify(text, text)
    assert verdict.reason is None or text.generic
    if verdict.reason is None and text.title:
        assert verdict.score == pytest.approx(1.0)
