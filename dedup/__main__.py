"""Entry point of `python -m dedup` and of the `dedup` command.

The CLI is imported inside `run()`, so that Ctrl-C while starting up ends
with the same message and status as Ctrl-C later on, never a traceback.
"""

from __future__ import annotations

import os
import sys


def run() -> None:
    """Import the CLI and run it."""
    # numpy's OpenBLAS starts a thread per core when imported, which cost each dedup process (and each of
    # its workers, which inherit the setting) 0.12 s of CPU here; dedup does no linear algebra. A user's
    # own setting is kept.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        from dedup.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("dedup: interrupted\n")
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
