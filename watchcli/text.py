"""Plain text out of hostile feed text. Pure: no I/O, no logging.

Invariants of `clean_text` (and so of `html_to_text`, which ends with it):

- the result is NFC and holds no C0/C1 control character, no ESC, no terminal escape sequence
  (CSI, OSC, DCS… in 7-bit or 8-bit form), no bidi override/isolate and no invisible format
  character that could reorder or hide what a terminal shows;
- whitespace is collapsed: one line, or with `multiline=True` paragraphs separated by "\\n\\n";
- it is idempotent: `clean_text(clean_text(s)) == clean_text(s)`.

Rich markup such as "[bold]x[/]" is plain text here and is left untouched: whoever renders feed
text must print it literally (SPEC §7).
"""

from __future__ import annotations

import re
import unicodedata
from html import unescape
from html.parser import HTMLParser

__all__ = ["clean_text", "fold", "html_to_text", "looks_like_html", "truncate"]

ELLIPSIS = "…"

# Terminal escape sequences, 7-bit (ESC …) and 8-bit (C1) forms. String sequences (OSC, DCS,
# SOS, PM, APC) run to BEL or ST; an unterminated one is removed to the end of the text, as a
# terminal would swallow it.
_ESCAPE_RE = re.compile(
    r"""
      \x1b\[ [0-?]* [ -/]* [@-~]?                     # CSI
    | \x9b [0-?]* [ -/]* [@-~]?                       # 8-bit CSI
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])         # OSC, DCS, SOS, PM, APC
      [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)?          #   … to BEL or ST
    | \x1b [ -/]* [0-~]?                              # any other ESC sequence (ESC 7, ESC ( B…)
    """,
    re.VERBOSE,
)

# Line breaks become "\n" before whitespace is collapsed; U+2029 is a paragraph break.
_NEWLINES = {"\r\n": "\n", "\r": "\n", "\v": "\n", "\f": "\n", "\x85": "\n", "\u2028": "\n"}
_NEWLINE_RE = re.compile("|".join(map(re.escape, _NEWLINES)))

# Format characters (category Cf) that are harmless and meaningful in real text: ZWNJ and ZWJ
# (Persian, Indic scripts, emoji sequences). Every other Cf goes: bidi embeddings, overrides and
# isolates, LRM/RLM/ALM, zero-width space, word joiner, soft hyphen, BOM, tag characters...
_KEPT_FORMAT = frozenset("\u200c\u200d")

_PARAGRAPH_RE = re.compile(r"\n\s*\n|\u2029")


# Every character `_strip_invisible` may drop or change: the control (Cc), format (Cf) and
# surrogate (Cs) code points, with margins for the Cf characters later Unicode versions add,
# except tab and newline, which stay. `_drop_invisible` decides each one by its category, so
# the class only has to cover them all (tests/test_text.py checks it on this Python's Unicode);
# text without any such character, nearly all of it, is never looked at character by
# character.
_SUSPECT_RE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891"
    "\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ud800-\udfff\ufeff"
    "\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


def _drop_invisible(m: re.Match[str]) -> str:
    ch = m.group()
    cat = unicodedata.category(ch)
    if cat == "Cc":  # tab and newline are not suspects
        return " " if "\x1c" <= ch <= "\x1f" else ""  # information separators part words
    if cat == "Cf":
        return ch if ch in _KEPT_FORMAT else ""
    return "" if cat == "Cs" else ch  # lone surrogates cannot be encoded anywhere


def _strip_invisible(s: str) -> str:
    """Drop escape sequences, control and format characters; keep whitespace controls."""
    s = _ESCAPE_RE.sub("", s)
    s = _NEWLINE_RE.sub(lambda m: _NEWLINES[m.group()], s)
    return _SUSPECT_RE.sub(_drop_invisible, s)


# A single no-break space (or the narrow one French typography puts before ; : ! ? and inside
# « ») is kept as it is; any other run of whitespace becomes one plain space. This matches the
# runs to replace: all but a lone plain, no-break or narrow no-break space.
_SPACE_RUN_RE = re.compile(r"[^\S \u00a0\u202f]\s*| \s+|[\u00a0\u202f]\s+")


def _collapse_line(s: str) -> str:
    return _SPACE_RUN_RE.sub(" ", s).strip()


def clean_text(s: str, *, multiline: bool = False) -> str:
    """Make feed text safe and tidy for a terminal; see the module docstring."""
    if not s:
        return ""
    # NFC after removing invisible characters: removing one between a base letter and a
    # combining mark must not leave a non-NFC result (idempotence).
    s = unicodedata.normalize("NFC", _strip_invisible(s))
    if not multiline:
        return _collapse_line(s)
    paragraphs = (_collapse_line(p) for p in _PARAGRAPH_RE.split(s))
    return "\n\n".join(p for p in paragraphs if p)


# --- HTML -----------------------------------------------------------------------------------

# Elements whose content is never text for a reader.
_SKIPPED = frozenset(
    {"script", "style", "template", "noscript", "head", "title", "iframe", "object", "svg"}
    | {"math", "select", "textarea", "button"}
)
_BLOCKS = frozenset(
    {"address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details"}
    | {"dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "hr"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "header", "html", "legend", "li", "main", "nav", "ol"}
    | {"p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul"}
)
_CELLS = frozenset({"td", "th"})

# What escaped markup looks like once unescaped: a tag that only HTML would use.
_TAG_RE = re.compile(
    r"</?(?:a|abbr|b|blockquote|br|div|em|h[1-6]|hr|i|iframe|img|li|ol|p|pre|script|span|"
    r"strong|style|sub|sup|table|td|th|tr|u|ul)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
# A character reference with its semicolon: what escaping once too often leaves in the text.
_ENTITY_RE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
_MARKUP_RE = re.compile(r"<[A-Za-z/!?]|" + _ENTITY_RE.pattern)
_CUT_TAG_RE = re.compile(r"<(?:[A-Za-z][A-Za-z0-9]*[\s/]|/|!)")
# html.parser raises on a marked section it does not know ("<![foo[...]]>", Word's "<![if...>"
# are fine) and loses the rest of the fragment; a browser reads it as a bogus comment, as
# html.parser does once the "[" is out of the way.
_BAD_MARKED_SECTION_RE = re.compile(
    r"<!\[(?!(?:cdata|temp|ignore|include|rcdata|if|else|endif)(?![-_.a-z0-9]))", re.IGNORECASE
)
_MAX_UNESCAPE_ROUNDS = 32  # feeds have been seen escaping "&" seventeen times over
_READ_CHUNK = 8192  # HTML read at a time when only the opening of its text is wanted
_STABLE_TAIL = 64  # characters at the end of a partly read text that the rest may change


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, with paragraph breaks between blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.elements = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements += 1
        if tag in _SKIPPED:
            self.skip_depth += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag in _CELLS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <p/>...: a start tag with nothing inside; never opens a skipped element.
        self.elements += 1
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag in _CELLS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data)

    def unknown_decl(self, data: str) -> None:
        # CDATA sections survive in feeds whose HTML was escaped around them: keep the text.
        if data.startswith("CDATA["):
            self.handle_data(data[6:])


def _extract(html: str, enough: int | None = None) -> tuple[str, int, bool]:
    """The text of `html`, how many elements it held, and whether all of it was read: with
    `enough`, reading stops at the first chunk after which the text holds an element and more
    than twice `enough` characters (whitespace still uncollapsed)."""
    parser = _TextExtractor()
    html = _BAD_MARKED_SECTION_RE.sub("<!_[", html)
    step = _READ_CHUNK if enough is not None else max(1, len(html))
    try:
        for start in range(0, len(html), step):
            parser.feed(html[start : start + step])
            partly = enough is not None and start + step < len(html)
            if partly and parser.elements and sum(map(len, parser.parts)) > 2 * enough:
                return "".join(parser.parts), parser.elements, False
        # A tag cut off by a feed that truncates its HTML ("voir <a href="https://ex") would
        # otherwise come out as text.
        if _CUT_TAG_RE.match(parser.rawdata):
            parser.rawdata = ""
        parser.close()
    except AssertionError:  # _markupbase's last resort on broken declarations: keep the text so far
        pass
    return "".join(parser.parts), parser.elements, True


def looks_like_html(s: str) -> bool:
    """True when `s` holds something an HTML parser would change: a tag or a character reference."""
    return bool(_MARKUP_RE.search(s))


def html_to_text(html: str, *, enough: int | None = None) -> str:
    """Plain text of an HTML fragment, paragraphs separated by "\\n\\n". Never raises.

    Script, style, template and similar contents are dropped; block elements separate text.
    Feeds often escape their HTML once too many times, so two repairs follow the real parse:

    - when the fragment held no element at all and its text is escaped markup
      ("&lt;p&gt;Bonjour&lt;/p&gt;"), that text is parsed once more;
    - character references still present in the text ("d&amp;eacute;j&amp;agrave;" gives
      "d&eacute;j&agrave;") are unescaped until none is left.

    The price is that a text really about HTML ("use the &lt;p&gt; tag") loses its examples;
    for news that is the better trade.

    With `enough`, for a caller that keeps only the opening of the text (`truncate(text,
    enough)`): reading may stop once the text is surely longer than that, and the text
    returned then starts with the first `enough` characters of the whole text. A full-text
    feed's 30 KiB articles are read to their first few KiB, not to the end.
    """
    if not html:
        return ""
    text, elements, whole = _extract(html, enough)
    if not whole:
        assert enough is not None
        opening = _plain(text)
        # Only the end of a partly read text can still change (a whitespace run, a reference
        # or a paragraph cut at the edge): past its last _STABLE_TAIL characters it is final.
        if len(opening) > enough + _STABLE_TAIL:
            return opening
        text, elements, _ = _extract(html)
    if not elements and _TAG_RE.search(text):
        text, _, _ = _extract(text)
    return _plain(text)


def _plain(text: str) -> str:
    """Extracted text with its leftover character references unescaped, then cleaned."""
    for _ in range(_MAX_UNESCAPE_ROUNDS):
        unescaped = _ENTITY_RE.sub(lambda m: unescape(m.group()), text)
        if unescaped == text:
            break
        text = unescaped
    return clean_text(text, multiline=True)


# --- Matching -------------------------------------------------------------------------------

# Letters NFKD does not decompose, and the many apostrophes, quotes and dashes of real text.
_FOLD_TABLE = str.maketrans(
    {"œ": "oe", "æ": "ae", "ß": "ss", "þ": "th"}
    | dict(zip("øłđðıĸ", "olddik", strict=True))
    | dict.fromkeys("‘’‚‛′ʼ`´‹›", "'")
    | dict.fromkeys("“”„‟″«»", '"')
    | dict.fromkeys("‐‑‒–—―−⁃", "-")
)


def fold(s: str) -> str:
    """Accent- and case-folded form for matching and search: `fold("Œuvre Élan") == "oeuvre elan"`.

    Apostrophes, quotes and dashes are unified (’ → ', « » “ ” → ", – — → -) and whitespace
    collapsed to single spaces.
    """
    s = unicodedata.normalize("NFKD", s.casefold())
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).translate(_FOLD_TABLE)
    # casefold again: the table and NFKD can produce letters that fold further (rarely).
    s = unicodedata.normalize("NFKD", s.casefold())
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return " ".join(s.split())


def truncate(s: str, n: int) -> str:
    """`s` cut to at most `n` characters, at a word boundary when one is near, ending in "…"."""
    if len(s) <= n:
        return s
    if n <= 1:
        return ELLIPSIS[:n]
    cut = s[: n - 1]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= n // 2:  # a boundary in the second half: cut there rather than mid-word
        cut = cut[:space]
    return cut.rstrip(" \n\u00a0\u202f,;:-–—") + ELLIPSIS
