"""Every player-facing catalog has every key in every locale, with the same placeholders."""

from __future__ import annotations

import string
from pathlib import Path

from babel.messages.pofile import read_po

from engine.play.messages import CATALOG

LOCALES = Path(__file__).resolve().parents[2] / "bot" / "locales"


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_engine_catalog_locales_agree() -> None:
    spanish = CATALOG["es"]
    for locale, catalog in CATALOG.items():
        assert set(catalog) == set(spanish), locale
        for key, template in catalog.items():
            assert fields(template) == fields(spanish[key]), (locale, key)


def test_bot_catalogs_translate_everything_with_the_same_placeholders() -> None:
    catalogs = {}
    for folder in sorted(LOCALES.iterdir()):
        with (folder / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalogs[folder.name] = read_po(handle, locale=folder.name)
    ids = {name: {m.id for m in catalog if m.id} for name, catalog in catalogs.items()}
    assert ids["es"] == ids["en"]
    for message in catalogs["es"]:
        if message.id:
            assert message.string, f"missing Spanish translation for {message.id!r}"
            assert fields(str(message.string)) == fields(str(message.id)), message.id
