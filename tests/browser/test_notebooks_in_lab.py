"""Both practicals, release and solution, run cell by cell in JupyterLab in headless
Chromium: no unexpected error, every widget panel really renders, and the widgets
respond — a drop-down, a slider and an upload each redraw the figure (its PNG bytes
change). Screenshots of each panel are saved as artefacts (``tests/artifacts/``)."""

from __future__ import annotations

import json

import pytest

from .conftest import ARTIFACTS, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser]

NOTEBOOKS = {
    "nbj1": "nbj1/nbj1_ou_regarde_ia.ipynb",
    "tp_vgg16": "tp_vgg16/tp_vgg16.ipynb",
}
PHOTO = ROOT / "helpers" / "data" / "grace_hopper.jpg"  # not the photo the drop-down chose
FACE = ROOT / "helpers" / "data" / "astronaut.jpg"

# Run every cell in order, one at a time (an error does not stop the others, as it
# would with "Run All"), and report each code cell's errors.
RUN_EACH_CELL = """
async () => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  await panel.sessionContext.ready;
  const nb = panel.content;
  const report = [];
  for (let i = 0; i < nb.widgets.length; i++) {
    nb.activeCellIndex = i;
    const timedOut = await Promise.race([
      app.commands.execute('notebook:run-cell').then(() => false),
      new Promise(resolve => setTimeout(() => resolve(true), CELL_TIMEOUT_MS))]);
    const cell = nb.widgets[i];
    if (cell.model.type !== 'code') continue;
    const outputs = cell.model.outputs.toJSON();
    const errors = outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue);
    if (timedOut) errors.push('browser test: no reply from the cell after ' + CELL_TIMEOUT_MS / 1000 + ' s');
    report.push({index: i, source: cell.model.sharedModel.getSource(), errors});
    if (timedOut) break;
  }
  return report;
}
"""

IMAGE_HASH = """
async (img) => {
  const bytes = await (await fetch(img.src)).arrayBuffer();
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest)).map(b => b.toString(16).padStart(2, '0')).join('');
}
"""


CELL_TIMEOUT_S = 300
RUN_EACH_CELL = RUN_EACH_CELL.replace("CELL_TIMEOUT_MS", str(CELL_TIMEOUT_S * 1000))


def unexpected_errors(report):
    """Errors a student's untouched copy should not show: anything but the stubs'
    NotImplementedError and the NameErrors of what those failed cells would have defined."""
    import re

    undefined, unexpected = "", []
    for r in report:
        for error in r["errors"]:
            name = re.match(r"NameError: name '(\w+)' is not defined", error)
            if error.startswith("NotImplementedError") or (
                    name and re.search(rf"\b{name.group(1)}\b\s*[,=)]", undefined)):
                undefined += "\n" + r["source"]
            else:
                unexpected.append((r["index"], r["source"][:80], error))
    return unexpected


def open_notebook(page, lab, path):
    base, token, _ = lab
    page.goto(f"{base}/lab/tree/{path}?token={token}&reset")  # reset: no restored tabs
    page.wait_for_function(
        "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " return w && w.content && w.sessionContext && w.sessionContext.session"
        " && w.sessionContext.session.kernel && w.content.widgets.length > 0; }")


def run_each_cell(page):
    return page.evaluate(RUN_EACH_CELL)


def panel_cell(page, report, call: str):
    """The DOM cell whose source calls ``call`` (scrolled into view)."""
    index = next(r["index"] for r in report if call in r["source"])
    page.evaluate("(i) => window.jupyterapp.shell.currentWidget.content.scrollToItem(i)", index)
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.scroll_into_view_if_needed()
    return cell


def assert_rendered(cell):
    cell.locator(".jupyter-widgets").first.wait_for(state="attached")
    text = cell.inner_text()
    assert "Loading widget" not in text and "Error displaying widget" not in text, text[:500]
    cell.locator(".widget-image").first.wait_for(state="visible")


def picture_hash(page, picture):
    return page.evaluate(IMAGE_HASH, picture.element_handle())


def wait_redrawn(page, picture, before: str, what: str, timeout: float = 180, panel=None):
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        now = picture_hash(page, picture)
        if now != before:
            return now
        page.wait_for_timeout(500)
    said = panel.inner_text()[:800] if panel is not None else ""
    raise AssertionError(f"the figure was not redrawn after {what}; the panel says:\n{said}")


def set_slider(cell, description: str, value) -> None:
    """Type a value in a slider's read-out, as a user can."""
    readout = cell.locator(".widget-slider", has_text=description).locator(".widget-readout")
    readout.click()
    readout.press("Control+a")
    readout.type(str(value))
    readout.press("Enter")


def upload(page, where, path) -> None:
    """Click the upload button and choose ``path`` in the file dialog, as a user does."""
    with page.expect_file_chooser() as chooser:
        where.locator(".widget-upload").first.click()
    chooser.value.set_files(str(path))


def shot(cell, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    cell.locator(".jp-OutputArea").last.screenshot(path=str(ARTIFACTS / name))


@pytest.mark.parametrize("assignment", ["nbj1", "tp_vgg16"])
def test_release_runs_with_only_the_student_stubs_failing(page, lab, assignment):
    open_notebook(page, lab, f"release/{NOTEBOOKS[assignment]}")
    report = run_each_cell(page)
    errors = [e for r in report for e in r["errors"]]
    assert errors, "the release should still hold the students' stubs"
    unexpected = unexpected_errors(report)
    assert not unexpected, json.dumps(unexpected, ensure_ascii=False, indent=1)
    call = "nbj1_panel(" if assignment == "nbj1" else "tp_panel("
    assert_rendered(panel_cell(page, report, call))


def test_nbj1_solution_and_its_panel(page, lab):
    open_notebook(page, lab, f"source/{NOTEBOOKS['nbj1']}")
    report = run_each_cell(page)
    assert not [r for r in report if r["errors"]], [r for r in report if r["errors"]]
    cell = panel_cell(page, report, "nbj1_panel(")
    assert_rendered(cell)
    picture = cell.locator(".widget-image").first
    start = picture_hash(page, picture)
    shot(cell, "nbj1_panel.png")

    cell.locator(".widget-dropdown", has_text="Image").locator("select").select_option(index=1)
    after_image = wait_redrawn(page, picture, start, "choosing another photo")
    set_slider(cell, "Côté du carré", 50)
    after_patch = wait_redrawn(page, picture, after_image, "moving the patch slider")
    upload(page, cell, PHOTO)
    wait_redrawn(page, picture, after_patch, "uploading a photo", panel=cell)
    picker = cell.locator(".widget-dropdown", has_text="Image").locator("select")
    assert any("grace_hopper.jpg" in o for o in picker.locator("option").all_inner_texts())
    assert "Error" not in cell.locator(".widget-html").first.inner_text()
    shot(cell, "nbj1_panel_upload.png")


def test_tp_solution_and_its_panels(page, lab):
    open_notebook(page, lab, f"source/{NOTEBOOKS['tp_vgg16']}")
    report = run_each_cell(page)
    assert not [r for r in report if r["errors"]], [r for r in report if r["errors"]]
    cell = panel_cell(page, report, "tp_panel(")
    assert_rendered(cell)

    def tab(title):
        cell.locator(".lm-TabBar-tab, .p-TabBar-tab", has_text=title).first.click()
        panel = cell.locator(".widget-tab-contents > .jupyter-widgets:visible, "
                             ".widget-tab > .lm-Panel > .jupyter-widgets:visible").first
        panel.wait_for(state="visible")
        return panel

    gradcam = tab("Grad-CAM")
    picture = gradcam.locator(".widget-image").first
    start = picture_hash(page, picture)
    shot(cell, "tp_gradcam_panel.png")
    gradcam.locator(".widget-dropdown", has_text="Couche").locator("select").select_option(index=0)
    wait_redrawn(page, picture, start, "choosing another layer")

    for title, name in (("Occlusion", "tp_occlusion_panel.png"), ("Filtres", "tp_filters_panel.png")):
        panel = tab(title)
        panel.locator(".widget-image").first.wait_for(state="visible")
        shot(cell, name)

    masks = tab("Anonymisation")
    picture = masks.locator(".widget-image").first
    start = picture_hash(page, picture)
    masks.locator(".widget-toggle-button", has_text="flou_gaussien").click()
    after_mask = wait_redrawn(page, picture, start, "choosing the blur mask")
    set_slider(masks, "Flou", 12)
    wait_redrawn(page, picture, after_mask, "moving the blur slider")
    shot(cell, "tp_anonymisation_panel.png")

    faces = tab("Identification")
    picture = faces.locator(".widget-image").first
    start = picture_hash(page, picture)
    upload(page, faces, FACE)
    wait_redrawn(page, picture, start, "uploading a face")
    shot(cell, "tp_recognizer_panel.png")
