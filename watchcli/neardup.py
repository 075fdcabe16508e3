"""Near-duplicate matching: the same story told by another source, or twice by one. Pure:
values in, values out; the store keeps the index and the counts (store_near.py).

    title + summary ──`match_text`──▶ MatchText (tokens, numbers, names)
    token counts of the store ──────▶ Weights (IDF: a rare word says more than a common one)
    an entry ──`query_tokens`──▶ the index (blocking) ──▶ a few item representatives
    entry, representative ──`features`──▶ Features ──`decide`──▶ Verdict (probability, reason)

Three parts, in this order below:

1. **Features of one text.** Titles and the opening of summaries are folded (accents, case),
   cut into words compared by a light stem, numbers written one way ("2 000", "2,000" → 2000)
   and codes kept whole ("COP29", "H5N1", "flux-003-3"). Capitalised words inside a title are
   names. No word list: what a word is worth comes from counts, not from a list.
2. **Weights.** A token's weight is its IDF over the items of the store's recent window,
   blended with a prior (`watchcli/data/idf_prior.tsv`, document frequencies counted on public
   text, see its header) that speaks for a new store and fades as the store fills: a rare
   shared name counts a lot, a word the store is full of ("emploi" in a feed of job offers,
   "grenoble" in a local feed) counts little, in any language.
3. **Decision.** First the refusals (`refusal`): facts that differ, not evidence to weigh —
   titles carrying different numbers, codes or dates ("2 000 morts" / "3 000 morts", "COP29" /
   "COP30"), the same sentence with another name or key word in one place (a template telling
   another event), two datelines or topic heads that share nothing ("Pamiers. …" /
   "Soudan : …"), texts sharing names and numbers only. Then a logistic model over ten
   features (`FEATURES`): weighted similarity of the titles and of the summaries' openings,
   how much of each title's rarest words the other tells, the weight shared, names only on one
   side, a shared number, same source, time apart, titles only, spellings alike. Its
   coefficients are fitted on labelled public data by `bench/dedupe_fit.py --write`, which
   rewrites the `COEFFICIENTS` block below; `bench/dedupe_eval.py` gives the training and
   held-out figures (README, "How duplicates are merged"). An item split by hand from a
   source never takes that source's entries again (the store sees to it).

The index keys are the tokens themselves, filed by day (store_near.py); when what a token is
changes here, bump `NEAR_KEY_VERSION` and the store re-indexes its recent items.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from watchcli.text import fold

__all__ = [
    "FEATURES",
    "LEDE_CHARS",
    "MODEL",
    "NEAR_KEY_VERSION",
    "Features",
    "MatchText",
    "Model",
    "Verdict",
    "Weights",
    "candidate_bounds",
    "ceiling",
    "coherent",
    "decide",
    "explain",
    "features",
    "index_tokens",
    "is_candidate",
    "lede",
    "match_text",
    "number_conflict",
    "query_tokens",
    "refusal",
    "strip_kicker",
]

NEAR_KEY_VERSION = "n4"  # what a token is; stored index rows of another version are rebuilt
LEDE_CHARS = 320  # the opening of the summary that takes part in matching
TITLE_TOKENS = 30
LEDE_TOKENS = 40
LEDE_INDEX_TOKENS = 12  # the lede's first tokens that are indexed with the title's
STEM_CHARS = 7  # a longer word is compared by its first letters only
QUERY_TOKENS = 10  # an entry looks up its rarest tokens, at most this many
RARE_ALONE = 0.75  # a token rarer than this (weight over `top`) makes a candidate alone
COHERENCE = 0.9  # an entry joins an item only when each representative nearly agrees
CANDIDATES = 8  # items an entry is compared with at most: those sharing the most weight
COMMON_SHARE = 0.04  # a token in more than this share of the prior's documents is not indexed
WEIGHT_DAYS = 30  # the weights count the items first seen in the last this many days
PRIOR_DOCS = 500.0  # how many documents the prior counts for, against the store's own
GAP_HOURS = 72.0  # the time-apart feature saturates here
RARE_WORDS = 3  # a title's rarest words, that make it this story
SPELLING = 0.6  # Dice of letter pairs above which two words are one, spelt two ways
SWAP_WORDS = 3  # at most this many words put in another's place make a swap
SHARED_INFO = 8.0  # sharing as much weight as this many unseen words is all the evidence

# --- 1. features of one text ----------------------------------------------------------------

# Rubric kickers in capitals before a full stop or a dash: "VIDEO. …", "DIRECT. …",
# "L'ENQUÊTE DU 20H - …". A title never starts with a whole sentence in capitals.
_KICKER_RE = re.compile(
    r"^(?:[A-ZÀ-ÖØ-Þ0-9'’ ]{2,40}\.\s+|[A-ZÀ-ÖØ-Þ0-9'’]+(?: [A-ZÀ-ÖØ-Þ0-9'’]+)+\s+[-–—/|]\s+)"
)
# "… | Rubric" or "… • Site": what follows a pipe or a bullet at the end is a signature.
_PIPE_SUFFIX_RE = re.compile(r"\s+[|•·]\s+[^|•·]{2,40}$")
_GROUPED_NUMBER_RE = re.compile(r"(?<![\d.,])\d{1,3}(?:[  \u202f]\d{3})+(?!\d)")
# A run of letters and digits, with inner "-", "." or "," between digits ("1,5", "2.000") or
# "-" inside a code ("flux-003-3", "covid-19").
_RUN_RE = re.compile(r"[a-z0-9]+(?:(?:(?<=\d)[.,](?=\d)|-)[a-z0-9]+)*")
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_THOUSANDS_RE = re.compile(r"^\d{1,3}(?:,\d{3})+$")
_YEAR_RE = re.compile(r"(?:19|20)\d\d")
_HAS_DIGIT_RE = re.compile(r"\d")
_HAS_LETTER_RE = re.compile(r"[a-z]")
_WORD_RE = re.compile(r"[^\W_][\w'’-]*")
_ELISION_RE = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
_SENTENCE_END_RE = re.compile(r"[.!?:;«»\"“”…]\s*$")


def strip_kicker(title: str) -> str:
    """`title` without a rubric kicker at its start or a signature after a pipe at its end."""
    title = title.strip()
    title = _KICKER_RE.sub("", title, count=1) or title
    match = _PIPE_SUFFIX_RE.search(title)
    if match and match.start() > 0:
        title = title[: match.start()].rstrip()
    return title


def _number(token: str) -> str:
    """One spelling per number: "2,000" → "2000" (English thousands), "1,5" → "1.5", "07" → "7";
    a year is marked ("y2026"): it is only ever compared with years."""
    if _YEAR_RE.fullmatch(token):
        return "y" + token
    if _THOUSANDS_RE.match(token):
        token = token.replace(",", "")
    token = token.replace(",", ".")
    whole, _, fraction = token.partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return whole + ("." + fraction if fraction else "")


def _stem(word: str) -> str:
    """A light stem for French and English, for comparison only: inflections go (plural "-s"
    and "-x", "-ing", "-ed", "-er", the "-e" of French agreement, and "-y" is "-i", so that
    "city" meets "cities" and "sortie" meets "sorties"), and a long word keeps its first
    STEM_CHARS letters: "raises", "raised" and "raising" meet, "arrêtés" meets "arrêter",
    "investis" meets "investissement"."""
    if len(word) > 3 and word[-1] in "sx":
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif (len(word) > 4 and word.endswith("ed")) or (len(word) > 5 and word.endswith("er")):
        word = word[:-2]
    for _ in range(2):
        if len(word) > 3 and word[-1] == "e":
            word = word[:-1]
    if len(word) > 2 and word[-1] == "y":
        word = word[:-1] + "i"
    return word[:STEM_CHARS]


# The calendar, French and English: a date locates an article in time but does not say what
# it is about, so a date is one token ("d0110": January 10th) that weighs nothing in the
# similarity, and, as a number does, tells another fact when another date stands in its place.
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "janvier janv january jan",
            "fevrier fevr february feb",
            "mars march mar",
            "avril avr april apr",
            "mai may",
            "juin june jun",
            "juillet juil july jul",
            "aout august aug",
            "septembre sept september sep",
            "octobre october oct",
            "novembre november nov",
            "decembre december dec",
        ),
        start=1,
    )
    for name in names.split()
}
_WEEKDAYS = (
    *("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
)
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"([12]?\d|3[01])(?:er|st|nd|rd|th)?"
_WEEKDAY = "(?:(?:" + "|".join(_WEEKDAYS) + r")\s+)?"
_DATE_RE = re.compile(
    rf"\b{_WEEKDAY}{_DAY}(?:\s+(?:et|au|and|to|-)\s+{_DAY})?\s+{_MONTH}(?![a-z])"
    rf"|\b{_MONTH}\s+{_DAY}\b"
    r"|\b(\d{1,2})/(\d{1,2})(?=(?:/\d{2,4})?\b)"
)


def _dates(match: re.Match[str]) -> str:
    """The date tokens of a date written in words or in figures (day/month)."""
    day, second, month, month_first, day_after, numeric_day, numeric_month = match.groups()
    if numeric_day:
        days, number = [numeric_day], int(numeric_month)
        if not 1 <= number <= 12:
            return match.group()
    elif month_first:
        days, number = [day_after], _MONTHS[month_first]
    else:
        days, number = [d for d in (day, second) if d], _MONTHS[month]
    return " " + " ".join(f"d{number:02d}{int(d):02d}" for d in days) + " "


def is_date(token: str) -> bool:
    return len(token) == 5 and token[0] == "d" and token[1:].isdigit()


@lru_cache(maxsize=8192)
def _tokens(text: str) -> tuple[str, ...]:
    """Folded tokens of `text`, in order: stemmed words, dates ("vendredi 10 janvier" is
    "d0110"), numbers (a unit after a number is a word of its own: "$4.1bn" is 4.1), and
    codes, letters then digits (kept whole: "cop29", "h5n1", "flux-003-3"). One letter alone
    says nothing."""
    # "2 000" is a count, written "2,000" so that it is never read as the year 2000.
    folded = _GROUPED_NUMBER_RE.sub(lambda m: re.sub(r"\D+", ",", m.group()), fold(text))
    folded = _DATE_RE.sub(_dates, folded)
    out: list[str] = []
    for run in _RUN_RE.findall(folded):
        if not _HAS_DIGIT_RE.search(run):
            out.extend(_stem(w) for w in run.split("-") if len(w) > 1)
        elif _NUMBER_RE.fullmatch(run):
            out.append(_number(run))
        elif not _HAS_LETTER_RE.search(run):  # digits and dashes: a score or a span ("3-1")
            out.extend(_number(n) for n in run.split("-") if n)
        elif run[0].isdigit() and (number := _NUMBER_RE.match(run)):
            # A number with its unit or suffix: "965m", "4.1bn", "6-year-old", "2nd", "1er".
            out.append(_number(number.group()))
            out.extend(_stem(w) for w in run[number.end() :].split("-") if len(w) > 2)
        else:
            out.append(run)
    return tuple(out)


def _is_number(token: str) -> bool:
    """A number, a year or a code: a fact that another number contradicts."""
    return bool(_HAS_DIGIT_RE.search(token))


def _capitalised_parts(word: str) -> list[str]:
    """The capitalised parts of a word, elision and hyphens aside: "d'Acted" → ["Acted"],
    "anti-Trump" → ["Trump"]; a capitalised word stays whole ("États-Unis")."""
    word = _ELISION_RE.sub("", word)
    if word[:1].isupper():
        return [word]
    return [part for part in word.split("-") if part[:1].isupper()]


def _names(title: str) -> frozenset[str]:
    """Tokens of the capitalised words of a title: who and where it is about. A word that
    opens a sentence (the first, or one after ".", "!", "?" or ":") is capitalised anyway: it
    counts only when a capitalised word follows it ("Donald Trump dit…") or it stands alone
    before ":", "," or a dateline's full stop ("Soudan : …", "Pamiers. Les travaux…"). A
    title in Title Case says nothing by its capitals; the commonest words are never names."""
    words = [m for m in _WORD_RE.finditer(title) if not m.group()[0].isdigit()]
    opening = [m.start() == 0 or bool(_SENTENCE_END_RE.search(title[: m.start()])) for m in words]
    inner = [m.group() for m, opens in zip(words, opening, strict=True) if not opens]
    if len(inner) >= 4 and sum(w[0].isupper() for w in inner) / len(inner) > 0.6:
        return frozenset()
    names: set[str] = set()
    for i, match in enumerate(words):
        word = match.group()
        if opening[i]:
            opens_a_name = i + 1 < len(words) and words[i + 1].group()[:1].isupper()
            if not (opens_a_name or re.match(r"\s*[:,.]\s", title[match.end() :])):
                continue
        for part in _capitalised_parts(word):
            names.update(t for t in _tokens(part) if not (_is_number(t) or is_common(t)))
    return frozenset(names)


_HEAD_RE = re.compile(r"^([A-ZÀ-ÖØ-Þ][^.:!?]{0,40}?)\s*(?::|\.\s)")


def _head(title: str) -> frozenset[str]:
    """Tokens of a title's head: a short capitalised segment before ":" or a dateline's full
    stop, where the place or the topic of a story is written ("Pamiers. Les travaux
    continuent", "Soudan : …"). Two heads that share nothing are two places or two topics."""
    match = _HEAD_RE.match(title)
    if not match or len(match.group(1).split()) > 4:
        return frozenset()
    return frozenset(t for t in _tokens(match.group(1)) if not (_is_number(t) or is_common(t)))


def _lede_names(text: str) -> frozenset[str]:
    """Tokens of the capitalised words of a summary that do not open a sentence ("Brian
    Driscoll", "CPME", "the alert level is Orange")."""
    names: set[str] = set()
    end = 0
    for m in _WORD_RE.finditer(text):
        word, start, previous_end, end = m.group(), m.start(), end, m.end()
        # Most words have no capital: nothing to look at (`islower` is False for "iPhone").
        if word.islower() or word[0].isdigit() or start == 0:
            continue
        if _SENTENCE_END_RE.search(text, previous_end, start):
            continue
        for part in _capitalised_parts(word):
            names.update(t for t in _tokens(part) if not _is_number(t))
    return frozenset(names)


def lede(summary: str) -> str:
    """The opening of a summary that takes part in matching (and is kept for each sighting)."""
    summary = " ".join(summary.split())
    if len(summary) <= LEDE_CHARS:
        return summary
    cut = summary[:LEDE_CHARS]
    space = cut.rfind(" ")
    return cut[:space] if space > LEDE_CHARS // 2 else cut


@dataclass(frozen=True, slots=True)
class MatchText:
    """What matching looks at in one entry or one stored representative of an item."""

    words: tuple[str, ...]  # tokens of the title, in order (at most TITLE_TOKENS)
    lede_words: tuple[str, ...]  # distinct tokens of the summary's opening, in order
    title: frozenset[str]  # `words` as a set
    lede: frozenset[str]  # `lede_words` as a set
    numbers: frozenset[str]  # numbers and codes of the title
    lede_numbers: frozenset[str]
    names: frozenset[str]  # tokens of the title's and the summary's capitalised words
    head: frozenset[str]  # tokens of the title's dateline or topic ("Pamiers. …", "Soudan : …")
    grams: frozenset[str]  # letter trigrams of the title's words ("Mursi" meets "Morsi")
    text: frozenset[str]  # `title` | `lede`
    content: frozenset[str]  # words of `text` that say what happened: no name, number, common word

    def encode(self) -> str:
        """A compact form for the store: fields by tab, tokens by space (neither is in a token)."""
        fields = (self.words, self.lede_words, sorted(self.names), sorted(self.head))
        return "\t".join(" ".join(field) for field in fields)

    @classmethod
    def decode(cls, encoded: str) -> MatchText:
        return _decode(encoded)


@lru_cache(maxsize=1024)  # an item's representatives come back entry after entry
def _decode(encoded: str) -> MatchText:
    words, lede_words, names, head = (tuple(f.split()) for f in encoded.split("\t"))
    return _match_text(words, lede_words, frozenset(names), frozenset(head))


def _match_text(
    words: tuple[str, ...],
    lede_words: tuple[str, ...],
    names: frozenset[str],
    head: frozenset[str],
) -> MatchText:
    title, lede_set = frozenset(words), frozenset(lede_words)
    joined = " ".join(words)
    text = title | lede_set
    common = common_tokens()
    return MatchText(
        words=words,
        lede_words=lede_words,
        title=title,
        lede=lede_set,
        numbers=frozenset(filter(_is_number, title)),
        lede_numbers=frozenset(filter(_is_number, lede_set)),
        names=names,
        head=head,
        grams=frozenset(joined[i : i + 3] for i in range(len(joined) - 2)),
        text=text,
        content=frozenset(t for t in text - names if not (t in common or _HAS_DIGIT_RE.search(t))),
    )


def match_text(title: str, summary: str) -> MatchText:
    """The matching form of an entry: its title and the opening of its summary."""
    clean, opening = strip_kicker(title), lede(summary)
    lede_words = tuple(dict.fromkeys(_tokens(opening)))[:LEDE_TOKENS]
    names = _names(clean) | (_lede_names(opening) & frozenset(lede_words))
    return _match_text(_tokens(clean)[:TITLE_TOKENS], lede_words, names, _head(clean))


# --- 2. weights -----------------------------------------------------------------------------


@cache
def prior() -> tuple[int, dict[str, int]]:
    """(documents, document frequency by token) of the prior: `watchcli/data/idf_prior.tsv`."""
    docs, counts = 0, {}
    text = resources.files("watchcli").joinpath("data/idf_prior.tsv").read_text("utf-8")
    for line in text.splitlines():
        if line.startswith("#"):
            if line.startswith("# documents:"):
                docs = int(line.split(":")[1])
            continue
        token, _, count = line.partition("\t")
        counts[token] = int(count)
    return docs, counts


@cache
def common_tokens() -> frozenset[str]:
    """The tokens so frequent in the prior (function words: "de", "the", "pour") that indexing
    them would only make long lists."""
    docs, counts = prior()
    return frozenset(t for t, n in counts.items() if n > COMMON_SHARE * docs)


def is_common(token: str) -> bool:
    """One of `common_tokens`: never indexed, never a content word."""
    return token in common_tokens()


class Weights:
    """IDF of tokens: the store's document frequencies over its recent `docs` items, blended
    with the prior's, which count as PRIOR_DOCS documents. A token nobody has seen weighs the
    most (`top`); one in every document, nothing.

    `load` gives the store's counts of tokens not asked before (one query for many); `add`
    counts an item created since, so that the run's own items weigh in as they come."""

    def __init__(
        self, docs: int = 0, load: Callable[[list[str]], Mapping[str, int]] | None = None
    ) -> None:
        prior_docs, prior_counts = prior()
        self._prior = {t: PRIOR_DOCS * n / prior_docs for t, n in prior_counts.items()}
        self._load = load or (lambda tokens: {})
        self._counts: dict[str, int] = {}
        self._weights: dict[str, float] = {}
        self.docs = docs
        self.top = math.log(docs + PRIOR_DOCS + 1)

    @classmethod
    def of_texts(cls, texts: Iterable[MatchText]) -> Weights:
        """The weights a store holding exactly `texts` would give (for tests and benches)."""
        counts: dict[str, int] = {}
        docs = 0
        for text in texts:
            docs += 1
            for token in text.text:
                counts[token] = counts.get(token, 0) + 1
        return cls(docs, lambda tokens: counts)

    def prefetch(self, tokens: Iterable[str]) -> None:
        """Ask the store at once for the counts of the tokens about to be weighed."""
        missing = [t for t in set(tokens) if t not in self._counts]
        if missing:
            found = self._load(missing)
            for token in missing:
                self._counts[token] = found.get(token, 0)

    def __call__(self, token: str) -> float:
        weight = self._weights.get(token)
        if weight is None:
            self._weigh((token,))
            weight = self._weights[token]
        return weight

    def lookup(self, *texts: frozenset[str]) -> Callable[[str], float]:
        """The weight of any token of `texts`, as a plain dict lookup (matching weighs every
        token of two texts several times); valid until the next `add`."""
        known = self._weights
        for tokens in texts:
            if not known.keys() >= tokens:
                self._weigh(tokens - known.keys())
        return known.__getitem__

    def _weigh(self, tokens: Iterable[str]) -> None:
        tokens = set(tokens)
        counts, prior, top, log = self._counts, self._prior, self.top, math.log
        if not counts.keys() >= tokens:
            self.prefetch(tokens)
        self._weights.update(
            (t, 0.0 if is_date(t) else top - log(counts[t] + prior.get(t, 0.0) + 1)) for t in tokens
        )

    def add(self, tokens: Iterable[str]) -> None:
        """One more item holds these tokens."""
        self.prefetch(tokens)
        for token in set(tokens):
            self._counts[token] += 1
        self.docs += 1
        self.top = math.log(self.docs + PRIOR_DOCS + 1)
        self._weights.clear()


def index_tokens(text: MatchText) -> tuple[str, ...]:
    """The tokens an item representative is filed under: its title's and its lede's first,
    except the commonest words. Sorted, so the same text always gives the same rows."""
    return tuple(
        sorted(t for t in text.title.union(text.lede_words[:LEDE_INDEX_TOKENS]) if not is_common(t))
    )


def query_tokens(text: MatchText, weights: Weights) -> tuple[str, ...]:
    """The tokens an entry looks up: its QUERY_TOKENS rarest indexed tokens, rarest first
    (ties by the token itself, so the same entry always asks the same)."""
    weight = weights.lookup(text.text)
    ranked = sorted(index_tokens(text), key=lambda t: (-weight(t), t))
    return tuple(ranked[:QUERY_TOKENS])


def candidate_bounds(asked: int, top: float) -> tuple[int, float]:
    """From how many shared query tokens, or from what weight of one shared token, an item is
    worth comparing with an entry that asked `asked` tokens: two, or one rare enough."""
    return min(2, asked), RARE_ALONE * top


def is_candidate(shared: int, asked: int, rarest: float) -> bool:
    """`candidate_bounds` for an item sharing `shared` tokens, the rarest weighing `rarest`
    (over `top`)."""
    at_least, _ = candidate_bounds(asked, 1.0)
    return shared >= at_least or rarest >= RARE_ALONE


# --- 3. decision ----------------------------------------------------------------------------

FEATURES = (
    "title_sim",  # weighted Dice of the titles' tokens
    "lede_sim",  # weighted Dice of the summaries' openings (0 when one has none)
    "rare_told",  # how much of the RARE_WORDS rarest words of each title (by weight) the other
    # text tells, the lesser: what makes it this story ("Caen" in « Météo Caen : prévisions »)
    "shared_info",  # how much the titles share with the other text at all (weight, scaled)
    "names_apart",  # both name someone or somewhere, and no name of either is in the other
    # text (times `title_sim`: what looks alike and is about someone else is a template)
    "shared_number",  # the weight of the rarest number or code they share (a date says little)
    "same_source",  # the item already has a sighting from the entry's source
    "hours_apart",  # log-scaled, 1 at GAP_HOURS and beyond
    "no_lede",  # one of them has no summary
    "spelling_sim",  # Dice of the titles' letter trigrams: spellings, compounds, typos
)


# Which way each feature may speak: +1 only for a match, -1 only against, 0 either way. The
# fit keeps the signs, so that two features that go together cannot trade places.
DIRECTION = {
    "title_sim": +1,
    "lede_sim": +1,
    "rare_told": +1,
    "shared_info": +1,
    "names_apart": -1,
    "shared_number": +1,
    "same_source": -1,
    "hours_apart": -1,
    "no_lede": 0,
    "spelling_sim": +1,
}


@dataclass(frozen=True, slots=True)
class Features:
    values: tuple[float, ...]  # in the order of FEATURES

    def as_dict(self) -> dict[str, float]:
        return {name: round(v, 3) for name, v in zip(FEATURES, self.values, strict=True)}


@dataclass(frozen=True, slots=True)
class Verdict:
    probability: float  # that the two tell the same story; a match when >= the threshold
    reason: str | None = None  # why they can never be the same story, when they cannot
    features: Features | None = None


def number_conflict(a: frozenset[str], b: frozenset[str]) -> bool:
    """Each side has a number the other lacks: different facts ("2 000" vs "3 000" dead,
    "COP29" vs "COP30"). One side adding a number (a year, a date) is not a conflict; years
    are only compared with years."""
    years_a, years_b = {n for n in a if n[0] == "y"}, {n for n in b if n[0] == "y"}
    counts_a, counts_b = a - years_a, b - years_b
    return bool(years_a - years_b and years_b - years_a) or bool(
        counts_a - counts_b and counts_b - counts_a
    )


Weigh = Callable[[str], float]  # a token's weight: `Weights`, or its `lookup`


def _total(tokens: Iterable[str], weight: Weigh) -> float:
    return sum(map(weight, tokens))


def _dice(a: frozenset[str], b: frozenset[str], weight: Weigh) -> float:
    total = _total(a, weight) + _total(b, weight)
    return 2 * _total(a & b, weight) / total if total else 0.0


def _swapped(
    x: tuple[str, ...], y: tuple[str, ...], text_x: frozenset[str], text_y: frozenset[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The words of each sentence put in the other's place: what remains between their common
    start and common end when that is at most SWAP_WORDS a side, or, for sentences of one
    length, the words at the (at most SWAP_WORDS) places where they differ. Words the other
    text has elsewhere moved, they were not swapped. Linear in the sentences' lengths."""
    if x == y or not x or not y:
        return (), ()
    start = 0
    while start < min(len(x), len(y)) and x[start] == y[start]:
        start += 1
    end = 0
    while end < min(len(x), len(y)) - start and x[-1 - end] == y[-1 - end]:
        end += 1
    middle_x, middle_y = x[start : len(x) - end], y[start : len(y) - end]
    if len(middle_x) <= SWAP_WORDS and len(middle_y) <= SWAP_WORDS:
        only_x, only_y = middle_x, middle_y
    elif len(x) == len(y):
        places = [i for i in range(len(x)) if x[i] != y[i]]
        if len(places) > SWAP_WORDS:
            return (), ()
        only_x, only_y = tuple(x[i] for i in places), tuple(y[i] for i in places)
    else:
        return (), ()
    only_x = tuple(t for t in only_x if t not in text_y)
    only_y = tuple(t for t in only_y if t not in text_x)
    if len(only_x) == len(only_y) == 1 and _spelled_alike(only_x[0], only_y[0]):
        return (), ()  # a spelling ("Racheline" / "Rachline"), not another word
    return only_x, only_y


def _spelled_alike(x: str, y: str) -> bool:
    """Two spellings of one word: most of their letter pairs in common."""
    pairs_x = {x[i : i + 2] for i in range(len(x) - 1)}
    pairs_y = {y[i : i + 2] for i in range(len(y) - 1)}
    total = len(pairs_x) + len(pairs_y)
    return total > 0 and 2 * len(pairs_x & pairs_y) >= SPELLING * total


def facts_swapped(a: MatchText, b: MatchText, *, same_source: bool = False) -> bool:
    """The same title, or the same summary, with another fact in one place: a template telling
    another event, not a rewrite. A swap is another fact when the words swapped are names
    ("Météo Caen" / "Météo Paris", "flood alert in India" / "… in Bangladesh", "the alert
    level is Orange" / "… Green"), or when the source is the same (an outlet does not rewrite
    its own sentence with a synonym), or when the summaries swap the same words as the titles
    ("chargé·e de mission plaidoyer" / "… communication", in the title and in the summary).
    Another outlet swapping a common word for its synonym ("quits" / "resigns") is a rewrite."""
    title_x, title_y = _swapped(a.words, b.words, a.text, b.text)
    lede_x, lede_y = _swapped(a.lede_words, b.lede_words, a.text, b.text)
    for swap_x, swap_y in ((title_x, title_y), (lede_x, lede_y)):
        if not (swap_x and swap_y) or all(map(is_common, swap_x + swap_y)):
            continue
        if a.names.intersection(swap_x) and b.names.intersection(swap_y):
            return True
        if same_source:
            return True
    return bool(set(title_x) & set(lede_x) and set(title_y) & set(lede_y))


def _rare_told(title: frozenset[str], other: frozenset[str], weight: Weigh) -> float:
    """How much of the RARE_WORDS rarest words of a title (by weight) the other text tells."""
    rarest = sorted(title, key=lambda t: (-weight(t), t))[:RARE_WORDS]
    total = _total(rarest, weight)
    return _total((t for t in rarest if t in other), weight) / total if total else 0.0


def _time_apart(hours: float) -> float:
    return math.log1p(abs(hours)) / math.log1p(GAP_HOURS)


def features(
    a: MatchText,
    b: MatchText,
    weights: Weights,
    *,
    same_source: bool = False,
    hours_apart: float = 0.0,
) -> Features:
    """The evidence that `a` and `b` tell the same story, symmetric in `a` and `b`; every
    value is in [0, 1]. Linear in the texts' lengths: set operations and one weight a token."""
    top = weights.top
    text_a, text_b = a.text, b.text
    weight = weights.lookup(text_a, text_b)
    both_ledes = bool(a.lede and b.lede)
    title_sim = _dice(a.title, b.title, weight)
    shared = (a.title & text_b) | (b.title & text_a)
    numbers_a, numbers_b = a.numbers | a.lede_numbers, b.numbers | b.lede_numbers
    values = (
        title_sim,
        _dice(a.lede, b.lede, weight) if both_ledes else 0.0,
        min(_rare_told(a.title, text_b, weight), _rare_told(b.title, text_a, weight)),
        _total(shared, weight) / (SHARED_INFO * top),
        title_sim * bool(a.names and b.names and not a.names & text_b and not b.names & text_a),
        max(map(weight, numbers_a & numbers_b), default=0.0) / top,
        float(same_source),
        _time_apart(hours_apart),
        float(not both_ledes),
        2 * len(a.grams & b.grams) / ((len(a.grams) + len(b.grams)) or 1),
    )
    return Features(tuple(min(1.0, max(0.0, v)) for v in values))


# --- fitted by bench/dedupe_fit.py: do not edit by hand ---------------------------------------
# COEFFICIENTS-BEGIN
INTERCEPT = -6.5270
COEFFICIENTS = (
    +3.1718,  # title_sim
    +1.2313,  # lede_sim
    +0.5579,  # rare_told
    +9.5590,  # shared_info
    -1.8797,  # names_apart
    +1.6232,  # shared_number
    -2.6927,  # same_source
    -3.9518,  # hours_apart
    +2.5048,  # no_lede
    +1.4671,  # spelling_sim
)
DEFAULT_THRESHOLD = 0.950
# COEFFICIENTS-END


def coherent(verdicts: Iterable[Verdict], threshold: float) -> bool:
    """Whether an entry may join an item, given its verdicts against each of the item's
    representatives: none refuses it, and none is below COHERENCE × the threshold. An item is one
    story: an entry that matches one of its wordings but not the others is another story
    that happens to share words with one of them, and joining would chain stories."""
    return all(v.reason is None and v.probability >= COHERENCE * threshold for v in verdicts)


def ceiling(
    a: MatchText,
    b: MatchText,
    weights: Weights,
    *,
    same_source: bool = False,
    hours_apart: float = 0.0,
) -> float:
    """The highest probability `decide` could give `a` and `b`: the features that cost
    little (the weight the titles share, the source, the time apart, the summaries present)
    as they are, every other at the value that raises the probability most (1 for a positive
    coefficient, else 0). A pair whose ceiling is below the bar needs no verdict: most pairs
    the index proposes share common words only (on templated feeds, 96 % of them)."""
    if a.words == b.words and a.lede_words and a.lede_words == b.lede_words:
        return 1.0  # the same text, which `decide` takes whatever its words weigh
    shared = (a.title & b.text) | (b.title & a.text)
    known = {
        "shared_info": _total(shared, weights.lookup(shared)) / (SHARED_INFO * weights.top),
        "same_source": float(same_source),
        "hours_apart": _time_apart(hours_apart),
        "no_lede": float(not (a.lede and b.lede)),
    }
    return MODEL.probability(
        min(1.0, max(0.0, known[name])) if name in known else float(c > 0)
        for name, c in zip(FEATURES, MODEL.coefficients, strict=True)
    )


@dataclass(frozen=True)
class Model:
    """The fitted decision: P(same story) = σ(intercept + Σ coefficient × feature)."""

    intercept: float
    coefficients: tuple[float, ...]
    threshold: float  # a match from this probability up

    def probability(self, values: Iterable[float]) -> float:
        z = self.intercept + sum(c * v for c, v in zip(self.coefficients, values, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


MODEL = Model(INTERCEPT, COEFFICIENTS, DEFAULT_THRESHOLD)


# How `show` names each feature when it explains a match.
LABELS = {
    "title_sim": "titles alike",
    "lede_sim": "summaries alike",
    "rare_told": "rare words told",
    "shared_info": "words shared",
    "names_apart": "no name in common",
    "shared_number": "a number shared",
    "same_source": "same source",
    "hours_apart": "time apart",
    "no_lede": "titles only",
    "spelling_sim": "spellings alike",
}


def explain(features: Mapping[str, float], top: int = 4) -> str:
    """The `top` features that weighed most in a decision, with their values and which way
    they pushed: "+ words shared 0.92, + titles alike 0.71, − time apart 0.40"."""
    weighed = [
        (c * features[name], name)
        for name, c in zip(FEATURES, MODEL.coefficients, strict=True)
        if features.get(name)
    ]
    weighed.sort(key=lambda x: (-abs(x[0]), x[1]))
    return ", ".join(
        f"{'+' if push > 0 else '−'} {LABELS[name]} {features[name]:.2f}"
        for push, name in weighed[:top]
        if push
    )


def refusal(a: MatchText, b: MatchText, *, same_source: bool = False) -> str | None:
    """Why `a` and `b` can never be the same story, whatever their likeness: each of these is
    a fact that differs, not evidence to weigh. None when nothing forbids it."""
    if number_conflict(a.numbers, b.numbers):
        return "the titles' numbers differ"
    if facts_swapped(a, b, same_source=same_source):
        return "another name or key word in the same sentence"
    if a.head and b.head and not a.head & b.text and not b.head & a.text:
        return "each opens on a place or topic the other never mentions"
    if not a.content & b.content:
        return "they share names or numbers only, no word of what happened"
    return None


def decide(
    a: MatchText,
    b: MatchText,
    weights: Weights,
    *,
    same_source: bool = False,
    hours_apart: float = 0.0,
) -> Verdict:
    """How likely `a` and `b` tell the same story, or why they cannot."""
    reason = refusal(a, b, same_source=same_source)
    if reason is not None:
        return Verdict(0.0, reason)
    found = features(a, b, weights, same_source=same_source, hours_apart=hours_apart)
    if a.words == b.words and a.lede_words and a.lede_words == b.lede_words:
        return Verdict(1.0, None, found)  # the same text: relayed, whatever its words weigh
    return Verdict(MODEL.probability(found.values), None, found)
