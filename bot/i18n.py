"""Translations for the bot's own words, as gettext catalogs (``bot/locales/<lang>/LC_MESSAGES``).

Translators edit ``.po`` files; they are compiled in memory at start (Babel), so no binary ``.mo`` files
live in the repository and a missing translation falls back to the English source text.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent / "locales"


class PoI18n(I18n):
    @contextmanager
    def context(self) -> Iterator[I18n]:
        """Make this the current I18n for aiogram's ``gettext`` (``_``).

        aiogram gives every subclass of ``I18n`` a context variable of its own, while ``_`` looks up
        ``I18n``'s: the inherited ``context()`` would set ours and every ``_`` in a handler would
        raise ``LookupError: I18n context is not set``.
        """
        token = I18n.set_current(self)
        try:
            yield self
        finally:
            I18n.reset_current(token)

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        found: dict[str, gettext.GNUTranslations] = {}
        for folder in sorted(self.path.iterdir()):
            po = folder / "LC_MESSAGES" / f"{self.domain}.po"
            if not po.is_file():
                continue
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=folder.name)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            found[folder.name] = gettext.GNUTranslations(buffer)
        return found


def make_i18n(default_locale: str = "es") -> PoI18n:
    return PoI18n(path=LOCALES, default_locale=default_locale, domain="messages")
