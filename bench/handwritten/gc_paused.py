"""Run a handwritten script with Python's garbage collector paused, as graphspec pauses it.

    python bench/handwritten/gc_paused.py bench/handwritten/multi_input.py

graphspec pauses the collector while it imports Keras and while it builds the layers
(graphspec/emit.py, graphspec.source.no_gc): both make hundreds of thousands of long-lived
objects and hardly any garbage; afterwards the new objects join the oldest generation
without a pass over them (freeze, then unfreeze). This script does the same around the
whole handwritten script. bench/run.py times the handwritten scripts this way as well, beside the plain
runs, so that the tables show how much of the difference is graphspec's own cost and how
much is the paused collector, which a handwritten script could pause too.
"""
import gc
import runpy
import sys

gc.disable()
runpy.run_path(sys.argv[1], run_name="__main__")
gc.freeze()
gc.unfreeze()
gc.enable()
