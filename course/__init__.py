"""course — the instructor's side of the practicals (``course`` or ``python -m course``).

release (nbgrader generate, ``--check`` for staleness), weights fetch, parallel and
resumable autograde, feedback, grades, a simulated class (``demo``) and the methods
tour (``methods``). See ``python -m course --help``.
"""
