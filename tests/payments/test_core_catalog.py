"""Every string the bot translates is in both catalogs (the shop's and the card router's included).

tests/play/test_messages.py checks that the catalogs agree with each other; this checks them against the
code: a ``_("...")`` whose text is missing from ``messages.po`` would reach Spanish players in English.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"


def test_every_translated_string_of_the_bot_is_in_every_catalog() -> None:
    used = {
        (str(message), filename)
        for filename, _line, message, _comments, _context in extract_from_dir(
            BOT, method_map=[("**.py", "python")], keywords={"_": None}
        )
    }
    assert any(name.endswith("shop.py") for _, name in used)
    for folder in sorted((BOT / "locales").iterdir()):
        with (folder / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            known = {m.id for m in read_po(handle, locale=folder.name) if m.id}
        missing = sorted((name, text) for text, name in used if text not in known)
        assert missing == [], f"not in {folder.name}/messages.po: {missing}"
