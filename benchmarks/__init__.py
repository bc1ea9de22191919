"""Speed and memory benchmark of ``helpers`` against the handouts' plain loops.

Run ``python -m benchmarks.run`` (see ``benchmarks/run.py``). Not part of the tests.
"""
