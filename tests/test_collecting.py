from __future__ import annotations

import gc

import pytest

from dedup.collecting import paused


def test_the_collector_is_paused_in_the_block_and_restored_after_it_even_on_error() -> None:
    assert gc.isenabled()
    with pytest.raises(KeyError), paused():
        assert not gc.isenabled()
        with paused():  # nested: the inner block does not turn it back on
            pass
        assert not gc.isenabled()
        raise KeyError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()  # left off, as it was
    finally:
        gc.enable()
