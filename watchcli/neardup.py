"""Near-duplicate matching: the same story told by another source. Pure: values in, values out.

    title + summary ──`match_text`──▶ MatchText (folded tokens, numbers, stages, generic?)
                    ──`band_keys`───▶ MinHash bands (datasketch), the keys of the store's index
    a candidate the index found ──`verify`──▶ Verdict (score, and why not when it is no match)

Invariants:

- Normalisation for matching folds accents and case, drops punctuation, outlet suffixes
  (" - Le Monde", " | franceinfo") and kickers ("VIDEO.", "DIRECT."), and keeps numbers, written
  the same way whatever the typography ("2 000", "2000", "2,000" and "deux mille" aside: words
  for 2 to 12 become digits). An acronym of the field and its expansions are one token ("IA",
  "intelligence artificielle", "AI"; "UE", "Union européenne", "EU"; `_ACRONYMS`), English
  acronyms that are also words ("UN", "US", "WHO", "AI") only when written in capitals. Words
  are compared by a light stem (plural and final -e dropped, the first STEM_CHARS letters
  kept: "investis" meets "investissement"); numbers are never stemmed.
- The index only proposes; `verify` decides. A candidate is never a match when:
  the two titles carry different numbers (each has a number the other lacks: "2 000 morts" vs
  "3 000 morts", "COP29" vs "COP30", "No. 1" vs "No. 2");
  they report different stages of one event ("le procès s'ouvre" vs "relaxe", "supprime" vs
  "renonce à supprimer", "seizes" vs "releases"; a title that tells a later stage names the
  earlier one only as its past);
  one is an explainer ("ce que l'on sait", "what we know") and the other a report;
  they differ only by a name in a template ("Orange flood alert in India" vs "… Bangladesh");
  or one title is too short or generic to say anything alone ("Direct", "Vidéo", "Fed",
  "Journée mondiale de l'eau") and the summaries do not agree, numbers included.
- Otherwise the score weighs three views equally: the titles, the titles with the openings of
  the summaries, and how much of each title the other text tells. A shared name or number
  (from the original capitals: "Louise", "FBI", "CPME", "109") counts NAME_WEIGHT common words
  in a title, LEDE_NAME_WEIGHT in a summary; who says it ("selon l'ONU") is not a name.
- Band keys are 63-bit integers hashed from a tagged text (`n2:band:values`): when the rules
  here change, bump `NEAR_KEY_VERSION` and keys made under the old rules never collide with new
  ones (they simply stop matching until the store re-indexes).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
from datasketch import MinHash
from rapidfuzz import fuzz

from watchcli.text import fold

__all__ = [
    "BANDS",
    "DEFAULT_THRESHOLD",
    "LEDE_CHARS",
    "NEAR_KEY_VERSION",
    "MatchText",
    "Verdict",
    "band_keys",
    "lede",
    "match_text",
    "number_conflict",
    "strip_outlet",
    "verify",
]

NEAR_KEY_VERSION = "n2"
ROWS = 1  # min-hash values per band: one shared sampled token makes a candidate
BANDS = 20
SHINGLE_LEDE_TOKENS = 10  # the lede's first tokens join the title's in the signature
NUM_PERM = ROWS * BANDS
SEED = 20261128
DEFAULT_THRESHOLD = 0.56
LEDE_CHARS = 320  # the opening of the summary that takes part in matching
LEDE_TOKENS = 40
STEM_CHARS = 7  # a longer word is compared by its first letters only
MIN_TITLE_TOKENS = 4  # fewer informative words than this: the title cannot decide alone
NAME_WEIGHT = 3.0  # a shared name or number counts this many common words
LEDE_NAME_WEIGHT = 2.0  # and a name or number its summary only has
FUZZY_NAME = 85  # rapidfuzz ratio above which two spellings are one name

# --- normalisation --------------------------------------------------------------------------

# Outlets that sign their titles (" - Le Monde", "| franceinfo", "– RFI"); folded, no spaces.
_OUTLETS = frozenset(
    fold(name).replace(" ", "")
    for name in (
        "Le Monde",
        "lemonde.fr",
        "franceinfo",
        "France Info",
        "francetvinfo",
        "France 24",
        "RFI",
        "Libération",
        "Le Figaro",
        "BFMTV",
        "BFM Business",
        "20 Minutes",
        "Ouest-France",
        "La Croix",
        "Le Parisien",
        "L'Obs",
        "L'Express",
        "Le Point",
        "Les Echos",
        "Mediapart",
        "Jeune Afrique",
        "Le Monde Afrique",
        "TV5Monde",
        "Euronews",
        "AFP",
        "Reuters",
        "AP",
        "Associated Press",
        "AP News",
        "BBC",
        "BBC News",
        "The Guardian",
        "Al Jazeera",
        "CNN",
        "NPR",
        "The New York Times",
        "The Washington Post",
        "Devex",
        "The New Humanitarian",
        "ReliefWeb",
        "UN News",
        "ONU Info",
        "Google News",
        "Yahoo",
        "MSN",
    )
)
_OUTLET_SUFFIX_RE = re.compile(r"\s+(?:[-–—|•·]|::)\s+([^-–—|•·]{2,40})$")
_PIPE_SUFFIX_RE = re.compile(r"\s+[|•·]\s+[^|•·]{2,40}$")
# franceinfo-style kickers: "VIDEO. …", "DIRECT. …", "INFO FRANCEINFO. …", "EN IMAGES. …",
# and the all-caps rubric names some feeds put before a dash: "L'ENQUÊTE DU 20H - …".
_KICKER_RE = re.compile(
    r"^(?:[A-ZÀ-ÖØ-Þ0-9'’ ]{2,40}\.\s+|[A-ZÀ-ÖØ-Þ0-9'’]+(?: [A-ZÀ-ÖØ-Þ0-9'’]+)+\s+[-–—/|]\s+)"
)

_GROUPED_NUMBER_RE = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?![\d])")
_TOKEN_RE = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_DIGITS_RE = re.compile(r"\d+(?:\.\d+)?")
_NUMERIC_RE = re.compile(r"\d+(?:[.,]\d+)*")
_YEAR_RE = re.compile(r"(?:19|20)\d\d")
_THOUSANDS_RE = re.compile(r"^\d{1,3}(?:,\d{3})+$")

_NUMBER_WORDS = {
    "deux": "2",
    "trois": "3",
    "quatre": "4",
    "cinq": "5",
    "six": "6",
    "sept": "7",
    "huit": "8",
    "neuf": "9",
    "dix": "10",
    "onze": "11",
    "douze": "12",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "deuxieme": "2",
    "seconde": "2",
    "second": "2",
    "troisieme": "3",
    "third": "3",
    "quatrieme": "4",
    "fourth": "4",
    "cinquieme": "5",
    "fifth": "5",
}

# Countries and a few regions often named first in a title ("Zambia declares …", "Kenya:
# Floods"): a capitalised first word counts as a name when it is one of these.
_PLACES = frozenset(
    """
    afghanistan afrique africa albanie albania algerie algeria allemagne germany angola
    arabie saudi argentine argentina armenie armenia australie australia autriche austria
    azerbaidjan azerbaijan bangladesh belgique belgium benin bielorussie belarus birmanie
    myanmar bolivie bolivia bosnie bosnia botswana bresil brazil bulgarie bulgaria burkina
    burundi cambodge cambodia cameroun cameroon canada centrafrique chili chile chine china
    chypre cyprus colombie colombia comores comoros congo rdc drc coree korea cuba danemark
    denmark djibouti egypte egypt equateur ecuador erythree eritrea espagne spain ethiopie
    ethiopia europe fidji fiji finlande finland france gabon gambie gambia gaza georgie
    georgia ghana grece greece guatemala guinee guinea haiti honduras hongrie hungary inde
    india indonesie indonesia irak iraq iran irlande ireland islande iceland israel italie
    italy jamaique jamaica japon japan jordanie jordan kazakhstan kenya kirghizistan
    kyrgyzstan kosovo koweit kuwait laos liban lebanon liberia libye libya lituanie
    lithuania madagascar malaisie malaysia malawi mali maroc morocco mauritanie mauritania
    mexique mexico moldavie moldova mongolie mongolia mozambique namibie namibia nepal
    nicaragua niger nigeria norvege norway ouganda uganda ukraine ouzbekistan uzbekistan
    pakistan palestine panama paraguay perou peru philippines pologne poland portugal qatar
    roumanie romania russie russia rwanda sahel salvador senegal serbie serbia sierra
    singapour singapore slovaquie slovakia somalie somalia soudan sudan sri suede sweden
    suisse switzerland syrie syria tadjikistan tajikistan tanzanie tanzania tchad chad
    thailande thailand togo tunisie tunisia turquie turkey turkiye venezuela vietnam yemen
    zambie zambia zimbabwe darfour darfur kordofan cisjordanie tigray kivu sinai crimee
    crimea donbass cameroun
    """.split()  # noqa: SIM905
)

# Acronyms of the field and their expansions, French and English: one token for all the ways
# of naming one institution or notion. Written in capitals only, the English acronyms that are
# also common words ("UN", "US", "WHO", "AI") count only when the original text has them so.
_ACRONYMS: dict[str, tuple[str, ...]] = {
    "ia": ("intelligence artificielle", "artificial intelligence"),
    "ue": ("union europeenne", "european union"),
    "onu": ("organisation des nations unies", "nations unies", "united nations"),
    "oms": ("organisation mondiale de la sante", "world health organization"),
    "ong": (
        "organisation non gouvernementale",
        "organisations non gouvernementales",
        "non-governmental organization",
        "non-governmental organizations",
        "non-governmental organisation",
        "non-governmental organisations",
    ),
    "apd": ("aide publique au developpement", "official development assistance"),
    "afd": ("agence francaise de developpement",),
    "hcr": (
        "haut-commissariat des nations unies pour les refugies",
        "haut commissariat des nations unies pour les refugies",
        "haut-commissariat pour les refugies",
        "haut commissariat pour les refugies",
        "un refugee agency",
        "onu refugee agency",
        "unhcr",
    ),  # "UN" is "ONU" by then
    "pam": ("programme alimentaire mondial", "world food programme", "world food program", "wfp"),
    "fmi": ("fonds monetaire international", "international monetary fund", "imf"),
    "cpi": ("cour penale internationale", "international criminal court"),
    "otan": ("organisation du traite de l'atlantique nord", "nato"),
    "cop": ("conference des parties", "conference of the parties"),
    "ocha": (
        "bureau de la coordination des affaires humanitaires",
        "office for the coordination of humanitarian affairs",
    ),
    "unicef": ("fonds des nations unies pour l'enfance",),
    "usa": ("etats-unis", "etats unis", "united states"),
}
_EXPANSIONS = {
    expansion: acronym for acronym, expansions in _ACRONYMS.items() for expansion in expansions
}
_EXPANSION_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(e) for e in sorted(_EXPANSIONS, key=len, reverse=True)) + r")\b"
)
_CASED_ACRONYMS = {
    "AI": "IA",
    "UN": "ONU",
    "EU": "UE",
    "WHO": "OMS",
    "NGO": "ONG",
    "NGOs": "ONG",
    "ODA": "APD",
    "US": "USA",
    "ICC": "CPI",
}
_CASED_ACRONYM_RE = re.compile(r"\b(?:" + "|".join(_CASED_ACRONYMS) + r")\b")

_STOPWORDS = frozenset(
    """
    a au aux avec ce ces cet cette chez comme contre d dans de des du elle elles en entre et
    est etre ete fait il ils je la le les leur leurs lors mais me meme ne nos notre nous on
    ont ou par pas pour plus qu que qui quoi sa sans se ses si son sont sous sur ta te tes
    toi ton tous tout toute toutes tu un une vers vos votre vous y apres avant aussi alors
    car ceci cela celle celui deja depuis dont donc ici ni peu peut sera seront selon tres
    va vont avoir c s l n j m t quand quel quelle quels quelles ainsi encore moins pendant
    chaque ca cest the of to in and for on at by with from is are was were be been as an it
    its this that these those or but not no into over after before about than their his her
    they he she we you our has have had will would can could may might says said say new how
    why what who when where us amid just more most also out up down off per via direct video
    videos live replay podcast reportage images en_images exclusif info infos watch breaking
    update updates
    """.split()  # noqa: SIM905
)
# Rubric words that say what kind of article it is, not what it is about: stopwords, and a
# title left with nothing else is generic.
_GENERIC_RE = re.compile(
    r"\b(?:journee (?:mondiale|internationale|nationale|europeenne)"
    r"|(?:world|international|global) \w+(?: \w+)? day\b"
    r"|revue de presse|newsletter|lettre d'information|lettre d'info|edito|editorial"
    r"|agenda|communique de presse|press release|point de situation|situation report|sitrep"
    r"|flash update|bulletin|(?:green|orange|red) \w+ alert|alerte (?:verte|orange|rouge)"
    r"|weekly|hebdo|en bref|in brief|the briefing|morning briefing|offre d'emploi|job offer)"
)

# An explainer ("ce que l'on sait", "what we know") is another article than the news it explains.
_EXPLAINER_RE = re.compile(
    r"\bce qu(?:e l'|')on sait\b|\bce qu'il faut savoir\b|\bchoses a savoir\b"
    r"|\bquestions[- ]reponses\b|\bwhat we know\b|\bwhat to know\b|\bexplainer\b"
)

# Stages of one event: two titles at different stages are two stories ("le procès s'ouvre"
# and "le verdict" are not the same news). Patterns run on the folded title.
_STAGES: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "custody": r"\bgarde a vue\b|\binterpelle|\barrested\b|\bdetained\b|\bin custody\b"
        r"|\bseiz(?:e|es|ed|ing)\b|\barraisonn",
        "charged": r"\bmise? en examen\b|\binculpee?s?\b|\bcharged with\b|\bindicted\b",
        "released": r"\blibere(?:e|s|es)?\b|\bremise? en liberte"
        r"|\breleas(?:e|es|ed|ing)\b|\bfreed\b",
        "opening": r"\bs'ouvre\b|\bouverture\b|\bopens\b|\bbegins\b|\bkicks? off\b"
        r"|\bcomparai(?:t|ssent)\b|\b(?:goes|go|went) on trial\b",
        "closing": r"\bs'acheve\b|\bcloture\b|\bse termine\b|\bcloses\b|\bends? with\b"
        r"|\bwraps? up\b|\baccord (?:final|arrache|trouve)\b|\bdeal reached\b",
        "verdict": r"\bverdict\b|\bcondamnee?s?\b|\brelaxee?s?\b|\bacquitt(?:e|ee|es|ees)\b"
        r"|\breconnue?s? coupables?\b|\bacquit(?:ted|s)?\b|\bconvicted\b|\bsentence[sd]\b"
        r"|\bfound guilty\b|\bjail(?:ed|s)\b",
        "appeal": r"\bfait appel\b|\bfont appel\b|\bproces en appel\b|\bcour d'appel\b"
        r"|\bappeals? (?:court|the)\b",
        "cut": r"\bsuppression\b|\bsupprim|\bcoupes?\b|\bgel(?:e|ent)\b"
        r"|\bannul(?:e|es|ee|ees|ent)\b|\bote(?:e|s|es)?\b|\bcuts?\b|\bslash(?:es|ed)?\b|\bfreez(?:e|es)\b|\bfrozen\b",
        "restored": r"\breinject|\bretabli|\brestaur|\brenonce|\brevient sur\b|\bmarche arriere\b"
        r"|\bmachine arriere\b|\brecule\b|\bdegel|\brestore[sd]?\b|\breverse[sd]?\b|\bu-turn\b"
        r"|\bbacktrack",
        "injured": r"\bgrievement blessee?s?\b|\b(?:seriously|critically) (?:injured|wounded)\b"
        r"|\bdans un etat grave\b|\bin critical condition\b",
        "died": r"\bsuccombe|\bdecedee?s?\b|\bmorte? de ses blessures\b"
        r"|\bdie[sd] of (?:his|her|their) (?:injuries|wounds)\b",
    }.items()
}


_SUPERSEDES = (("released", "custody"), ("died", "injured"), ("restored", "cut"))
_CUSTODY_LIFTED_RE = re.compile(r"\bgarde a vue\b.*\blevee\b")


def _stages(folded_title: str) -> frozenset[str]:
    found = {name for name, rx in _STAGES.items() if rx.search(folded_title)}
    if _CUSTODY_LIFTED_RE.search(folded_title):  # "la garde à vue … a été levée"
        found.add("released")
    # A title that tells a later stage names the earlier one only as its past: "releases seized
    # tanker" is the release, "grièvement blessé, il a succombé" the death.
    for later, earlier in _SUPERSEDES:
        if later in found:
            found.discard(earlier)
    return frozenset(found)


def strip_outlet(title: str) -> str:
    """`title` without an outlet's signature at its end or a rubric kicker at its start."""
    title = title.strip()
    title = _KICKER_RE.sub("", title, count=1) or title
    match = _OUTLET_SUFFIX_RE.search(title)
    if match and fold(match.group(1)).replace(" ", "") in _OUTLETS:
        return title[: match.start()].rstrip()
    match = _PIPE_SUFFIX_RE.search(title)
    if match and match.start() > 0:
        return title[: match.start()].rstrip()
    return title


def _number(token: str) -> str:
    """One spelling per number: "2,000" → "2000" (English thousands), "1,5" → "1.5", "07" → "7"."""
    if _THOUSANDS_RE.match(token):
        token = token.replace(",", "")
    token = token.replace(",", ".")
    whole, _, fraction = token.partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return whole + ("." + fraction if fraction else "")


def _stem(word: str) -> str:
    """A light stem shared by French and English, for comparison only: plurals and a final -e
    go, and a long word keeps its first STEM_CHARS letters, so that "investis" meets
    "investissement" and "enquêteurs" meets "enquête" (numbers are never stemmed)."""
    if len(word) > 3 and word[-1] in "sx":
        word = word[:-1]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word[:STEM_CHARS]


def _canonical(text: str) -> str:
    """`text` folded, with the acronyms of the field and their expansions written one way:
    "IA", "AI", "intelligence artificielle" and "artificial intelligence" all become "ia"."""
    text = _CASED_ACRONYM_RE.sub(lambda m: _CASED_ACRONYMS[m.group()], text)
    return _EXPANSION_RE.sub(lambda m: _EXPANSIONS[m.group()], fold(text))


def _tokens(text: str) -> list[str]:
    """Folded content words and numbers of `text`, in order."""
    folded = _GROUPED_NUMBER_RE.sub(lambda m: m.group().replace(" ", ","), _canonical(text))
    out: list[str] = []
    for token in _TOKEN_RE.findall(folded):
        if _NUMERIC_RE.fullmatch(token):
            # A year is only ever compared with years: "Floods - Apr 2026" says nothing
            # against "38 dead".
            out.append(("y" + token) if _YEAR_RE.fullmatch(token) else _number(token))
            continue
        token = _NUMBER_WORDS.get(token, token)
        if token in _STOPWORDS or (len(token) == 1 and not token.isdigit()):
            continue
        out.append(token if token.isdigit() else _stem(token))
    return out


def _numbers(tokens: list[str]) -> frozenset[str]:
    """The numbers a list of tokens carries, including those inside words ("cop30" → "30");
    years keep their "y" mark."""
    found: set[str] = set()
    for token in tokens:
        if _NUMERIC_RE.fullmatch(token) or (token[0] == "y" and token[1:].isdigit()):
            found.add(token)
        else:
            found.update(_number(n) for n in _DIGITS_RE.findall(token))
    return frozenset(found)


_WORD_RE = re.compile(r"[^\W_][\w'’-]*")


_ELISION_RE = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
_SENTENCE_END_RE = re.compile(r"[.!?:;«»\"“”]\s*$")


_ATTRIBUTION_RE = re.compile(
    r"(?:\bselon|\bd['’]apr[eè]s|\baccording to|\bsays?|\bsaid)\s+(?:l['’]|la |le |les |the )?$",
    re.IGNORECASE,
)
# Written in capitals but common nouns: "les ONG" are not someone.
_COMMON_ACRONYMS = frozenset({"ong"})


def _capitalised_parts(word: str) -> list[str]:
    """The capitalised parts of a word, elision and hyphens aside: "d'Acted" → ["Acted"],
    "anti-Trump" → ["Trump"]; a capitalised word stays whole ("États-Unis", "Seine-et-Marne")."""
    word = _ELISION_RE.sub("", word)
    if word[:1].isupper():
        return [word]
    return [part for part in word.split("-") if part[:1].isupper()]


def _names(title: str) -> tuple[frozenset[str], frozenset[str]]:
    """Tokens of the capitalised words of a title (names, places, organisations) and, among
    them, the acronyms. A title in Title Case says nothing by its capitals: no names then.
    The first word counts only when it stands alone before ":" or "," ("Soudan : …") or
    when a capitalised word follows it ("Donald Trump dit…")."""
    words = [(m.group(), m.end()) for m in _WORD_RE.finditer(title) if not m.group()[0].isdigit()]
    if not words:
        return frozenset(), frozenset()
    capitals = [(w, end) for w, end in words if w[0].isupper()]
    if len(words) >= 4 and len(capitals) / len(words) > 0.6:
        return frozenset(), frozenset()
    names: set[str] = set()
    acronyms: set[str] = set()
    for i, (word, end) in enumerate(words):
        if _ATTRIBUTION_RE.search(title[: end - len(word)]):
            continue  # who says it ("selon l'ONU", "according to WHO") is not what it is about
        for part in _capitalised_parts(word):
            tokens = [t for t in _word_tokens(part) if not t[0].isdigit()]
            # A first word is a name when it stands alone before ":" or "," ("Soudan : …")
            # or opens a run of capitalised words ("Merwane Benlazar répond…").
            opens_a_name = i + 1 < len(words) and words[i + 1][0][:1].isupper()
            if i == 0 and not (re.match(r"\s*[:,]", title[end:]) or opens_a_name):
                tokens = [t for t in tokens if t in _PLACES or fold(part) in _PLACES]
            names.update(t for t in tokens if t not in _COMMON_ACRONYMS)
            if part.isupper() and 2 <= len(part) <= 6 and len(tokens) == 1:
                acronyms.update(tokens)
    return frozenset(names), frozenset(acronyms)


@lru_cache(maxsize=65536)  # names recur from entry to entry
def _word_tokens(word: str) -> tuple[str, ...]:
    return tuple(_tokens(word))


def _lede_names(text: str) -> frozenset[str]:
    """Tokens of the capitalised words of a summary that do not open a sentence ("Brian
    Driscoll", "CPME"): what makes a shared word worth more than a common one."""
    names: set[str] = set()
    end = 0
    for m in _WORD_RE.finditer(text):
        between, end = text[end : m.start()], m.end()
        if m.group()[0].isdigit() or (between and not between[-1].isspace()):
            continue
        if m.start() == 0 or _SENTENCE_END_RE.search(between):
            continue
        for part in _capitalised_parts(m.group()):
            names.update(t for t in _word_tokens(part) if not t[0].isdigit())
    return frozenset(names)


@dataclass(frozen=True)
class MatchText:
    """What matching looks at in one entry (or one stored sighting)."""

    title: frozenset[str]  # content tokens of the title
    lede: frozenset[str]  # content tokens of the opening of the summary
    numbers: frozenset[str]  # numbers of the title
    lede_numbers: frozenset[str]
    stages: frozenset[str]
    names: frozenset[str]  # tokens of the title's capitalised words (not in Title Case)
    acronyms: frozenset[str]  # the names written in capitals ("OMS", "UE")
    lede_names: frozenset[str]  # tokens of the summary's capitalised words, mid-sentence
    weights: dict[str, float]  # the tokens that count more than a common word, and how much
    words: tuple[str, ...]  # title and lede tokens in order (for acronyms' initials)
    generic: bool  # too short or too generic for the title to decide alone
    explainer: bool  # the title announces an explainer, not a report
    shingles: tuple[str, ...]  # what the signature is made of (title and lede tokens)


def lede(summary: str) -> str:
    """The opening of a summary that takes part in matching (and is kept for each sighting)."""
    summary = " ".join(summary.split())
    if len(summary) <= LEDE_CHARS:
        return summary
    cut = summary[:LEDE_CHARS]
    space = cut.rfind(" ")
    return cut[:space] if space > LEDE_CHARS // 2 else cut


@lru_cache(maxsize=4096)  # a fetch meets the same candidates again and again
def _cached_match_text(title: str, summary_opening: str) -> MatchText:
    clean = strip_outlet(title)
    title_tokens = _tokens(clean)
    opening = lede(summary_opening)
    lede_tokens = _tokens(opening)[:LEDE_TOKENS]
    folded = fold(clean)
    names, acronyms = _names(clean)
    lede_names = _lede_names(opening)
    numbers, lede_numbers = _numbers(title_tokens), _numbers(lede_tokens)
    informative = len({t for t in title_tokens if not _NUMERIC_RE.fullmatch(t)})
    return MatchText(
        title=frozenset(title_tokens),
        lede=frozenset(lede_tokens),
        numbers=numbers,
        lede_numbers=lede_numbers,
        stages=_stages(folded),
        names=names,
        acronyms=acronyms,
        lede_names=lede_names,
        weights=_weights(
            frozenset(title_tokens) | frozenset(lede_tokens),
            names,
            numbers,
            lede_names,
            lede_numbers,
        ),
        words=(*title_tokens, *lede_tokens),
        generic=informative < MIN_TITLE_TOKENS or bool(_GENERIC_RE.search(folded)),
        explainer=bool(_EXPLAINER_RE.search(folded)),
        shingles=tuple(sorted(set(title_tokens) | set(lede_tokens[:SHINGLE_LEDE_TOKENS]))),
    )


def match_text(title: str, summary: str) -> MatchText:
    """The matching form of an entry: its title and the opening of its summary."""
    return _cached_match_text(title, lede(summary))


# --- the index ------------------------------------------------------------------------------


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32").permutations


def band_keys(text: MatchText) -> tuple[int, ...]:
    """The index keys of an entry: one 63-bit key per MinHash band of its shingles (the
    title's tokens and the first tokens of the summary).

    With ROWS = 1, two entries whose shingle sets have Jaccard similarity s share a given key
    with probability s, so the two shared keys the store asks for with probability
    1 - (1 - s)^BANDS - BANDS·s·(1 - s)^(BANDS - 1): with 20 bands, s = 0.15: 0.82; s = 0.2:
    0.93; s = 0.3: 0.99 (12 bands: 0.56, 0.73, 0.91). A text too short to sample gets no key:
    it can only be matched by its exact keys.
    """
    if len(text.shingles) < 2:
        return ()
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, permutations=_permutations(), scheme="affine32")
    minhash.update_batch([s.encode("utf-8") for s in text.shingles])
    values = minhash.hashvalues
    keys = []
    for band in range(BANDS):
        chunk = values[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(
            f"{NEAR_KEY_VERSION}:{band}:".encode() + chunk, digest_size=8
        ).digest()
        keys.append(int.from_bytes(digest, "big") >> 1)  # SQLite integers are signed 64-bit
    return tuple(sorted(set(keys)))


# --- verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    score: float  # 0..1; a match when `reason` is None and score >= the threshold
    reason: str | None = None  # why this can never be the same story, when it cannot


def sighting_keys(texts: Iterable[tuple[str, str]]) -> list[list[int]]:
    """The band keys of each (title, lede) of an item's sightings, to re-index the item."""
    return [list(band_keys(match_text(title, lede))) for title, lede in texts]


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def _weights(
    tokens: frozenset[str],
    names: frozenset[str],
    numbers: frozenset[str],
    lede_names: frozenset[str],
    lede_numbers: frozenset[str],
) -> dict[str, float]:
    """What sharing each token says: a name, an acronym or a number ("Kordofan", "CPME",
    "2 000") says more than a common word ("civils", "tués"); only the tokens that weigh more
    than 1 are kept."""
    out: dict[str, float] = {}
    for token in tokens:
        if token in names or token in numbers:
            out[token] = NAME_WEIGHT
        elif token in lede_names or token in lede_numbers:
            out[token] = LEDE_NAME_WEIGHT
    return out


def _weight_of(text: MatchText, tokens: Iterable[str]) -> float:
    get = text.weights.get
    return sum(get(t, 1.0) for t in tokens)


def _weighted_dice(
    a: MatchText, b: MatchText, tokens_a: frozenset[str], tokens_b: frozenset[str]
) -> float:
    if not tokens_a or not tokens_b:
        return 0.0
    shared = tokens_a & tokens_b
    total = _weight_of(a, tokens_a) + _weight_of(b, tokens_b)
    return (_weight_of(a, shared) + _weight_of(b, shared)) / total


def _title_score(a: MatchText, b: MatchText) -> float:
    """Dice similarity of the titles, names and numbers counting more."""
    return _weighted_dice(a, b, a.title, b.title)


def _told_in(a: MatchText, b: MatchText) -> float:
    """How much of `a`'s title (by weight) `b` tells, in its title or its summary: one outlet
    puts in its summary what another puts in its title."""
    if not a.title:
        return 0.0
    return _weight_of(a, a.title & (b.title | b.lede)) / _weight_of(a, a.title)


def number_conflict(a: frozenset[str], b: frozenset[str]) -> bool:
    """Each side has a number the other lacks: different facts ("2 000" vs "3 000" dead). One
    side adding a number (a year, a date) to the other's is not a conflict."""
    years_a, years_b = {n for n in a if n[0] == "y"}, {n for n in b if n[0] == "y"}
    counts_a, counts_b = a - years_a, b - years_b
    return bool(years_a - years_b and years_b - years_a) or bool(
        counts_a - counts_b and counts_b - counts_a
    )


def _mentions(text: MatchText, name: str) -> bool:
    """Whether `text` names `name`: the same token, a close spelling ("Rachline" for
    "Racheline") or, for an acronym, words with those initials ("UE": "Union européenne")."""
    tokens = text.title | text.lede
    if name in tokens:
        return True
    if len(name) >= 5 and any(
        abs(len(t) - len(name)) <= 2 and fuzz.ratio(name, t) >= FUZZY_NAME for t in tokens
    ):
        return True
    if name in text.acronyms or len(name) < 2:
        return False
    words, n = text.words, len(name)
    return any(
        all(words[i + k].startswith(name[k]) for k in range(n)) for i in range(len(words) - n + 1)
    )


def _other_names(a: MatchText, b: MatchText) -> bool:
    """Each title names someone or somewhere the other text never mentions: "Zambia declares
    drought a national disaster" and "Zimbabwe declares national disaster over drought"."""
    only_a = [n for n in a.names if len(n) >= 3 and not _mentions(b, n)]
    if not only_a:
        return False
    return any(len(n) >= 3 and not _mentions(a, n) for n in b.names)


def verify(a: MatchText, b: MatchText) -> Verdict:
    """How likely `a` and `b` tell the same story (the score), or why they cannot."""
    if number_conflict(a.numbers, b.numbers):
        return Verdict(0.0, "numbers differ")
    if a.stages and b.stages and not (a.stages & b.stages):
        return Verdict(0.0, "different stages of the event")
    if a.explainer != b.explainer:
        return Verdict(0.0, "an explainer and a report")
    if _other_names(a, b):
        return Verdict(0.0, "different names")
    title_score = _title_score(a, b)
    if a.generic or b.generic:
        # The title says too little: the summaries decide, and must agree on their numbers.
        if not a.lede or not b.lede:
            return Verdict(0.0, "title too short or generic, no summary to compare")
        if number_conflict(a.lede_numbers, b.lede_numbers):
            return Verdict(0.0, "title too short or generic, summaries' numbers differ")
        return Verdict(min(title_score, _dice(a.lede, b.lede)) if a.title & b.title else 0.0)
    if not a.lede or not b.lede:
        return Verdict(title_score)
    # The summaries' openings confirm or contradict the titles, and each title must be told by
    # the other text: three views of one story, with the same weight.
    text_score = _weighted_dice(a, b, a.title | a.lede, b.title | b.lede)
    told = min(_told_in(a, b), _told_in(b, a))
    return Verdict((title_score + text_score + told) / 3)
