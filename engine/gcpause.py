"""Pause Python's cyclic garbage collector around work that builds a large tree of objects at once.

Linting, compiling and storing a story each allocate millions of small objects without reference
cycles (YAML trees, the content model, the bundle, its JSON and normalized rows). The collector runs
more often the more is allocated, and each full pass walks everything alive, so with it running these
steps grow faster than the story (lint at 20k scenes: 31 s with it, 6 s without; compile at 20k:
5.4 s with it, 1.4 s without). Reference counting still frees everything meanwhile.

When the pause ends, everything made during it is still in the youngest generation, and the next
young collections would walk all of it (a second or more at 100k scenes) only to promote it. So the
survivors are moved straight to the oldest generation (``gc.freeze()`` then ``gc.unfreeze()``: no
walk); any cycle made meanwhile is still found, by the next full collection. A process that keeps
objects frozen on purpose (the bot freezes its start-up objects) is left alone: unfreezing would undo
that, so there the collector is only switched back on.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Switch the cyclic collector off for the block; nested or overlapping pauses leave it as found."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
