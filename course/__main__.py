"""course — the instructor's commands (``python -m course …`` or ``course …``).

  release [ASSIGNMENT…] [--check]   student versions with nbgrader; --check: is release/ stale?
  weights fetch [--to DIR]          ImageNet weights into a (writable) KERAS_HOME
  autograde [ASSIGNMENT] [--jobs N] [--cluster ADDRESS|local:N] [--force] [--timeout S]
            [--student NAME…] [--memory GB] [--submission-timeout S] [--no-sandbox]
  feedback [ASSIGNMENT] [--with-answer-keys]
                                    nbgrader's HTML feedback per student (answer keys left out)
  grades [ASSIGNMENT]               grades/<assignment>.csv and .png, table on screen
  similarity ASSIGNMENT [--threshold T] [--anonymous]
                                    pairs of students with the same work, per question:
                                    table, similarity/<assignment>.csv, HTML side by side
  demo [--assignment A] [--jobs N]  a simulated class, release to grades, offline
  methods [--out DIR] [--quick]     every method of both practicals on the bundled photos
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .core import Course, CourseError
from .sandbox import Limits


def _assignments(course: Course, given: str | None) -> list[str]:
    return [course.check_assignment(given)] if given else course.assignments()


def _at_least_one(text: str) -> int:
    """``--jobs``: an integer >= 1, refused by the parser before any work starts."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _share(text: str) -> float:
    """``--threshold``: a number in (0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], not {value:g} (0.55 means 55 %)")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=None,
                        help="the course folder (default: found from the current folder upwards)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="regenerate release/ with nbgrader (or --check it)")
    p.add_argument("assignments", nargs="*", help="default: every assignment")
    p.add_argument("--check", action="store_true", help="fail when the committed release/ is stale")

    p = sub.add_parser("weights", help="download the ImageNet weights once (JupyterHub image)")
    p.add_argument("action", choices=["fetch"])
    p.add_argument("--to", type=Path, default=None, help="KERAS_HOME to fill (default: $KERAS_HOME or ~/.keras)")

    p = sub.add_parser("autograde", help="grade the collected submissions, N at a time")
    p.add_argument("assignment", nargs="?", help="default: every assignment with submissions")
    p.add_argument("--jobs", "-j", type=_at_least_one, default=None,
                   help="submissions graded at once (default 1; with --cluster, its worker threads)")
    p.add_argument("--cluster", metavar="ADDRESS", default=None,
                   help="grade on a Dask cluster: a scheduler address (tcp://host:8786), or local:N "
                        "to start N worker processes here (needs pip install 'xai-course[cluster]')")
    p.add_argument("--force", action="store_true", help="re-grade submissions already graded")
    p.add_argument("--timeout", type=int, default=None, help="seconds per cell (default: nbgrader_config.py)")
    p.add_argument("--student", action="append", default=None, help="only this student (repeatable)")
    p.add_argument("--memory", type=float, default=Limits.memory_gb,
                   help=f"memory cap per submission, GB (default {Limits.memory_gb:g})")
    p.add_argument("--submission-timeout", type=float, default=Limits.seconds,
                   help=f"wall-clock cap per submission, seconds (default {Limits.seconds:g})")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run students' code without bubblewrap (trusted submissions only)")

    for name, text in (("feedback", "nbgrader's HTML feedback for each graded student"),
                       ("grades", "grades CSV and picture per assignment")):
        p = sub.add_parser(name, help=text)
        p.add_argument("assignment", nargs="?", help="default: every assignment with submissions")
        if name == "feedback":
            p.add_argument("--with-answer-keys", action="store_true",
                           help="keep the graders' answer keys (Corrigé, Barème) in the pages "
                                "(default: left out; students never see them)")

    p = sub.add_parser("similarity", help="which students handed in the same work, per question "
                                          "(evidence to read, never a grade change)")
    p.add_argument("assignment", help="the assignment whose submissions are compared")
    p.add_argument("--threshold", type=_share, default=None,
                   help="score (0 to 1) from which a pair is flagged (default 0.55: between the copied "
                        "and the independent pairs of the test class)")
    p.add_argument("--anonymous", action="store_true",
                   help="student-001… instead of the names, on screen, in the CSV and the pages")

    p = sub.add_parser("demo", help="a simulated class on a local exchange, offline")
    p.add_argument("--assignment", default="nbj1", choices=["nbj1", "tp_vgg16"])
    p.add_argument("--jobs", "-j", type=_at_least_one, default=2,
                   help="submissions graded at once (default 2)")
    p.add_argument("--workdir", type=Path, default=None, help="keep the class there (default: a temp folder)")
    p.add_argument("--timeout", type=int, default=None, help="seconds per cell")

    p = sub.add_parser("methods", help="every method on the bundled photos, figures saved")
    p.add_argument("--out", type=Path, default=Path("output_figures"), help="folder for the figures")
    p.add_argument("--quick", action="store_true", help="fewer positions and steps (a smoke run)")

    args = parser.parse_args(argv)
    try:
        return _run(args)
    except CourseError as err:
        print(f"course {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"course {args.command}: interrupted; run it again to go on.", file=sys.stderr)
        return 130


def _run(args) -> int:
    if args.command == "methods":
        from .methods import run

        run(args.out, quick=args.quick)
        return 0
    if args.command == "weights":
        from .weights import fetch

        found = fetch(args.to)
        for name, size in found.items():
            print(f"{size / 2**20:9.1f} MiB  {name}")
        print("Set KERAS_HOME to this folder in the students' environment.")
        return 0
    course = Course.find(args.root)
    if args.command == "release":
        from .release import check, package_source, release

        if not package_source(course):
            print("course release: warning: c.InstallCell.package is not set in nbgrader_config.py, so on "
                  "Colab (or any machine without the course package) the notebooks' first cell tells "
                  "students to ask you where to install it from.", file=sys.stderr)
        if args.check:
            check(course, args.assignments or None)
            print("release/ is up to date.")
        else:
            for path in release(course, args.assignments or None):
                print(f"generated {path}")
        return 0
    if args.command == "demo":
        from .demo import run

        run(course, args.assignment, jobs=args.jobs, workdir=args.workdir, timeout=args.timeout)
        return 0
    if args.command == "similarity":
        from .similarity import report_similarity

        report_similarity(course, course.check_assignment(args.assignment), threshold=args.threshold,
                          anonymous=args.anonymous)
        return 0
    with_work = [a for a in _assignments(course, args.assignment) if course.students(a)]
    if not with_work:
        raise CourseError(f"No collected submission in {course.submitted}: run `nbgrader collect` first.")
    if args.command == "autograde":
        from contextlib import nullcontext

        from .autograde import autograde

        if args.memory <= 0 or args.submission_timeout <= 0:
            raise CourseError("--memory and --submission-timeout must be positive.")
        engine = nullcontext()  # the local process pool
        if args.cluster:
            from .cluster import connect

            engine = connect(args.cluster)
        with engine as cluster:
            for assignment in with_work:
                results = autograde(course, assignment, jobs=args.jobs, force=args.force,
                                    timeout=args.timeout, students=args.student, cluster=cluster,
                                    isolate=not args.no_sandbox,
                                    limits=Limits(memory_gb=args.memory, seconds=args.submission_timeout))
                skipped = len(course.students(assignment)) - len(results)
                print(f"{assignment}: {len(results)} graded, {skipped} already graded (use --force to redo)")
                for result in results:
                    got, top = result.score()
                    state = "ok" if result.ok else f"NOT GRADABLE (0, flagged): {result.summary}"
                    if result.ok and result.flags:
                        state = "FLAGGED: " + "; ".join(result.flags)
                    print(f"  {result.student:<20}{got:>6g} / {top:<4g}{result.seconds:7.1f} s  {state}")
        return 0
    if args.command == "feedback":
        from .reports import feedback

        for assignment in with_work:
            pages = feedback(course, assignment, with_answer_keys=args.with_answer_keys)
            keys = " (with the answer keys)" if args.with_answer_keys else ""
            print(f"{assignment}: {len(pages)} feedback pages in {course.feedback}{keys}")
        return 0
    if args.command == "grades":
        from .reports import write_grades

        for assignment in with_work:
            sheet, files = write_grades(course, assignment)
            print(f"\n{assignment}\n{sheet.table()}")
            for path in files:
                print(f"wrote {path}")
        return 0
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
