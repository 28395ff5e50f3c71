"""Generate large, valid graphspec specs for benchmarks: `make_spec(n_nodes) -> YAML text`.

The graph is a realistic mix rather than one long chain: two inputs (a feature vector and
a small image), the image flattened and projected, the two merged by Concatenate, then
repeated two-branch blocks (Dense chains with activations, a Dropout, a Concatenate merge
of the branches and a Dense that narrows the merge back), and one regression head with a
loss. Every node feeds the output, so the checker reports no warnings.

    from bench.gen_spec import make_spec
    Path("big.yaml").write_text(make_spec(10_000))

Run as a script to write one spec: `python bench/gen_spec.py 1000 > big.yaml`.
"""
from __future__ import annotations

import sys

ACTIVATIONS = ("relu", "tanh", "gelu", "sigmoid", "elu", "swish")

_HEADER = """\
graphspec: 1
name: {name}
description: A generated spec of {n:,} nodes (bench/gen_spec.py).

inputs:
  features: {{shape: [64]}}
  image: {{shape: [16, 16, 3]}}

nodes:
  image_flat: {{type: Flatten, from: image}}
  image_proj: {{type: Dense, units: 64, activation: relu, from: image_flat}}
  merged: {{type: Concatenate, from: [features, image_proj]}}
"""

_BLOCK = """\
  b{i}_a1: {{type: Dense, units: 32, activation: {act1}, from: {cur}}}
  b{i}_a2: {{type: Dense, units: 16, activation: {act2}, from: b{i}_a1}}
  b{i}_b1: {{type: Dense, units: 32, activation: {act3}, from: {cur}}}
  b{i}_b2: {{type: Dropout, rate: 0.1, from: b{i}_b1}}
  b{i}_b3: {{type: Dense, units: 16, activation: relu, from: b{i}_b2}}
  b{i}_cat: {{type: Concatenate, from: [b{i}_a2, b{i}_b3]}}
  b{i}_out: {{type: Dense, units: 32, activation: relu, use_bias: true, from: b{i}_cat}}
"""
_BLOCK_NODES = 7
_FIXED_NODES = 4  # image_flat, image_proj, merged and the head

_FOOTER = """\
  head: {{type: Dense, units: 1, activation: linear, from: {cur}}}

outputs:
  head: {{loss: mse, metrics: [mae], weight: 1}}

compile:
  optimizer: {{type: Adam, learning_rate: 0.001}}
"""


def make_spec(n_nodes: int, name: str | None = None) -> str:
    """The YAML text of a valid spec with exactly `n_nodes` nodes (inputs not counted)."""
    if n_nodes < _FIXED_NODES:
        raise ValueError(f"a generated spec has at least {_FIXED_NODES} nodes; "
                         f"received n_nodes={n_nodes}")
    blocks, rest = divmod(n_nodes - _FIXED_NODES, _BLOCK_NODES)
    parts = [_HEADER.format(name=name or f"generated_{n_nodes}", n=n_nodes)]
    cur = "merged"
    for i in range(blocks):
        parts.append(_BLOCK.format(
            i=i, cur=cur, act1=ACTIVATIONS[i % len(ACTIVATIONS)],
            act2=ACTIVATIONS[(i + 1) % len(ACTIVATIONS)],
            act3=ACTIVATIONS[(i + 2) % len(ACTIVATIONS)]))
        cur = f"b{i}_out"
    for j in range(rest):  # pad to the exact count with a plain Dense chain
        parts.append(f"  fill{j}: {{type: Dense, units: 32, activation: relu, from: {cur}}}\n")
        cur = f"fill{j}"
    parts.append(_FOOTER.format(cur=cur))
    return "".join(parts)


if __name__ == "__main__":
    sys.stdout.write(make_spec(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
