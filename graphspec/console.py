"""The `graphspec` console script. Ctrl-C at any moment, imports included, ends with
exit code 130 and one line, never a traceback."""
from __future__ import annotations

import sys


def main() -> int:
    try:
        from .cli import main as run

        return run()
    except KeyboardInterrupt:
        sys.stderr.write("graphspec: interrupted\n")
        return 130
