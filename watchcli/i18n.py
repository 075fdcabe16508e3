"""Translations: gettext catalogues in `watchcli/locale/`, extracted and compiled by Babel
(README, "The triage screen"). The language follows the environment as gettext reads it
(`LANGUAGE`, `LC_ALL`, `LC_MESSAGES`, `LANG`): French under `LANG=fr_FR.UTF-8`, English
(the source strings) otherwise."""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from pathlib import Path

DOMAIN = "watchcli"
LOCALE_DIR = Path(__file__).with_name("locale")


def translation(languages: Sequence[str] | None = None) -> gettext.NullTranslations:
    """The catalogue for `languages` (None: from the environment); English when none fits."""
    return gettext.translation(
        DOMAIN, LOCALE_DIR, languages=list(languages) if languages else None, fallback=True
    )
