"""Pause Python's cyclic garbage collector around work that builds a large tree of objects at once.

Linting, compiling and storing a story each allocate millions of small objects without reference
cycles (YAML trees, the content model, the bundle, its JSON and normalized rows). The collector runs
more often the more is allocated, and each full pass walks everything alive, so with it running these
steps grow faster than the story (lint at 20k scenes: 31 s with it, 6 s without; compile at 20k:
5.4 s with it, 1.4 s without). Reference counting still frees everything meanwhile; the collector is
switched back on afterwards for any cycle made during the pause.
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
            gc.enable()
