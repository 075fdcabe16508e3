"""Generated feed entries in the shapes that are hard for a near-duplicate matcher: sentences
recombined from a few word lists, as institutional, alert and job feeds write them. Every
entry generated here is a story of its own. Shared by the tests and the benches.

- `recombined`, `recombined_feeds`: « Festival et montagne : élevage océan à Grenoble
  (flux-003-3) » — a few lists of French nouns and cities; with `codes=False`, no code.
- `job_offer`: « Offre d'emploi : chargé·e de mission plaidoyer (CDI, Lyon) ».
- `alert`: GDACS-style « Orange flood alert in Bangladesh », with a summary that differs by its
  country, level and magnitude.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

NOUNS = [
    "festival",
    "montagne",
    "élevage",
    "océan",
    "syndicat",
    "conseil",
    "cercle",
    "forêt",
    "rivière",
    "école",
    "marché",
    "village",
    "énergie",
    "culture",
    "santé",
    "jeunesse",
    "commerce",
    "tourisme",
    "patrimoine",
    "transport",
    "agriculture",
    "habitat",
    "climat",
    "sport",
    "musique",
    "théâtre",
    "vignoble",
    "artisanat",
    "littoral",
    "réseau",
]
CITIES = [
    "Grenoble",
    "Lyon",
    "Valence",
    "Annecy",
    "Chambéry",
    "Clermont-Ferrand",
    "Vichy",
    "Aurillac",
    "Moulins",
    "Roanne",
    "Saint-Étienne",
    "Villeurbanne",
    "Vienne",
    "Annemasse",
    "Montluçon",
]
MISSIONS = (
    "plaidoyer",
    "communication",
    "partenariats",
    "éducation",
    "évaluation",
    "financement",
    "formation",
    "coordination",
    "logistique",
    "gestion de projet",
    "suivi et capitalisation",
    "mobilisation des bénévoles",
    "relations institutionnelles",
    "animation de réseau",
)
CONTRACTS = ("CDI", "CDD 12 mois", "CDD 6 mois", "stage", "VSI")
HAZARDS = ("flood", "drought", "tropical cyclone", "earthquake", "volcanic eruption")
LEVELS = ("Green", "Orange", "Red")
COUNTRIES = [
    "Bangladesh",
    "India",
    "Myanmar",
    "Nepal",
    "Kenya",
    "Somalia",
    "Ethiopia",
    "Sudan",
    "Chad",
    "Niger",
    "Mali",
    "Haiti",
    "Philippines",
    "Indonesia",
    "Vietnam",
    "Mozambique",
    "Madagascar",
    "Malawi",
    "Peru",
    "Ecuador",
]


@dataclass(frozen=True)
class Generated:
    title: str
    summary: str


def recombined(feed: int, entry: int, *, codes: bool = True, seed: int = 0) -> Generated:
    """One title recombined from the lists, the same for the same arguments."""
    rng = random.Random(f"recombined:{seed}:{feed}:{entry}")
    return _recombined(rng.sample(NOUNS, 4), rng.choice(CITIES), feed, entry, codes)


def recombined_feeds(feeds: int, entries: int, *, codes: bool = True) -> list[list[Generated]]:
    """`feeds` feeds of `entries` recombined titles, no two of them made of the same words and
    city (two such titles would tell the same words in another order: one story)."""
    rng = random.Random(f"recombined-feeds:{feeds}:{entries}")
    seen: set[tuple[frozenset[str], str]] = set()
    out = []
    for feed in range(feeds):
        titles = []
        for entry in range(entries):
            while True:
                words, city = rng.sample(NOUNS, 4), rng.choice(CITIES)
                if (frozenset(words), city) not in seen:
                    seen.add((frozenset(words), city))
                    break
            titles.append(_recombined(words, city, feed, entry, codes))
        out.append(titles)
    return out


def _recombined(words: list[str], city: str, feed: int, entry: int, codes: bool) -> Generated:
    a, b, c, d = words
    title = f"{a.capitalize()} et {b} : {c} {d} à {city}"
    if codes:
        title += f" (flux-{feed:03d}-{entry})"
    summary = f"{c.capitalize()} et {d} : le programme {a} et {b} à {city}."
    return Generated(title, summary)


def job_offer(mission: str, city: str, contract: str = "CDI") -> Generated:
    title = f"Offre d'emploi : chargé·e de mission {mission} ({contract}, {city})"
    summary = (
        f"Notre association recrute un·e chargé·e de mission {mission} en {contract}, "
        f"basé·e à {city}. Candidatures jusqu'au 15 janvier."
    )
    return Generated(title, summary)


def alert(hazard: str, level: str, country: str, magnitude: float = 0.0) -> Generated:
    title = f"{level} {hazard} alert in {country}"
    summary = f"The {hazard} alert level is {level}. A {hazard} event is going on in {country}."
    if magnitude:
        title = f"{level} {hazard} alert (Magnitude {magnitude:.1f}M) in {country}"
        summary += f" Magnitude {magnitude:.1f}M."
    return Generated(title, summary)
