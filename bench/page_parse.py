"""What does an HTML parser with CSS selectors cost a page source? Import time and parse speed.

    python bench/page_parse.py [--rounds 20]

Builds a page in the shape of a French institutional site (a DSFR card grid of 40 calls for
projects inside a large menu, inline scripts and styles, a long footer: about 114 KB), then
times, each parser that is installed: importing it (in a fresh interpreter, median of 5), and
parsing the page and selecting the 40 cards' title, link and date (median of `--rounds`).
selectolax is watchcli's dependency; lxml+cssselect and BeautifulSoup4 (+soupsieve, on
html.parser and on lxml) are measured when present, for the choice noted in pyproject.toml.
Last, `watchcli.page.read_page`: the parse plus what a fetch adds (cleaning, canonical URLs,
dates).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watchcli.config import PageSelectors, Pick
from watchcli.page import read_page

CARDS = 40


def make_page() -> bytes:
    menu = "".join(
        f'<li class="fr-nav__item"><a href="/rubrique/{i}">Rubrique {i} — solidarité</a><ul>'
        + "".join(f'<li><a href="/r/{i}/{j}">Sous-rubrique {j}</a></li>' for j in range(8))
        + "</ul></li>"
        for i in range(25)
    )
    script = "<script>" + "var x = {a: 1, b: '<div class=\"fr-card\">'};" * 400 + "</script>"
    style = "<style>" + ".c{color:red}" * 2000 + "</style>"
    lede = "Dans le cadre de sa politique de coopération, la Région soutient les associations. "
    cards = "".join(
        f"""<div class="fr-col-12 fr-col-md-4"><div class="fr-card fr-enlarge-link">
<div class="fr-card__body"><div class="fr-card__content">
<h3 class="fr-card__title"><a href="/aides/appel-a-projets-{i}">Appel à projets n°{i} :
coopération décentralisée et solidarité internationale</a></h3>
<p class="fr-card__desc">{lede * 3}</p>
<div class="fr-card__end"><p class="fr-card__detail">Publié le {i % 28 + 1} novembre 2026</p>
</div></div></div><div class="fr-card__header"><img src="/img/{i}.jpg" alt=""></div>
</div></div>"""
        for i in range(CARDS)
    )
    footer = "<footer>" + "".join(f'<a href="/f/{i}">Lien {i}</a>' for i in range(300))
    html = (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Appels</title>'
        f"{style}{script}</head><body><header><nav><ul>{menu}</ul></nav></header><main>"
        f'<div class="fr-grid-row">{cards}</div></main>{footer}</footer>{script}</body></html>'
    )
    return html.encode()


def with_selectolax() -> Callable[[str], list]:
    from selectolax.lexbor import LexborHTMLParser

    def run(html: str) -> list:
        out = []
        for card in LexborHTMLParser(html).css("div.fr-card"):
            a, d = card.css_first("h3 a"), card.css_first("p.fr-card__detail")
            out.append((a.text(), a.attributes.get("href"), d.text()))
        return out

    return run


def with_lxml() -> Callable[[str], list]:
    import lxml.html
    from lxml.cssselect import CSSSelector

    item, title, date = (
        CSSSelector("div.fr-card"),
        CSSSelector("h3 a"),
        CSSSelector("p.fr-card__detail"),
    )

    def run(html: str) -> list:
        out = []
        for card in item(lxml.html.document_fromstring(html)):
            a, d = title(card)[0], date(card)[0]
            out.append((a.text_content(), a.get("href"), d.text_content()))
        return out

    return run


def with_bs4(builder: str) -> Callable[[], Callable[[str], list]]:
    def make() -> Callable[[str], list]:
        from bs4 import BeautifulSoup

        def run(html: str) -> list:
            out = []
            for card in BeautifulSoup(html, builder).select("div.fr-card"):
                a, d = card.select_one("h3 a"), card.select_one("p.fr-card__detail")
                out.append((a.get_text(), a.get("href"), d.get_text()))
            return out

        return run

    return make


PARSERS = {
    "selectolax (lexbor)": (("selectolax",), "import selectolax.lexbor", with_selectolax),
    "lxml + cssselect": (("lxml", "cssselect"), "import lxml.html, lxml.cssselect", with_lxml),
    "bs4 + soupsieve (html.parser)": (("bs4",), "import bs4", with_bs4("html.parser")),
    "bs4 + soupsieve (lxml)": (("bs4", "lxml"), "import bs4, lxml", with_bs4("lxml")),
}


def import_ms(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
        for _ in range(5)
    ]
    return statistics.median(runs) * 1000


def median_ms(rounds: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    body = make_page()
    html = body.decode()
    print(f"page: {len(body) / 1000:.0f} KB, {CARDS} cards; medians")
    for name, (modules, statement, make) in PARSERS.items():
        if not all(importlib.util.find_spec(m) for m in modules):
            print(f"{name:32} not installed")
            continue
        run = make()
        assert len(run(html)) == CARDS
        took = median_ms(rounds, lambda run=run: run(html))
        print(f"{name:32} import {import_ms(statement):5.1f} ms   parse+select {took:6.2f} ms")
    selectors = PageSelectors(
        item="div.fr-card",
        title=Pick(".fr-card__title"),
        link=Pick("a", "href"),
        date=Pick(".fr-card__detail"),
        summary=Pick(".fr-card__desc"),
    )
    now = datetime.now(UTC)
    url = "https://www.region.example/aides/"
    content = read_page(body, "text/html", url, now, selectors)
    assert len(content.entries) == CARDS, content.problem
    took = median_ms(rounds, lambda: read_page(body, "text/html", url, now, selectors))
    print(f"{'watchcli.page.read_page':32} {'':16} whole entries   {took:6.2f} ms")


if __name__ == "__main__":
    main()
