"""The `graphspec` console script. Ctrl-C at any moment, imports included, ends with
exit code 130 and one line, never a traceback."""
from __future__ import annotations

import gc
import sys


def main() -> int:
    # The static commands make many objects and no garbage cycles worth collecting:
    # collector passes (and one more at exit) over a large spec would only cost time.
    # `build` turns collection back on.
    gc.disable()
    try:
        from .cli import main as run

        code = run()
        gc.freeze()  # and Python's last collection at exit need not scan it all either
        return code
    except KeyboardInterrupt:
        sys.stderr.write("graphspec: interrupted\n")
        return 130
