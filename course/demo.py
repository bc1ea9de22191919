"""``course demo``: a whole class, simulated on this machine, offline.

In a scratch folder: a copy of the course, a local nbgrader exchange, and one folder
per student. The instructor releases the assignment; each student fetches it, works
(see ``course.submissions``: the solution, a blank copy, partial answers, typical
mistakes, a tampering copy, a broken file) and submits; the instructor collects,
autogrades in parallel, a grader enters the manual grades of one student's written
answers (``grade_by_hand``: what formgrader does, through nbgrader's gradebook API; the
other written answers stay pending and the table says so), then the instructor
generates feedback, reads the grades, and asks which students handed in the same work
(``course similarity``: the ranked table, the CSV and the side-by-side pages). Every step is the real nbgrader command or the
``course`` command an instructor would run, and is timed.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from . import submissions
from .autograde import autograde
from .core import COURSE_ID, Course, CourseError, run_nbgrader
from .privacy import STUDENT_CONFIG
from .release import copy_course, release
from .reports import feedback, write_grades
from .similarity import report_similarity


def run(course: Course, assignment: str = "nbj1", *, jobs: int = 2, workdir: Path | None = None,
        timeout: int | None = None) -> dict:
    """Run the simulated class; returns the timings, the grade sheet and the folders."""
    course.check_assignment(assignment)
    scratch = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="course-demo-"))
    scratch.mkdir(parents=True, exist_ok=True)
    timings: list[tuple[str, float]] = []

    @contextmanager
    def step(name: str):
        print(f"\n== {name}", flush=True)
        start = time.perf_counter()
        yield
        timings.append((name, time.perf_counter() - start))

    exchange = scratch / "exchange"
    exchange.mkdir(exist_ok=True)
    # the exchange and nbgrader's submission cache (by default in the real
    # ~/.local/share/jupyter/nbgrader_cache) both live under the demo's folder
    exchange_args = [f"--Exchange.root={exchange}", f"--Exchange.cache={scratch / 'nbgrader_cache'}"]
    with step("instructor: course copy, release (nbgrader generate + release_assignment)"):
        demo = copy_course(course, scratch / "course", [assignment])
        release(demo, [assignment])
        demo.nbgrader("release_assignment", assignment, *exchange_args, "--force")
    source_nb = next((demo.source / assignment).glob("*.ipynb"))
    students = submissions.CLASSES[assignment](source_nb)
    with step(f"{len(students)} students: fetch, work, submit (nbgrader fetch_assignment, submit)"):
        for student in students:
            home = scratch / "students" / student.name
            home.mkdir(parents=True, exist_ok=True)
            # as a hub's students' image would configure it: nothing private is handed in
            (home / "nbgrader_config.py").write_text(STUDENT_CONFIG)
            run_nbgrader(["fetch_assignment", assignment, f"--course={COURSE_ID}", *exchange_args],
                         cwd=home)
            fetched = home / assignment / source_nb.name
            fetched.write_bytes(submissions.build(student, fetched, source_nb))
            run_nbgrader(["submit", assignment, f"--course={COURSE_ID}", f"--student={student.name}",
                          *exchange_args], cwd=home)
            print(f"  {student.name:<8} {student.story}")
    with step("instructor: collect (nbgrader collect)"):
        demo.nbgrader("collect", assignment, *exchange_args)
    with step(f"instructor: autograde, {jobs} at a time (course autograde --jobs {jobs})"):
        results = autograde(demo, assignment, jobs=jobs, timeout=timeout)
        for result in results:
            if not result.ok:
                print(f"  {result.student}: not gradable (0, flagged) — {result.summary}")
    with step("grader: manual grades of the written answers (formgrader's gradebook API)"):
        for student in students:
            if student.manual_grades:
                got = grade_by_hand(demo, assignment, student)
                print(f"  {student.name:<8} {len(student.manual_grades)} written answers graded by hand: "
                      f"{got:g} points")
    with step("instructor: feedback (nbgrader generate_feedback)"):
        pages = feedback(demo, assignment)
        print(f"  {len(pages)} feedback pages")
    with step("instructor: grades (course grades)"):
        sheet, files = write_grades(demo, assignment)
        print(sheet.table())
        for path in files:
            print(f"  wrote {path}")
    with step("instructor: similarity (course similarity)"):
        similarity, _ = report_similarity(demo, assignment)
    print("\nstep                                                                  seconds")
    for name, seconds in timings:
        print(f"{name:<70}{seconds:8.1f}")
    print(f"{'total':<70}{sum(s for _, s in timings):8.1f}")
    graded = [r for r in results if r.ok]
    if graded:
        per = sorted(r.seconds for r in graded)[len(graded) // 2]
        print(f"median seconds per graded submission (in its worker): {per:.1f}")
    print(f"\nthe simulated class is in {scratch}")
    return {"timings": timings, "sheet": sheet, "results": results, "course": demo,
            "scratch": scratch, "students": students, "similarity": similarity}


def grade_by_hand(course: Course, assignment: str, student: submissions.Student) -> float:
    """Enter ``student.manual_grades`` (grade cell -> points, comment) in the gradebook
    as formgrader does when a grader saves a score and a comment: ``manual_score`` on
    the grade (which then needs no manual grade any more), ``manual_comment`` on the
    answer's comment. Returns the manual points entered."""
    from nbgrader.api import Gradebook, MissingEntry

    todo = dict(student.manual_grades)
    with Gradebook(course.gradebook_url, COURSE_ID) as gradebook:
        try:
            submission = gradebook.find_submission(assignment, student.name)
        except MissingEntry as err:
            raise CourseError(f"{student.name} has no graded submission of {assignment}.") from err
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.name in todo:
                    points = todo[grade.name][0]
                    if not 0 <= points <= grade.max_score:
                        raise CourseError(f"{grade.name}: {points:g} is not within 0..{grade.max_score:g}")
                    grade.manual_score = points
                    grade.needs_manual_grade = False
            for comment in notebook.comments:
                if comment.name in todo:
                    comment.manual_comment = todo[comment.name][1]
        missing = set(todo) - {g.name for nb in submission.notebooks for g in nb.grades}
        if missing:
            raise CourseError(f"{assignment} has no grade cell {', '.join(sorted(missing))}: "
                              "update course/submissions.py")
        gradebook.db.commit()
    return sum(points for points, _ in todo.values())


def clean(scratch: Path) -> None:
    shutil.rmtree(scratch, ignore_errors=True)
