"""The text check counts Telegram's length only for texts that could exceed a limit: this pins the bound
it relies on (at most two UTF-16 units per character written, whatever tags and entities do)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.content.richtext import telegram_length

PIECES = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["<b>", "</b>", "<i>", "<a href='x'>", "</a>", "<", ">", "&", "&amp;", "&lt", "&gt;"]),
    st.sampled_from(["&#128512;", "&#x1F600;", "&#65536;", "&Afr;", "&acE;", "&nvlt;", "&#1;", "💋", "𝔄"]),
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(PIECES, max_size=12).map("".join))
def test_telegram_counts_at_most_two_units_per_character_written(text: str) -> None:
    assert telegram_length(text) <= 2 * len(text)
