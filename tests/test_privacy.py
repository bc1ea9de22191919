"""A student's own photos stay out of what is handed in and graded (course.privacy).

The fast tests check the stripping itself. The slow ones go through nbgrader for real: a
student runs a notebook whose private cell shows their photo (through
``helpers.private_output()`` and, carelessly, straight into the output), keeps the photo
in the assignment folder, and submits with the course's configuration; the exchange
receives neither the photo nor its figures. ``course autograde`` strips the same outputs
from a submission that reached the instructor another way (from Colab, by hand).
"""

import base64
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course.privacy import (PLACEHOLDER, PRIVATE_TAG, STUDENT_CONFIG, ClearRunState,
                            private_ids, strip_private)

ROOT = Path(__file__).resolve().parents[1]
PNG = base64.b64encode((ROOT / "helpers" / "data" / "grace_hopper.jpg").read_bytes()[:64]).decode()


def _student_run():
    """A notebook as a student's run leaves it: a private cell with a picture, another
    cell with its own outputs, and the saved widget state of a panel."""
    private = new_code_cell("montrer(MES_PHOTOS)", metadata={"tags": ["demonstration", PRIVATE_TAG]})
    private.outputs = [new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
                       new_output("stream", name="stdout", text="similarité 0,93 : identifié\n")]
    other = new_code_cell("print(1 + 1)")
    other.outputs = [new_output("stream", name="stdout", text="2\n")]
    notebook = new_notebook(cells=[new_markdown_cell("# TP"), private, other])
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"x": {}}}}
    return notebook


def test_private_outputs_and_widget_state_are_replaced_by_a_placeholder():
    notebook = _student_run()
    before = json.dumps(notebook, sort_keys=True)
    stripped, removed = strip_private(notebook)
    assert json.dumps(notebook, sort_keys=True) == before  # the input is not modified
    assert removed == 3  # two outputs and the widget state
    assert "widgets" not in stripped.metadata
    (placeholder,) = stripped.cells[1].outputs
    assert placeholder["data"]["text/plain"] == PLACEHOLDER
    assert stripped.cells[1].metadata["tags"] == ["demonstration", PRIVATE_TAG]
    assert stripped.cells[1].source == "montrer(MES_PHOTOS)"
    assert stripped.cells[2].outputs == notebook.cells[2].outputs
    again, removed_again = strip_private(stripped)
    assert removed_again == 0 and again == stripped


def test_a_private_cell_that_showed_nothing_stays_empty():
    notebook = new_notebook(cells=[new_code_cell("x = 1", metadata={"tags": [PRIVATE_TAG]})])
    stripped, removed = strip_private(notebook)
    assert removed == 0 and stripped.cells[0].outputs == []


def test_the_private_cells_are_read_from_the_source_by_grade_id():
    source = _student_run()
    source.cells[1].metadata["nbgrader"] = {"grade_id": "mes_photos", "locked": True}
    source.cells[2].metadata["nbgrader"] = {"grade_id": "autre", "locked": True}
    assert private_ids(json.loads(nbformat.writes(source))) == {"mes_photos"}


def test_the_release_carries_nothing_of_the_instructors_run():
    run = _student_run()
    run.cells[2].metadata["execution"] = {"iopub.status.idle": "2026-12-06T21:26:31.128634Z"}
    notebook, _ = ClearRunState().preprocess(run, {})
    assert "widgets" not in notebook.metadata
    assert all("execution" not in cell.metadata for cell in notebook.cells)


def test_the_widget_keeps_only_a_placeholder_in_the_file():
    from helpers import privacy

    widget = privacy.PrivateOutput()
    assert repr(widget) == privacy.PLACEHOLDER
    bundle = widget._repr_mimebundle_()
    assert "image/png" not in bundle and bundle["text/plain"] == privacy.PLACEHOLDER
    assert privacy.forget_private_outputs() >= 1 and privacy.forget_private_outputs() == 0


# --------------------------------------------------------------------------- nbgrader, for real
def _cell(kind, source, grade_id, **nbgrader):
    cell = (new_code_cell if kind == "code" else new_markdown_cell)(source)
    cell.metadata["nbgrader"] = {"grade_id": grade_id, "solution": False, "grade": False,
                                 "locked": True, "schema_version": 3, **nbgrader}
    return cell


SHOW_PHOTO = """\
from pathlib import Path
from IPython.display import Image, display
import helpers
photo = Image(filename="moi.jpg")
with helpers.private_output():
    display(photo)             # as the TP's cells show a student's photo
display(photo)                 # and what a careless edit would add: straight into the output
print("visage de", "Ada Lovelace")
"""


def _course_with_a_private_cell(tmp: Path):
    from course.core import Course
    from course.release import release

    root = tmp / "course"
    folder = root / "source_notebooks" / "priv"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    private = _cell("code", SHOW_PHOTO, "mes_photos")
    private.metadata["tags"] = [PRIVATE_TAG]
    notebook = new_notebook(cells=[
        new_markdown_cell("# Essai sur vos photos"),
        private,
        _cell("code", "reponse = 42", "answer", solution=True),
        _cell("code", "assert reponse == 42", "test_answer", grade=True, points=1),
    ])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, folder / "priv.ipynb")
    course = Course(root)
    release(course, ["priv"])
    return course


def _images(notebook) -> list[str]:
    return [key for cell in notebook.cells for out in cell.get("outputs", [])
            for key in out.get("data", {}) if key.startswith("image/")]


@pytest.mark.slow
def test_a_submission_hands_in_neither_the_photo_nor_its_figures(tmp_path):
    from nbclient import NotebookClient

    from course.autograde import autograde
    from course.core import COURSE_ID, run_nbgrader

    course = _course_with_a_private_cell(tmp_path)
    exchange = f"--Exchange.root={tmp_path / 'exchange'}"
    (tmp_path / "exchange").mkdir()
    course.nbgrader("release_assignment", "priv", exchange, "--force")
    home = tmp_path / "students" / "ada"
    home.mkdir(parents=True)
    (home / "nbgrader_config.py").write_text(STUDENT_CONFIG)  # the students' image's configuration
    run_nbgrader(["fetch_assignment", "priv", f"--course={COURSE_ID}", exchange], cwd=home)
    work = home / "priv"
    shutil.copy(ROOT / "helpers" / "data" / "grace_hopper.jpg", work / "moi.jpg")

    # The student runs the notebook; the front-end saves the widget state (as Colab does).
    notebook = nbformat.read(work / "priv.ipynb", as_version=4)
    answer = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "answer")
    answer.source = "reponse = 42"
    NotebookClient(notebook, timeout=120, resources={"metadata": {"path": str(work)}},
                   store_widget_state=True).execute()
    nbformat.write(notebook, work / "priv.ipynb")
    private = next(c for c in notebook.cells if PRIVATE_TAG in c.metadata.get("tags", []))
    assert any("image/jpeg" in o.get("data", {}) for o in private.outputs)  # the careless display
    shown = [o for o in private.outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert shown and shown[0]["data"]["text/plain"].startswith("🔒")  # the widget's saved form

    run_nbgrader(["submit", "priv", f"--course={COURSE_ID}", "--student=ada", exchange], cwd=home)
    (handed_in,) = (tmp_path / "exchange" / COURSE_ID / "inbound").iterdir()
    assert not list(handed_in.rglob("*.jpg"))
    submitted = nbformat.read(handed_in / "priv.ipynb", as_version=4)
    assert _images(submitted) == [] and "widgets" not in submitted.metadata
    (kept,) = next(c for c in submitted.cells if PRIVATE_TAG in c.metadata.get("tags", [])).outputs
    assert kept["data"]["text/plain"] == PLACEHOLDER
    assert "visage de Ada Lovelace" not in json.dumps(submitted["cells"][1]["outputs"])
    assert _images(nbformat.read(work / "priv.ipynb", as_version=4))  # the student's own copy is theirs

    # Another student hands in from Colab: the instructor drops the file in submitted/.
    folder = course.submitted / "bea" / "priv"
    folder.mkdir(parents=True)
    untagged = nbformat.read(work / "priv.ipynb", as_version=4)
    for cell in untagged.cells:  # a student who removed the tag changes nothing for grading
        cell.metadata.pop("tags", None)
    nbformat.write(untagged, folder / "priv.ipynb")
    (folder / "timestamp.txt").write_text("2026-12-06 10:00:00.000000 UTC")
    course.nbgrader("collect", "priv", exchange)
    autograde(course, "priv", jobs=1, timeout=60, progress=False)
    for student in ("ada", "bea"):
        graded = nbformat.read(course.autograded / student / "priv" / "priv.ipynb", as_version=4)
        assert _images(graded) == [] and "widgets" not in graded.metadata, student
        assert "Ada Lovelace" not in json.dumps([c.get("outputs", []) for c in graded.cells]), student


def test_the_forget_button_acts_only_when_clicked():
    import ipywidgets

    from helpers import privacy

    privacy.forget_private_outputs()
    frame = privacy.PrivateOutput()
    frame.append_stdout("similarité 0,93\n")
    panel = ipywidgets.VBox([ipywidgets.FileUpload(), ipywidgets.HTML("photo")])
    inner = panel.children[0]
    box = privacy.forget_button(panel, None)
    button, said = box.children
    assert frame.outputs and panel.comm is not None  # run all: nothing forgotten yet
    button.click()
    assert frame.outputs == () and panel.comm is None and inner.comm is None
    assert said.value.startswith("1 cadre(s) privé(s) vidé(s), 1 panneau(x) fermé(s)")


@pytest.mark.slow
def test_the_tp_handed_in_with_the_students_own_photos_keeps_neither(tmp_path):
    """The real TP, as a student does it: fetched from the release, solved, two photos of
    themselves put next to it and named in `MES_PHOTOS`, run (the front-end saving widget
    state, as Colab does), submitted with the students' configuration."""
    from nbclient import NotebookClient

    from course import submissions
    from course.core import COURSE_ID, Course, run_nbgrader
    from course.release import copy_course, release

    course = copy_course(Course(ROOT), tmp_path / "course", ["tp_vgg16"])
    release(course, ["tp_vgg16"])
    exchange = f"--Exchange.root={tmp_path / 'exchange'}"
    (tmp_path / "exchange").mkdir()
    course.nbgrader("release_assignment", "tp_vgg16", exchange, "--force")
    home = tmp_path / "students" / "ada"
    home.mkdir(parents=True)
    (home / "nbgrader_config.py").write_text(STUDENT_CONFIG)
    run_nbgrader(["fetch_assignment", "tp_vgg16", f"--course={COURSE_ID}", exchange], cwd=home)
    work = home / "tp_vgg16"
    fetched = work / "tp_vgg16.ipynb"
    solved = submissions.build(submissions.Student("ada", "the solution", solution=True), fetched,
                               course.source / "tp_vgg16" / "tp_vgg16.ipynb")
    notebook = nbformat.reads(solved.decode("utf-8"), as_version=4)
    for name, photo in (("moi_1.jpg", "astronaut.jpg"), ("moi_2.jpg", "grace_hopper.jpg")):
        shutil.copy(ROOT / "helpers" / "data" / photo, work / name)
    (mine,) = [c for c in notebook.cells if c.cell_type == "code" and "MES_PHOTOS = None" in c.source]
    mine.source = 'MES_PHOTOS = ("moi_1.jpg", "moi_2.jpg")'

    NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(work)}},
                   store_widget_state=True).execute()
    nbformat.write(notebook, fetched)
    private = [c for c in notebook.cells if PRIVATE_TAG in c.metadata.get("tags", [])]
    assert len(private) >= 2 and "widgets" in notebook.metadata  # what a saved run holds
    assert "votre 2e photo" in json.dumps(notebook.metadata["widgets"])  # figures from the photos

    run_nbgrader(["submit", "tp_vgg16", f"--course={COURSE_ID}", "--student=ada", exchange], cwd=home)
    (handed_in,) = (tmp_path / "exchange" / COURSE_ID / "inbound").iterdir()
    assert sorted(p.name for p in handed_in.iterdir() if p.suffix in (".jpg", ".jpeg", ".png")) == []
    submitted = nbformat.read(handed_in / "tp_vgg16.ipynb", as_version=4)
    assert "widgets" not in submitted.metadata
    for cell in submitted.cells:
        if PRIVATE_TAG in cell.metadata.get("tags", []):
            assert [o["data"]["text/plain"] for o in cell.outputs] == [PLACEHOLDER]
    assert "votre 2e photo" not in json.dumps([c.get("outputs", []) for c in submitted.cells])
