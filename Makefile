# The project's verbs. A fresh machine needs only Python 3.11+ and make.
#   make lab        open the course in JupyterLab (creates .venv and my-work/ on first run)
#   make test       everything CI checks (with CI=true, 1 or yes it also installs Chromium and bubblewrap)
#   make grade      score your notebooks in my-work/, hidden tests included
#   make exercises  regenerate exercises/ from solutions/
#   make navigation rewrite the chapter navigation (nav cells, README table, 00's map) from lib/scalelab/chapters.py
#   make notebooks  re-execute course/ notebooks in place
#   make bench      simulator speed, side by side with SimPy
#   make mutation   how many mutants of each reference solution the hidden tests kill (>= 95 % required), and the survivors
#   make mutants    mutation testing of the library's core (mutmut): score per module (long: up to an hour)

PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed-stamp
LAB_FLAGS ?=
# Jupyter refuses to run as root unless told to (containers, CI).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
export PATH := $(BIN):$(PATH)
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: venv lab test lint system-packages grade exercises navigation notebooks bench mutation mutants

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else f"scalelab needs Python 3.11 or newer, but $(PYTHON) is {v.major}.{v.minor}: run make PYTHON=python3.11 …")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# jsonschema[format-nongpl] (wanted by nbformat and jupyter-events) brings rfc3987-syntax, which
	@# builds ~35 Earley parsers each time jsonschema is imported: 2 s of CPU in every nbgrader,
	@# JupyterLab and nbconvert start (python-jsonschema/jsonschema#1428). No notebook or event schema
	@# checks the "iri" format it serves, so the venv goes without it: make test runs ~70 nbgrader.
	$(BIN)/python -m pip uninstall --quiet --yes rfc3987-syntax
	@touch $(STAMP)

venv: $(STAMP)

lab: $(STAMP)
	$(BIN)/scalelab workspace
	@echo "Starting JupyterLab: open the address it prints below (Ctrl+C twice stops it)."
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) $(ROOT_FLAG) --ServerApp.log_level=WARN $(LAB_FLAGS) course/00-welcome.ipynb

lint: $(STAMP)
	$(BIN)/ruff check lib tests bench nbgrader_config.py
	$(BIN)/ruff format --check lib tests bench nbgrader_config.py

# A CI run: CI set to true, 1, yes or on, in any case (tests/testrun.py reads it the same way).
IN_CI := $(filter 1 true yes on,$(shell printf '%s' '$(strip $(CI))' | tr '[:upper:]' '[:lower:]'))

# In CI, install the system programs some tests need: Chromium (the browser test) and bubblewrap
# (sandboxed grading in the class test). A local run skips those tests and says how to enable them.
system-packages:
ifneq ($(IN_CI),)
	@missing=""; \
	test -x $(CHROMIUM) || missing="$$missing chromium"; \
	command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	if [ -n "$$missing" ]; then \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
endif

# Three workers on two cores: a third of the suite waits rather than computes (servers and kernels
# starting, a JupyterHub spawning its users, cells stopped by their time limit, a browser), and the
# third worker runs while they wait (measured: 9 min 35 s against 10 min 21 s with two).
test: lint system-packages
	$(BIN)/pytest -n 3 --dist loadgroup -m "not mutation" tests
	$(BIN)/pytest -n 2 --dist loadscope --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg course

grade: $(STAMP)
	$(BIN)/scalelab grade

exercises: $(STAMP)
	$(BIN)/scalelab exercises

navigation: $(STAMP)
	$(BIN)/python -m scalelab.chapters

notebooks: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.store_widget_state=False \
		--ExecutePreprocessor.record_timing=False course/*.ipynb

bench: $(STAMP)
	$(BIN)/python bench/bench.py

mutation: $(STAMP)
	$(BIN)/pytest -n 2 -m mutation tests/test_mutation.py
	$(BIN)/python tests/mutation.py

# mutmut is installed here only (the mutants extra): nothing else needs it, and make test never runs it.
mutants: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,mutants]'
	$(BIN)/python tests/mutants.py
