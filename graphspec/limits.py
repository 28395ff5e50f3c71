"""Refusing impossible models before TensorFlow allocates anything: the weights' size
from static parameter counts, against --max-params and the memory this machine has."""
from __future__ import annotations

import os

from .errors import SpecError
from .infer import CheckedSpec

BYTES_PER_PARAM = 4  # float32, Keras' default floatx


def available_memory() -> int | None:
    """Bytes of memory available now (MemAvailable), or None where it cannot be read."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_model_size(checked: CheckedSpec, max_params: int | None = None,
                     memory: int | None = None) -> None:
    """Raise SpecError (code `too-large-model`, at the largest node) when the model has
    more than `max_params` parameters or its weights would not fit in `memory` bytes
    (default: what this machine has available)."""
    total = checked.total_params
    size = total * BYTES_PER_PARAM
    memory = available_memory() if memory is None else memory
    if max_params is not None and total > max_params:
        problem = f"over the limit of {max_params:,} (--max-params)"
    elif memory is not None and size > memory:
        problem = f"more than the {format_bytes(memory)} of memory available"
    else:
        return
    largest = max(checked.params, key=lambda n: checked.params[n][0])
    out = checked.source.collector()
    out.error(("nodes", largest),
              f"the model has {total:,} parameters ({format_bytes(size)} of float32 "
              f"weights), {problem}; the largest node is '{largest}' with "
              f"{checked.params[largest][0]:,}", "too-large-model", at_key=True,
              hint="make the model smaller (fewer units, a pooling backbone, a Flatten on a "
                   "smaller map)")
    raise SpecError(out.diagnostics)


def format_bytes(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:,.1f} {unit}" if unit != "B" else f"{size} B"
        size /= 1024
    return f"{size:,.1f} PiB"
