"""dedup: find near-duplicate documents and show precisely what differs between the versions."""

from __future__ import annotations

__version__ = "0.1.0"
