# Two commands for people (see README): `make demo` and `make test`.
# Each creates .venv/ inside the repository and installs what it needs, once.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# random: seeded random weights (works offline). imagenet: the real weights (internet).
WEIGHTS ?= random

.PHONY: demo methods test test-fast bench bench-peers docs install clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
	  { echo "make: the course needs Python >= 3.10 ($(PYTHON) is older): PYTHON=python3.11 make ..."; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || \
	  { echo "make: $(PYTHON) cannot create a virtual environment (no venv/ensurepip)."; \
	    echo "      On Debian or Ubuntu: sudo apt-get install python3-venv"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip "setuptools>=77"
	$(BIN)/python -m pip install --quiet -e ".[cpu,course,cluster,test]"
	rm -f $(VENV)/.installed-*
	touch $@

# The main job: a simulated class (release, fetch, submit, collect, parallel autograde,
# feedback, grades) on a local nbgrader exchange, offline. ASSIGNMENT=tp_vgg16 for the TP.
ASSIGNMENT ?= nbj1
JOBS ?= 2
demo: $(STAMP)
	XAI_COURSE_WEIGHTS=$(WEIGHTS) PATH="$(CURDIR)/$(BIN):$$PATH" \
	  $(BIN)/python -m course demo --assignment $(ASSIGNMENT) --jobs $(JOBS)

# Every method of both practicals on the bundled photos, figures in output_figures/.
methods: $(STAMP)
	XAI_COURSE_WEIGHTS=$(WEIGHTS) $(BIN)/python -m course methods

# Offline (random weights); the notebooks' demonstrations in quick mode. nbval compares
# the source notebooks' stored outputs with a fresh run (decimals to a tolerance, see
# tests/nbval_numbers.py), then once more in another numeric configuration (oneDNN
# kernels off, one thread), where the same stored outputs must hold.
TEST_ENV := XAI_COURSE_WEIGHTS=random XAI_COURSE_QUICK=1 PATH="$(CURDIR)/$(BIN):$$PATH"
NBVAL := --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg
OTHER_NUMERICS := TF_ENABLE_ONEDNN_OPTS=0 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 OMP_NUM_THREADS=1
test: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest tests source_notebooks $(NBVAL) --durations=25
	$(TEST_ENV) $(OTHER_NUMERICS) $(BIN)/python -m pytest source_notebooks $(NBVAL)

# The developers' quick check: no VGG16, no notebook, no nbgrader run, no browser.
test-fast: $(STAMP)
	XAI_COURSE_WEIGHTS=random $(BIN)/python -m pytest tests -m "not slow"

# The documentation site (Sphinx + MyST, docs/), offline and strict: a warning, a broken
# link, a page outside the table of contents or a bad docstring fails the build.
DOCS_STAMP := $(VENV)/.docs-installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[cpu,course,cluster,test,docs]"
	rm -f $(VENV)/.docs-installed-*
	touch $@
docs: $(DOCS_STAMP)
	XAI_COURSE_WEIGHTS=random $(BIN)/python -m sphinx -W --keep-going -n -q -b html docs docs/_build/html
	@echo "docs: open docs/_build/html/index.html"

bench: $(STAMP)
	XAI_COURSE_WEIGHTS=random $(BIN)/python -m benchmarks.run

# helpers side by side with tf-keras-vis, xplique, tf-explain (issue 27), in its own
# environment .venv-peers/ (never the course's .venv/): pinned versions in
# benchmarks/peers-constraints.txt; xplique and tf-keras are installed without their
# dependencies (they declare the full CUDA-sized tensorflow; xplique pins <= 2.20), then
# what they import. Table in benchmarks/peers_results.md. PEERS_ARGS="--quick" for a smoke run.
PEERS_VENV  := .venv-peers
PEERS_BIN   := $(PEERS_VENV)/bin
PEERS_PINS  := benchmarks/peers-constraints.txt
PEERS_STAMP := $(PEERS_VENV)/.installed-$(shell cat pyproject.toml $(PEERS_PINS) | cksum | cut -d' ' -f1)
PEERS_ARGS  ?=
$(PEERS_STAMP): pyproject.toml $(PEERS_PINS)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
	  { echo "make: the course needs Python >= 3.10 ($(PYTHON) is older): PYTHON=python3.11 make ..."; exit 1; }
	$(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_BIN)/python -m pip install --quiet --upgrade pip "setuptools>=77"
	$(PEERS_BIN)/python -m pip install --quiet -c $(PEERS_PINS) -e ".[cpu]" \
	  tf-keras-vis tf-explain saliency deprecated einops scipy scikit-image scikit-learn \
	  tensorflow-probability
	$(PEERS_BIN)/python -m pip install --quiet --no-deps -c $(PEERS_PINS) xplique tf-keras
	rm -f $(PEERS_VENV)/.installed-*
	touch $@
bench-peers: $(PEERS_STAMP)
	XAI_COURSE_WEIGHTS=random $(PEERS_BIN)/python -m benchmarks.peers \
	  --out benchmarks/peers_results.md $(PEERS_ARGS)

clean:
	rm -rf $(VENV) $(PEERS_VENV) output_figures .pytest_cache docs/_build
