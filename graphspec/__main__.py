"""`python -m graphspec ...`, the same as the `graphspec` command."""
import sys

from .console import main

sys.exit(main())
