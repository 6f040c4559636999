"""Entry point of `python -m dedup` and of the `dedup` command.

The CLI is imported inside `run()`, so that Ctrl-C while starting up ends
with the same message and status as Ctrl-C later on, never a traceback.
"""

from __future__ import annotations

import sys


def run() -> None:
    """Import the CLI and run it."""
    try:
        from dedup.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("dedup: interrupted\n")
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
