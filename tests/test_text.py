"""text.py: hostile text made plain, HTML made text, folding for search."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchcli import text
from watchcli.text import clean_text, fold, html_to_text, looks_like_html, truncate

ESC = "\x1b"

# Text with a bias towards what hurts: escapes, controls, bidi, markup, combining marks.
_NASTY = (
    "<>/&;#[]=\"' abpé\n\t\r\x1b\x9b\x9d\x9c\x07\x00\x7f\x85\u0301\u00a0"
    "\u202e\u2066\u200b\u200d\ufeff\u2029\U000e0041"
)
hostile_text = st.text(st.sampled_from(_NASTY), max_size=80) | st.text(max_size=80)


def assert_terminal_safe(s: str) -> None:
    for ch in s:
        assert ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cs"), repr(s)
        assert unicodedata.category(ch) != "Cf" or ch in "\u200c\u200d", repr(s)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f"{ESC}[31mrouge{ESC}[0m", "rouge"),
        (f"{ESC}[1;38;5;196mgras{ESC}[m", "gras"),
        (f"{ESC}[2J{ESC}[Hécran", "écran"),
        (f"{ESC}]0;titre volé\x07texte", "texte"),
        (f"{ESC}]8;;https://evil.example/{ESC}\\lien{ESC}]8;;{ESC}\\", "lien"),
        (f"avant{ESC}]52;c;Y29weQ==", "avant"),  # unterminated OSC: swallowed to the end
        (f"{ESC}P1$r0m{ESC}\\après", "après"),  # DCS
        (f"{ESC}creset {ESC}(Bjeu", "reset jeu"),
        ("\x9b31mC1\x9b0m", "C1"),  # 8-bit CSI
        ("\x9d0;osc\x9cfin", "fin"),  # 8-bit OSC ... ST
        ("nul\x00 bell\x07 back\x08space del\x7f", "nul bell backspace del"),
        ("ligne\x85suivante", "ligne suivante"),  # NEL is a line break
        ("a\x1fb", "a b"),
        ("facture \u202egpj.exe\u202c", "facture gpj.exe"),
        ("\u2066isolé\u2069 \u200fRLM\u200e", "isolé RLM"),
        ("zéro\u200bchasse \ufeffBOM mot\u00adcoupé", "zérochasse BOM motcoupé"),
        ("tag\U000e0041\U000e007f", "tag"),
        ("👩\u200d💻 développeuse", "👩\u200d💻 développeuse"),  # ZWJ sequences survive
        (
            "[bold red]x[/] [link=file:///etc/passwd]y[/link]",
            "[bold red]x[/] [link=file:///etc/passwd]y[/link]",
        ),
        ("  plusieurs \t espaces\n\net lignes  ", "plusieurs espaces et lignes"),
        ("e\u0301te\u0301", "été"),
        ("e\u200b\u0301", "é"),  # NFC after removal
        ("10\u00a0000\u202f€ « guillemets\u202f»", "10\u00a0000\u202f€ « guillemets\u202f»"),
        ("deux\u00a0\u00a0insécables", "deux insécables"),
        ("", ""),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("un\ndeux\n\ntrois", "un deux\n\ntrois"),
        ("a\r\n\r\nb\r\nc", "a\n\nb c"),
        ("  a  \n \t \n\n\n  b  ", "a\n\nb"),
        ("par\u2029graphe", "par\n\ngraphe"),
        ("\n\n\n", ""),
        (f"{ESC}[31mrouge\n\n{ESC}[0mvert", "rouge\n\nvert"),
    ],
)
def test_clean_text_multiline(raw: str, expected: str) -> None:
    assert clean_text(raw, multiline=True) == expected


@given(hostile_text)
def test_clean_text_is_idempotent_and_terminal_safe(s: str) -> None:
    once = clean_text(s)
    assert clean_text(once) == once
    assert "\n" not in once
    assert_terminal_safe(once)
    paragraphs = clean_text(s, multiline=True)
    assert clean_text(paragraphs, multiline=True) == paragraphs
    assert_terminal_safe(paragraphs)
    assert ESC not in once + paragraphs


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>Bonjour</p><p>le <b>monde</b></p>", "Bonjour\n\nle monde"),
        ("<script>alert(1)</script>visible<style>p{}</style>", "visible"),
        ("<template><p>modèle</p></template><noscript>caché</noscript>texte", "texte"),
        ("<SCRIPT type=text/javascript>x()</SCRIPT>reste", "reste"),
        ('<img src=x onerror="alert(1)">image<a href="javascript:x()">lien</a>', "imagelien"),
        (
            "<ul><li>un<ul><li>deux</li><li>trois</li></ul></li><li>quatre</li></ul>",
            "un\n\ndeux\n\ntrois\n\nquatre",
        ),
        ("<ol><li>a</li><li>b</li></ol>après", "a\n\nb\n\naprès"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><th>c</th></tr></table>", "a b\n\nc"),
        ("ligne<br>suite<br/><br />paragraphe", "ligne suite\n\nparagraphe"),
        ("<h2>Titre</h2>texte<blockquote>citation</blockquote>", "Titre\n\ntexte\n\ncitation"),
        # entities, named and numeric
        ("&eacute;t&eacute; &#233; &#xE9; &rsquo;&nbsp;&laquo;x&raquo;", "été é é ’\u00a0«x»"),
        ("AT&amp;T &lt;3", "AT&T <3"),
        ("a < b et c > d", "a < b et c > d"),
        ("R&D, P&G et Cie", "R&D, P&G et Cie"),
        # escaped once too many: the whole fragment is escaped markup
        ("&lt;p&gt;Bonjour &lt;b&gt;à tous&lt;/b&gt;&lt;/p&gt;", "Bonjour à tous"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;texte", "texte"),
        ("d&amp;eacute;j&amp;agrave; &amp;#8217;", "déjà ’"),
        (
            "Digital Adoption &amp;amp;amp;amp;amp;amp;amp; Communications",
            "Digital Adoption & Communications",
        ),
        # broken markup
        ("<p>pas fermé <b>gras", "pas fermé gras"),
        ("<div><p>imbriqué</div></p>fin", "imbriqué\n\nfin"),
        ('texte coupé <a href="https://exemple.org/lo', "texte coupé"),
        ("</p></div>orphelins", "orphelins"),
        ("<![CDATA[dans un CDATA]]>", "dans un CDATA"),
        ("<!-- commentaire -->visible<!-- ouvert", "visible"),
        ("<p>avant</p><![foo[x]]><p>après</p>", "avant\n\naprès"),
        ("<![if !supportLists]>-<![endif]>Word", "-Word"),
        ("<![ ]><![cdata-x[y]]>z", "z"),
        ("<?php echo 1 ?>après", "après"),
        ("<!DOCTYPE html><html><head><title>T</title></head><body>Corps</body></html>", "Corps"),
        (f"<p>{ESC}[31mrouge</p>", "rouge"),
        ("<p>&#27;[31m &#x9b;</p>", "[31m ›"),  # HTML maps these references itself
        ("", ""),
    ],
)
def test_html_to_text(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


def test_html_to_text_leaves_literal_markup_of_text_nodes_alone_when_there_are_elements() -> None:
    # Real elements around an escaped tag: the author meant to show the tag.
    assert html_to_text("<p>la balise &lt;p&gt;</p>") == "la balise <p>"


@given(hostile_text)
def test_html_to_text_never_raises_and_is_clean(s: str) -> None:
    text = html_to_text(s)
    assert clean_text(text, multiline=True) == text
    assert_terminal_safe(text)


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        ("<b>x</b>", True),
        ("a &amp; b", True),
        ("</p>", True),
        ("<!-- c -->", True),
        ("1 < 2", False),
        ("AT&T", False),
        ("[bold]x[/bold]", False),
    ],
)
def test_looks_like_html(s: str, expected: bool) -> None:
    assert looks_like_html(s) is expected


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        ("Solidarité Œuvre", "solidarite oeuvre"),
        ("SOLIDARITÉ INTERNATIONALE", "solidarite internationale"),
        ("L’été d’Ægée", "l'ete d'aegee"),
        ("Straße", "strasse"),
        ("« Éducation » – “ECSI” — ‘x’", '" education " - "ecsi" - \'x\''),
        ("ﬁnancement", "financement"),
        ("10\u00a0000\u202f€", "10 000 €"),
        ("  Cœur   de\tville ", "coeur de ville"),
        ("Łódź Ørsted", "lodz orsted"),
        ("İstanbul", "istanbul"),
    ],
)
def test_fold(s: str, expected: str) -> None:
    assert fold(s) == expected


def test_fold_matches_accented_and_plain_search() -> None:
    assert fold("solidarite") in fold("Semaine de la Solidarité internationale")


@given(st.text(max_size=60))
def test_fold_is_idempotent(s: str) -> None:
    assert fold(fold(s)) == fold(s)


@pytest.mark.parametrize(
    ("s", "n", "expected"),
    [
        ("court", 10, "court"),
        ("un deux trois quatre cinq", 15, "un deux trois…"),
        ("anticonstitutionnellement", 10, "anticonst…"),
        ("mots, avec ponctuation finale", 12, "mots, avec…"),
        ("abc", 1, "…"),
        ("abc", 0, ""),
    ],
)
def test_truncate(s: str, n: int, expected: str) -> None:
    assert truncate(s, n) == expected


@given(st.text(max_size=200), st.integers(min_value=0, max_value=150))
def test_truncate_never_exceeds_n(s: str, n: int) -> None:
    assert len(truncate(s, n)) <= n


# --- the fast paths of clean_text against the plain definitions they replace ---------------


def _strip_invisible_by_character(s: str) -> str:
    """The definition: every character looked at by its Unicode category."""
    s = text._ESCAPE_RE.sub("", s)
    s = text._NEWLINE_RE.sub(lambda m: text._NEWLINES[m.group()], s)
    out = []
    for ch in s:
        cat = unicodedata.category(ch)
        if cat == "Cc":
            if ch in "\t\n":
                out.append(ch)
            elif "\x1c" <= ch <= "\x1f":
                out.append(" ")
        elif cat == "Cf":
            if ch in "\u200c\u200d":
                out.append(ch)
        elif cat != "Cs":
            out.append(ch)
    return "".join(out)


def _collapse_by_run(s: str) -> str:
    """The definition: each run of whitespace, unless one lone (narrow) no-break space."""
    return re.sub(r"\s+", lambda m: m.group() if m.group() in "\u00a0\u202f" else " ", s).strip()


def test_every_control_format_and_surrogate_character_is_a_suspect() -> None:
    missed = [
        f"U+{cp:04X}"
        for cp in range(0x110000)
        if unicodedata.category(chr(cp)) in ("Cc", "Cf", "Cs")
        and chr(cp) not in "\t\n"
        and not text._SUSPECT_RE.match(chr(cp))
    ]
    assert not missed, f"add to text._SUSPECT_RE: {missed}"


_TRICKY = st.sampled_from(
    list("\t\n\r\x0b\x0c\x1c\x1f\x1b\x7f\x85\x9b\xa0\xad\u200b\u200c\u200d\u202e\u2028\u2029")
    + list("\u202f\u3000\u2003\ufeff\ud800\U000e0041 a[]")
)


@given(st.text(st.one_of(st.characters(), _TRICKY), max_size=80))
def test_strip_invisible_is_its_definition(s: str) -> None:
    assert text._strip_invisible(s) == _strip_invisible_by_character(s)


@given(st.text(st.one_of(st.characters(), _TRICKY), max_size=80))
def test_collapse_line_is_its_definition(s: str) -> None:
    assert text._collapse_line(s) == _collapse_by_run(s)


# Pieces of real-world HTML fragments, recombined: tags that make blocks, cells and breaks,
# skipped elements, comments, marked sections, references (escaped once too often, too),
# whitespace runs and paragraph breaks, and text with and without accents.
_HTML_PIECES = st.sampled_from(
    (
        *("<p>", "</p>", "<div class='x'>", "</div>", "<br>", "<br/>", "<td>", "</td>", "<li>"),
        *("<script>var a = '<p>';</script>", "<style>p{}</style>", "<!-- note -->", "<![if x]>"),
        *("&amp;", "&eacute;", "&amp;eacute;", "&#233;", "&lt;p&gt;", "&nbsp;", "&", "<", ">"),
        *(" ", "  \n\t ", "\n\n", "\u00a0", "Solidarité ", "internationale, ", "l’ECSI. "),
        *("mot ", "x", "<a href='https://e.org/?a=1&b=2'>", "</a>", "<img src=x>", "\x1b[31m"),
    )
)


# Text that shrinks a lot once cleaned (whitespace runs, references escaped twice: 12
# characters for one letter), so that a partly read text may still be short of the limit.
_SHRINKING_PIECES = st.sampled_from(
    ("<p>", "</p>", "<br>", " " * 30, "\n\n\t  \n", "&amp;eacute;", "&amp;amp;", "é ", "mot ")
)


@given(
    st.one_of(
        st.lists(_HTML_PIECES, max_size=120).map("".join),
        st.lists(_SHRINKING_PIECES, max_size=200).map("".join),
    ),
    st.integers(min_value=8, max_value=200),
    st.integers(min_value=1, max_value=64),
)
def test_reading_only_the_opening_gives_the_same_truncated_text(
    html: str, enough: int, chunk: int
) -> None:
    """`html_to_text(…, enough=n)` may stop reading early (normalize_entry keeps 4,000
    characters of a summary): truncated to `n`, its text is the whole text's, wherever the
    chunks fall (real chunks are 8 KiB: small ones here put every boundary to the test)."""
    whole = html_to_text(html)
    saved = text._READ_CHUNK
    text._READ_CHUNK = chunk
    try:
        opening = html_to_text(html, enough=enough)
    finally:
        text._READ_CHUNK = saved
    assert truncate(opening, enough) == truncate(whole, enough)
    assert opening == whole or len(opening) > enough


def test_a_long_article_is_read_only_to_its_opening() -> None:
    """A full-text feed's article: the text of its first chunks is enough for the summary."""
    paragraph = "<p>" + "Un paragraphe de l'article, assez long pour compter. " * 20 + "</p>"
    html = paragraph * 400  # about 400 KiB
    assert len(html) > 20 * text._READ_CHUNK
    opening = html_to_text(html, enough=4000)
    assert 4000 < len(opening) < 5 * text._READ_CHUNK
    assert truncate(opening, 4000) == truncate(html_to_text(html), 4000)
