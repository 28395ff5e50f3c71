"""Draw the tutorial's three specs into docs/images/NAME.svg, as `graphspec plot
specs/NAME.yaml -o docs/images/NAME.svg` does (tests/test_plot.py checks that the committed
drawings are current). Needs Graphviz.

    python tools/gen_docs_images.py
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphspec.render import plot_spec, run_graphviz, spec_to_dot  # noqa: E402

NAMES = ("multi_output", "multi_input", "age_gender")


def render(name: str) -> bytes:
    """The SVG of specs/NAME.yaml, as `plot` writes it."""
    return run_graphviz(spec_to_dot(ROOT / "specs" / f"{name}.yaml").to_string(), "svg")


if __name__ == "__main__":
    for name in NAMES:
        plot_spec(ROOT / "specs" / f"{name}.yaml", ROOT / "docs" / "images" / f"{name}.svg")
        print(f"wrote docs/images/{name}.svg")
