"""course — the instructor's side of the practicals (command line: ``course`` or
``python -m course``). For now it runs the methods demonstration; the nbgrader
workflow (release, collect, autograde, feedback) builds on it."""
