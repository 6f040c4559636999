"""Hold the cyclic garbage collector off while a large, acyclic result is built."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block, and restore it as it was.

    Reading an index of 100,000 documents back as a report makes millions of
    small objects (rows, members, discrepancies, the report's dicts), none of
    them in a cycle; each time enough accumulate, the collector walks all that
    survived so far, which cost about a fifth of a rescan's CPU. Reference
    counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
