"""engine.gcpause: the collector is off inside, back as found after, and what was made meanwhile is
neither walked again by the young collections nor kept from the next full one."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from engine.gcpause import paused_gc


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def nothing_frozen() -> Iterator[None]:
    """Run with no frozen objects (another test in this process may have frozen its start-up objects),
    and with the collector on; put both back afterwards."""
    frozen = gc.get_freeze_count()
    enabled = gc.isenabled()
    gc.unfreeze()
    gc.enable()
    try:
        yield
    finally:
        if frozen:
            gc.freeze()
        if not enabled:
            gc.disable()


@pytest.mark.usefixtures("nothing_frozen")
def test_the_collector_is_off_inside_and_on_after() -> None:
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled(), "an inner pause does not end the outer one"
    assert gc.isenabled()


@pytest.mark.usefixtures("nothing_frozen")
def test_a_collector_switched_off_by_the_caller_stays_off() -> None:
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()
    gc.enable()


@pytest.mark.usefixtures("nothing_frozen")
def test_the_collector_comes_back_when_the_block_raises() -> None:
    with pytest.raises(ValueError, match="boom"), paused_gc():
        raise ValueError("boom")
    assert gc.isenabled()


@pytest.mark.usefixtures("nothing_frozen")
def test_what_was_made_meanwhile_moves_to_the_oldest_generation() -> None:
    gc.collect()
    with paused_gc():
        made = [[index] for index in range(50_000)]
        assert gc.get_count()[0] >= 50_000, "allocations are counted while paused"
    assert gc.get_count()[0] < 1_000, "no young collection will walk the 50,000 lists"
    assert gc.get_freeze_count() == 0, "nothing stays frozen"
    assert len(made) == 50_000


@pytest.mark.usefixtures("nothing_frozen")
def test_a_cycle_made_meanwhile_is_still_collected() -> None:
    with paused_gc():
        one, two = Node(), Node()
        one.other, two.other = two, one
        alive = weakref.ref(one)
    del one, two
    assert alive() is not None, "a cycle is not freed by reference counting"
    gc.collect()
    assert alive() is None


@pytest.mark.usefixtures("nothing_frozen")
def test_objects_frozen_on_purpose_stay_frozen() -> None:
    keep = [Node() for _ in range(100)]
    gc.freeze()  # as the bot does with its start-up objects
    frozen = gc.get_freeze_count()
    try:
        with paused_gc():
            made = [Node() for _ in range(100)]
        assert gc.get_freeze_count() == frozen
        assert gc.isenabled()
    finally:
        gc.unfreeze()
    assert len(keep) == len(made) == 100
