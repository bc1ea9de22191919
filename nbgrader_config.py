"""nbgrader configuration of the course (found by every `nbgrader` command run here).

Course root = this repository. Student data (autograded/, submitted/, feedback/ and the
gradebook) is git-ignored.
"""

import os

c = get_config()  # noqa: F821  (provided by nbgrader)

ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "xai-course"
c.CourseDirectory.root = ROOT
c.CourseDirectory.source_directory = "source_notebooks"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(ROOT, "gradebook.db")

# Where students install the course package from (Colab, or any machine without it): a
# PyPI name, a git URL ("git+https://host/owner/repo@tag") or a wheel URL. `course release`
# writes it into each notebook's first cell; left empty, that cell tells students to ask
# their instructor. The cell keeps the TensorFlow, NumPy and ipywidgets already installed
# when their versions fit the package's requirements.
from course.release import InstallCell  # noqa: E402

c.InstallCell.package = ""
c.GenerateAssignment.preprocessors.prepend([InstallCell])

# `course autograde` puts each written answer's key (Corrigé, Barème) from the source
# notebook into the autograded copy, for the graders (formgrader); the feedback that
# students receive leaves it out (`course feedback --with-answer-keys` keeps it).
from course.answer_keys import StripAnswerKeys  # noqa: E402

c.GenerateFeedback.preprocessors.prepend([StripAnswerKeys])

# `nbgrader autograde` re-runs the graded cells and the test cells, not the demonstrations
# (cells tagged `demonstration` in the source notebook: the student's function on their
# photo, the big models, the widgets): no grade depends on them, and they were most of a
# submission's grading time. They keep the outputs of the student's own run, with a note.
from course.demonstrations import KeepDemonstrationOutputs, SkipDemonstrations  # noqa: E402

c.Autograde.sanitize_preprocessors.prepend([KeepDemonstrationOutputs])
c.Autograde.sanitize_preprocessors.append(SkipDemonstrations)

# At the timeout, a cell whose code ignores the interrupt (SIGINT ignored, KeyboardInterrupt
# caught) gets its kernel restarted instead of making every later cell wait its own timeout
# (course.execute; the points come from the independent correction, which bounds each case).
from course.execute import BoundedExecute  # noqa: E402
from nbgrader.converters import Autograde  # noqa: E402
from nbgrader.preprocessors import Execute  # noqa: E402

c.Autograde.autograde_preprocessors = [
    BoundedExecute if step is Execute else step
    for step in Autograde.class_traits()["autograde_preprocessors"].default()]

# A student's own photos (the TP's optional "try it on your face" cells, tagged
# `donnees-personnelles`) are not handed in: `nbgrader submit` hands in a copy without those
# outputs, the saved widget state or image files, and `course autograde` strips them from a
# submission that came another way (course.privacy). On a hub, put the submit line in the
# students' system-wide nbgrader_config.py too. The release carries nothing of our run.
from course.privacy import ClearRunState, StripPrivateOutputs  # noqa: E402

c.ExchangeFactory.submit = "course.privacy.PrivateSubmit"
c.Autograde.sanitize_preprocessors.prepend([StripPrivateOutputs])  # before demonstrations keep theirs
c.GenerateAssignment.preprocessors.append(ClearRunState)

# What students see in place of the solutions (in French, like the notebooks).
c.ClearSolutions.code_stub = {"python": "# VOTRE CODE ICI\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "VOTRE RÉPONSE ICI"

# nbgrader 0.9 reads Execute.timeout (ExecutePreprocessor.timeout is ignored).
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True  # an infinite loop costs one cell, not the submission
# Once the last cell ran, nothing in the kernel is needed: stop it at once instead of
# waiting for its graceful exit (TensorFlow's teardown; measured 2.7 s per submission here).
c.Execute.shutdown_kernel = "immediate"

# Figures the notebooks write, and TensorFlow's stderr noise in graded outputs.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "output_figures"]
# (nbgrader scores a test cell 0 when it wrote to stderr; these lines are TensorFlow's
# start-up logs, not the student's.)
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = (r"oneDNN custom operations|cpu_feature_guard|absl::InitializeLog"
                           r"|This TensorFlow binary is optimized|Unable to register cu(DNN|FFT|BLAS)")

# A student who deletes a grade cell gets it back (graded as the release wrote it).
c.OverwriteCells.add_missing_cells = True
