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

# What students see in place of the solutions (in French, like the notebooks).
c.ClearSolutions.code_stub = {"python": "# VOTRE CODE ICI\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "VOTRE RÉPONSE ICI"

# nbgrader 0.9 reads Execute.timeout (ExecutePreprocessor.timeout is ignored).
c.Execute.timeout = 300
