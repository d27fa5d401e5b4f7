"""The `dbagent` console script: a tiny first module, so that Ctrl-C while the heavy modules
are still importing is one line and exit 130, not a traceback."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from dbagent.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("dbagent: error: interrupted\n")
        sys.exit(130)
    run()
