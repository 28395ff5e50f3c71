"""Generate graphspec/ops/backbone_table.py from the installed Keras.

Usage:  TF_CPP_MIN_LOG_LEVEL=3 python tools/gen_backbone_table.py [MODEL ...]

For every model in keras.applications (include_top=False) it records, all measured
from Keras itself:

* ``min_size`` (parsed from the refusal Keras gives for a 1x1 input) and
  ``default_size`` (captured from ``imagenet_utils.obtain_input_shape``);
* ``min_rule``: "each" when every known side is checked against min_size
  (``obtain_input_shape``), "both" when the check only runs when height and width
  are both known (MobileNetV3);
* ``chain``: the spatial ops along one input->output path (see eval_chain in
  graphspec/ops/backbone.py for the op encoding), ``constraints``: pairs of chains that meet at a merge layer and
  are not provably equal (empty for every current model), ``cpad``: whether the
  model uses ``imagenet_utils.correct_pad`` (its padding depends on whether the
  size is statically known and on its parity);
* ``channels``: output channels;
* ``params``: (a, b, ta, tb) so that total = a + b*C and trainable = ta + tb*C for C
  input channels, from static builds at C=1 and C=3, checked at C=5;
  ``params_dynamic``: the same for a build with unknown height and width (NASNet
  builds a different graph then), or None when identical to ``params``.
"""
from __future__ import annotations

import inspect
import os
import pprint
import re
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.src.applications import imagenet_utils  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
OUT = os.path.join(ROOT, "graphspec", "ops", "backbone_table.py")

if not os.path.exists(OUT):  # first run: backbone.py imports the table
    with open(OUT, "w") as f:
        f.write("BACKBONES = {}\n")
from graphspec.ops.backbone import eval_chain  # noqa: E402

# ---------------------------------------------------------------- capture hooks
_captured: dict = {}
_orig_obtain = imagenet_utils.obtain_input_shape
_orig_correct_pad = imagenet_utils.correct_pad
_orig_zp_init = keras.layers.ZeroPadding2D.__init__
_pending_cpad: list = []


def _obtain(input_shape, default_size, min_size, *a, **k):
    _captured["default_size"] = default_size
    _captured["min_size"] = min_size
    return _orig_obtain(input_shape, default_size, min_size, *a, **k)


def _correct_pad(inputs, kernel_size):
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    _pending_cpad.append(tuple(int(k) for k in kernel_size))
    return _orig_correct_pad(inputs, kernel_size)


def _zp_init(self, *a, **k):
    _orig_zp_init(self, *a, **k)
    self._gs_correct_pad = _pending_cpad.pop() if _pending_cpad else None


imagenet_utils.obtain_input_shape = _obtain
imagenet_utils.correct_pad = _correct_pad
keras.layers.ZeroPadding2D.__init__ = _zp_init

# ---------------------------------------------------------------- helpers
MODELS = sorted(n for n in dir(keras.applications) if n[:1].isupper())
WINDOW = (
    keras.layers.Conv2D,
    keras.layers.DepthwiseConv2D,
    keras.layers.SeparableConv2D,
    keras.layers.MaxPooling2D,
    keras.layers.AveragePooling2D,
)
SHAPE_KEEPING = (
    keras.layers.LayerNormalization,
    keras.layers.BatchNormalization,
    keras.layers.Activation,
)
GLOBAL = (keras.layers.GlobalAveragePooling2D, keras.layers.GlobalMaxPooling2D)


def build(name, shape, weights=None):
    keras.backend.clear_session()
    _pending_cpad.clear()
    return getattr(keras.applications, name)(
        include_top=False, weights=weights, input_shape=shape
    )


def counts(model):
    total = int(model.count_params())
    trainable = int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))
    return total, trainable


def window_op(layer):
    if hasattr(layer, "pool_size"):
        k, s, d = layer.pool_size, layer.strides, (1, 1)
    else:
        k, s, d = layer.kernel_size, layer.strides, layer.dilation_rate
    k, s, d = tuple(map(int, k)), tuple(map(int, s)), tuple(map(int, d))
    pad = layer.padding.lower()
    assert pad in ("same", "valid"), (layer.name, pad)
    eff = tuple((kk - 1) * dd + 1 for kk, dd in zip(k, d))
    if s == (1, 1) and (pad == "same" or eff == (1, 1)):
        return None  # identity on the spatial size
    return ("win", k[0], k[1], s[0], s[1], d[0], d[1], pad)


def compress(chain):
    out = []
    for op in chain:
        if op[0] == "pad" and out and out[-1][0] == "pad":
            prev = out.pop()
            op = ("pad",) + tuple(a + b for a, b in zip(prev[1:], op[1:]))
        if op[0] == "pad" and op[1:] == (0, 0, 0, 0):
            continue
        out.append(op)
    return tuple(out)


def spatial(t):
    return tuple(t.shape[1:3])


def extract(model):
    """Walk the graph from input to output; return (chain, constraints, cpad)."""
    chains = {}
    constraints = set()
    uses_cpad = False
    (inp,) = model.inputs
    chains[id(inp)] = ()
    size = spatial(inp)
    depths = sorted(model._nodes_by_depth, reverse=True)
    for depth in depths:
        for node in model._nodes_by_depth[depth]:
            op = node.operation
            if node.is_input:
                continue
            ins = [t for t in keras.tree.flatten(node.input_tensors)]
            live = [chains[id(t)] for t in ins if chains.get(id(t)) is not None]
            outs = keras.tree.flatten(node.output_tensors)
            if not live:
                for t in outs:
                    chains[id(t)] = None
                continue
            if isinstance(op, GLOBAL) or any(len(t.shape) != 4 for t in outs):
                assert isinstance(op, GLOBAL) or not isinstance(op, WINDOW), op
                for t in outs:
                    chains[id(t)] = None
                continue
            if len(live) > 1:
                first = live[0]
                for other in live[1:]:
                    if other != first:
                        constraints.add(tuple(sorted((first, other))))
            chain = live[0]
            if isinstance(op, WINDOW):
                w = window_op(op)
                if w:
                    chain = compress(chain + (w,))
            elif isinstance(op, keras.layers.ZeroPadding2D):
                (t, b), (l, r) = op.padding
                if getattr(op, "_gs_correct_pad", None):
                    uses_cpad = True
                    chain = compress(chain + (("cpad",) + op._gs_correct_pad,))
                else:
                    chain = compress(chain + (("pad", t, b, l, r),))
            elif isinstance(op, keras.layers.Cropping2D):
                (t, b), (l, r) = op.cropping
                chain = compress(chain + (("crop", t, b, l, r),))
            elif isinstance(op, keras.Sequential):
                # nested stem / downsampling blocks (ConvNeXt); checked below
                # against the static output shape of the whole block
                for sub in op.layers:
                    if isinstance(sub, WINDOW):
                        w = window_op(sub)
                        if w:
                            chain = compress(chain + (w,))
                    elif not isinstance(sub, SHAPE_KEEPING):
                        raise SystemExit(f"unexpected {type(sub).__name__} in {op.name}")
            else:
                # anything else must keep the spatial size
                src = [t for t in ins if chains.get(id(t)) is not None][0]
                for t in outs:
                    assert spatial(t) == spatial(src), (
                        f"{type(op).__name__} {op.name} changes spatial size "
                        f"{spatial(src)} -> {spatial(t)}"
                    )
            for t in outs:
                chains[id(t)] = chain
                got = spatial(t)
                want = eval_chain(chain, size[0], size[1])
                assert got == want, (op.name, chain, size, got, want)
    out = model.outputs[0]
    return chains[id(out)], constraints, uses_cpad


def prune_constraints(constraints):
    """Keep only pairs of chains that differ for some size Keras could see."""
    kept = []
    for a, b in sorted(constraints):
        differ = False
        for n in range(1, 1500):
            for m in (n, None):
                for args in ((n, m), (m, n)):
                    try:
                        ra = eval_chain(a, *args)
                    except ValueError:
                        ra = "err"
                    try:
                        rb = eval_chain(b, *args)
                    except ValueError:
                        rb = "err"
                    if ra != rb:
                        differ = True
                        break
                if differ:
                    break
            if differ:
                break
        if differ:
            kept.append((a, b))
    return kept


def linear(p1, p3):
    b = (p3 - p1) // 2
    assert (p3 - p1) % 2 == 0
    return p1 - b, b


def params_rule(name, shape_of):
    got = {}
    for c in (1, 3, 5):
        m = build(name, shape_of(c))
        got[c] = counts(m)
    a, b = linear(got[1][0], got[3][0])
    ta, tb = linear(got[1][1], got[3][1])
    if (a + 5 * b, ta + 5 * tb) != got[5]:
        raise SystemExit(f"{name}: params not linear in C: {got}")
    return (a, b, ta, tb)


def min_size_of(name):
    _captured.clear()
    try:
        build(name, (1, 1, 3))
    except ValueError as e:
        m = re.search(r"at least (\d+)x(\d+)", str(e))
        assert m, (name, str(e))
        min_size = int(m.group(1))
    else:
        raise SystemExit(f"{name}: Keras accepted a 1x1 input")
    default = _captured.get("default_size")
    return min_size, default


def min_rule_of(name, min_size):
    try:
        build(name, (None, min_size - 1, 3))
    except ValueError as e:
        if re.search(r"at least \d+x\d+", str(e)):
            return "each"
        return "both"  # refused later, for another reason
    except TypeError:
        return "both"
    return "both"


def main(names):
    table = {}
    if os.path.exists(OUT) and names:
        ns: dict = {}
        exec(open(OUT).read(), ns)
        table = dict(ns["BACKBONES"])
    for name in names or MODELS:
        t0 = time.time()
        min_size, default = min_size_of(name)
        if default is None:
            # MobileNetV3 never calls obtain_input_shape; its weights are for
            # `rows != 224`-checked inputs
            src = inspect.getsource(sys.modules[getattr(keras.applications, name).__module__])
            default = int(re.search(r"rows != (\d+)", src).group(1))
        rule = min_rule_of(name, min_size)
        size = max(default, 2 * min_size) + 1  # odd, well above the minimum
        model = build(name, (size, size, 3))
        chain, constraints, cpad = extract(model)
        channels = int(model.outputs[0].shape[-1])
        constraints = prune_constraints(constraints)
        params = params_rule(name, lambda c: (size, size, c))
        dyn = build(name, (None, None, 3))
        assert int(dyn.outputs[0].shape[-1]) == channels
        params_dynamic = None
        if counts(dyn) != (params[0] + 3 * params[1], params[2] + 3 * params[3]):
            params_dynamic = params_rule(name, lambda c: (None, None, c))
        table[name] = {
            "min_size": min_size,
            "default_size": default,
            "min_rule": rule,
            "channels": channels,
            "chain": chain,
            "constraints": tuple(constraints),
            "cpad": cpad,
            "params": params,
            "params_dynamic": params_dynamic,
        }
        print(f"{name}: {time.time() - t0:.1f}s {table[name]['params']} "
              f"dyn={params_dynamic} rule={rule} min={min_size} "
              f"constraints={len(constraints)} ops={len(chain)}", flush=True)
    write(table)


def write(table):
    lines = [
        "# GENERATED FILE - do not edit by hand.",
        f"# Generated by `python tools/gen_backbone_table.py` with keras {keras.__version__}.",
        "# Shapes and parameter counts of keras.applications models (include_top=False);",
        "# see tools/gen_backbone_table.py for the meaning of each field and",
        "# graphspec/ops/backbone.py (eval_chain) for the chain op encoding.",
        "",
        f"KERAS_VERSION = {keras.__version__!r}",
        "",
        "BACKBONES = " + pprint.pformat(dict(sorted(table.items())), width=88, sort_dicts=True),
        "",
    ]
    with open(OUT, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
